//go:build !cgo

package session

var cgoSQLiteRules []errorRule // mattn's driver needs cgo
