// Package serverproc starts the database servers that the test harnesses
// run of their own (internal/replicatest, internal/galeratest): a process
// whose output is appended to a log file, and root's pool of a MariaDB on
// a loopback port.
package serverproc

import (
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Start runs bin with args, its output appended to the open file out
// (closed when the process ends, or at once when it cannot start), with
// the process attributes attr. exited is closed when the process has
// ended; name is for the error.
func Start(name, bin string, args []string, out *os.File, attr *syscall.SysProcAttr) (cmd *exec.Cmd, exited chan struct{}, err error) {
	cmd = exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = attr
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, nil, fmt.Errorf("start %s: %v", name, err)
	}
	exited = make(chan struct{})
	go func() {
		cmd.Wait()
		out.Close()
		close(exited)
	}()
	return cmd, exited, nil
}

// MySQLRoot opens the pool of root (no password) of the MariaDB server on
// 127.0.0.1:port, with a 2 s dial timeout.
func MySQLRoot(port int) (*sql.DB, error) {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "root", "tcp", "127.0.0.1:"+strconv.Itoa(port)
	cfg.Timeout = 2 * time.Second
	return sql.Open("mysql", cfg.FormatDSN())
}
