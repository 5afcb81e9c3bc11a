//go:build !linux

package replicatest

import (
	"os"
	"syscall"
)

// procAttr: only Linux can tie a child's life to its parent's; elsewhere
// the cleanups alone stop the servers.
func procAttr() *syscall.SysProcAttr { return nil }

func pgProcAttr(uid, gid uint32) *syscall.SysProcAttr { return nil }

func killGroup(pid int, sig syscall.Signal) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Signal(sig)
}
