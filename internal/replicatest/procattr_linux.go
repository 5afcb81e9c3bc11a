package replicatest

import "syscall"

// procAttr makes the kernel kill a server when the test binary dies
// without running its cleanups (a panic, a timeout, a signal), so that no
// mariadbd outlives the tests.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// pgProcAttr is procAttr for a PostgreSQL program run as user (uid, gid)
// (PostgreSQL refuses to run as root) in a process group of its own, so
// that a kill reaches the postmaster's children too.
func pgProcAttr(uid, gid uint32) *syscall.SysProcAttr {
	a := procAttr()
	a.Setpgid = true
	if uid != 0 {
		a.Credential = &syscall.Credential{Uid: uid, Gid: gid}
	}
	return a
}

// killGroup sends sig to the process group of pid.
func killGroup(pid int, sig syscall.Signal) error { return syscall.Kill(-pid, sig) }
