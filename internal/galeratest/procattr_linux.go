package galeratest

import "syscall"

// procAttr makes the kernel kill a server when the test binary dies
// without running its cleanups (a panic, a timeout, a signal), so that no
// mariadbd outlives the tests.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
