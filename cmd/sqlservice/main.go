// Command sqlservice runs versioned migrations and generates model structs
// from an existing database. Without models of yours it does everything but
// migrate diff; for that, call cli.Main(models...) from a main of your own
// (see package cli).
//
//	go run github.com/sqlservice/sqlservice/cmd/sqlservice -uri sqlite:///app.db migrate status
package main

import "github.com/sqlservice/sqlservice/cmd/sqlservice/cli"

func main() { cli.Main() }
