//go:build !linux

package galeratest

import "syscall"

// procAttr: only Linux can tie a child's life to its parent's; elsewhere
// the cleanups alone stop the servers.
func procAttr() *syscall.SysProcAttr { return nil }
