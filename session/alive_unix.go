//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package session

import (
	"errors"
	"net"
	"syscall"
)

// idleConnAlive reports whether a connection that sat idle in the pool is
// still open, without waiting: a peek that finds nothing to read means
// alive. On an idle connection anything there is the server's goodbye
// (end of stream, or the notice of a terminated backend, which arrives
// before the backend exits): the connection is dropped before a statement
// is sent on it, rather than after, when the statement's fate would be
// unknown.
func idleConnAlive(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	alive := true
	var buf [1]byte
	err = raw.Read(func(fd uintptr) bool {
		_, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK):
		case errors.Is(err, syscall.EINTR):
			return false // try again
		default:
			alive = false // data, end of stream (n == 0), or an error
		}
		return true
	})
	return alive && err == nil
}
