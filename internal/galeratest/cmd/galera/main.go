// Command galera starts a three-node MariaDB Galera cluster (see package
// galeratest), prints on standard output one line, the mysql:// URI of
// node 1's server with wsrep_sync_wait=1 (for causal reads), and keeps the
// cluster running until it gets SIGTERM or SIGINT: then it stops the nodes
// and removes their directories. .ci/run runs the dialect suite against
// the URI (with SQLSERVICE_MYSQL_GALERA=1).
//
//	go run ./internal/galeratest/cmd/galera
//
// Diagnostics go to standard error; it exits 1 when the cluster does not
// start. If this process dies without a signal it can handle (SIGKILL),
// the kernel kills the nodes (their parent-death signal), but their
// directories stay in the temporary directory.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/sqlservice/sqlservice/internal/galeratest"
)

func main() {
	// The nodes get SIGKILL when the thread that started them ends
	// (Pdeathsig is per thread): start them from the main thread, which
	// lives as long as the process.
	runtime.LockOSThread()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	start := time.Now()
	c, err := galeratest.New()
	if err != nil {
		fmt.Fprintf(os.Stderr, "galera: %v\n", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "galera: %d nodes Synced after %s\n", galeratest.Nodes, time.Since(start).Round(time.Second))
	fmt.Println(c.URI(1, "") + "?wsrep_sync_wait=1")
	s := <-sigs
	fmt.Fprintf(os.Stderr, "galera: %v: stopping the cluster\n", s)
	c.Stop()
}
