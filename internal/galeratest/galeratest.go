// Package galeratest starts a three-node MariaDB Galera cluster for the
// tests of multi-primary clusters: three mariadbd processes of their own
// with the galera-4 provider, each with a data directory under one
// temporary directory and free loopback ports (SQL, group communication,
// IST, SST). The system MariaDB on port 3306 is not touched.
//
// Starting a cluster takes about 20 seconds, so one cluster serves every
// test of a test binary: Start starts it on first use and Main stops it and
// removes its files when the binary's tests end:
//
//	func TestMain(m *testing.M) { os.Exit(galeratest.Main(m)) }
//
// A test that kills or isolates a node brings it back in a cleanup, so the
// next test finds three Synced nodes.
//
// Outside a test binary New starts a cluster and Stop stops it: the
// program in cmd/galera does, for .ci/run, which runs the dialect suite
// against node 1.
//
// It runs when SQLSERVICE_GALERA=1; otherwise Start skips the test, even
// with SQLSERVICE_REQUIRE_ALL=1 (which is about dialects): CI sets
// SQLSERVICE_GALERA=1 and fails when a test named TestGalera* skipped.
//
// Facts the recipe depends on (measured on Debian 12, MariaDB 10.11):
// when the test runs as root the servers run as the mysql user, because
// the joiner's rsync SST daemon drops its privileges and then cannot enter
// a root-owned data directory; ist.recv_addr is set explicitly, because
// its default (the group port + 1) is another node's group port here;
// joiners start one at a time, each after the previous one is Synced.
package galeratest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sqlservice/sqlservice/internal/serverproc"
)

// Env is the variable that enables the cluster.
const Env = "SQLSERVICE_GALERA"

// Nodes is the number of nodes of a cluster; nodes are numbered from 1.
const Nodes = 3

// Provider is the galera-4 library that MariaDB's packages install.
const Provider = "/usr/lib/galera/libgalera_smm.so"

// Bounds of the setup steps.
const (
	installTimeout = 60 * time.Second
	answerTimeout  = 30 * time.Second
	syncedTimeout  = 90 * time.Second // a joiner after a SIGKILL needs a full SST
	stopTimeout    = 30 * time.Second
	isolateTimeout = 30 * time.Second
)

// Cluster is a running three-node cluster.
type Cluster struct {
	dir   string
	nodes [Nodes]*node
}

// node is one mariadbd process.
type node struct {
	n                     int
	port, gport, ist, sst int
	bin, dir, cnf, errLog string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	root   *sql.DB
}

var (
	mu       sync.Mutex
	shared   *Cluster
	startErr error
)

// Start returns the test binary's cluster, starting it on first use; it
// skips t (or, with SQLSERVICE_REQUIRE_ALL=1, fails it) when
// SQLSERVICE_GALERA is not 1, and fails t when the cluster cannot start.
// Every node is Synced when it returns.
func Start(t testing.TB) *Cluster {
	t.Helper()
	if os.Getenv(Env) != "1" {
		// Not even with SQLSERVICE_REQUIRE_ALL=1, which is about the
		// dialects: the cluster costs 20 seconds and 400 MB, and .ci/run
		// sets SQLSERVICE_GALERA=1 and fails when a Galera test skipped.
		t.Skipf("galeratest: %s is not 1", Env)
	}
	mu.Lock()
	defer mu.Unlock()
	if shared == nil && startErr == nil {
		shared, startErr = start()
		if startErr != nil && shared != nil {
			shared.stop()
			shared = nil
		}
	}
	if startErr != nil {
		t.Fatalf("galeratest: %v", startErr)
	}
	return shared
}

// Main runs the tests of m and then stops the cluster, if one was
// started, and removes its files. It returns m.Run's exit code.
func Main(m *testing.M) int {
	code := m.Run()
	mu.Lock()
	defer mu.Unlock()
	if shared != nil {
		shared.stop()
		shared = nil
	}
	return code
}

// New starts a cluster outside a test binary (cmd/galera, which the CI
// runs the dialect suite against) and waits until every node is Synced;
// the caller stops it with Stop. On an error nothing is left running or
// on disk.
func New() (*Cluster, error) {
	c, err := start()
	if err != nil {
		if c != nil {
			c.stop()
		}
		return nil, err
	}
	return c, nil
}

// Stop stops the nodes of a cluster that New started and removes their
// files.
func (c *Cluster) Stop() { c.stop() }

func start() (*Cluster, error) {
	if _, err := os.Stat(Provider); err != nil {
		return nil, fmt.Errorf("the galera-4 provider: %w (install the galera-4 package)", err)
	}
	bin, err := findBinary("mariadbd", "mysqld")
	if err != nil {
		return nil, err
	}
	install, err := findBinary("mariadb-install-db", "mysql_install_db")
	if err != nil {
		return nil, err
	}
	// Short: a Unix socket path must fit in 108 bytes.
	dir, err := os.MkdirTemp("", "sqlsgt")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir}
	ports, err := freePorts(4 * Nodes)
	if err != nil {
		return c, err
	}
	seed := filepath.Join(dir, "seed")
	if err := installDB(install, seed); err != nil {
		return c, err
	}
	var gcomm []string
	for i := range c.nodes {
		nd := &node{n: i + 1, bin: bin, dir: filepath.Join(dir, "n"+strconv.Itoa(i+1)),
			port: ports[4*i], gport: ports[4*i+1], ist: ports[4*i+2], sst: ports[4*i+3]}
		nd.cnf, nd.errLog = filepath.Join(nd.dir, "my.cnf"), filepath.Join(nd.dir, "error.log")
		c.nodes[i] = nd
		gcomm = append(gcomm, "127.0.0.1:"+strconv.Itoa(nd.gport))
	}
	for _, nd := range c.nodes {
		if err := os.MkdirAll(filepath.Join(nd.dir, "tmp"), 0o700); err != nil {
			return c, err
		}
		if out, err := exec.Command("cp", "-a", seed, filepath.Join(nd.dir, "data")).CombinedOutput(); err != nil {
			return c, fmt.Errorf("copy the bootstrap to node %d: %v: %s", nd.n, err, out)
		}
		if err := os.WriteFile(nd.cnf, []byte(nd.config(dir, strings.Join(gcomm, ","))), 0o644); err != nil {
			return c, err
		}
	}
	if err := os.RemoveAll(seed); err != nil {
		return c, err
	}
	if err := ownDir(dir); err != nil {
		return c, err
	}
	// Node 1 founds the cluster; the others join one after the other, each
	// by a state transfer from a Synced node.
	for _, nd := range c.nodes {
		if err := nd.start(nd.n == 1); err != nil {
			return c, err
		}
	}
	return c, c.nodes[0].waitStatus("wsrep_cluster_size", strconv.Itoa(Nodes), syncedTimeout)
}

// config returns the node's my.cnf; the server reads a file rather than
// arguments because the SST scripts read the same file.
func (nd *node) config(dir, gcomm string) string {
	user := ""
	if os.Geteuid() == 0 {
		user = "user=mysql\n"
	}
	return fmt.Sprintf(`[mysqld]
%sdatadir=%s
port=%d
bind-address=127.0.0.1
socket=%s
pid-file=%s
log-error=%s
tmpdir=%s
skip-name-resolve
innodb_buffer_pool_size=64M
innodb_log_file_size=16M
innodb_flush_log_at_trx_commit=2
max_connections=300
default_storage_engine=InnoDB
binlog_format=ROW
innodb_autoinc_lock_mode=2
wsrep_on=ON
wsrep_provider=%s
wsrep_cluster_name=sqlservice_test
wsrep_cluster_address=gcomm://%s
wsrep_node_name=n%d
wsrep_node_address=127.0.0.1:%d
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:%d;ist.recv_addr=127.0.0.1:%d;gcache.size=64M"
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:%d
wsrep_slave_threads=2
`, user, filepath.Join(nd.dir, "data"), nd.port, filepath.Join(dir, "n"+strconv.Itoa(nd.n)+".sock"),
		filepath.Join(nd.dir, "mariadbd.pid"), nd.errLog, filepath.Join(nd.dir, "tmp"), Provider, gcomm,
		nd.n, nd.gport, nd.gport, nd.ist, nd.sst)
}

// ownDir gives the tree to the mysql user when running as root (see the
// package documentation).
func ownDir(dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("mysql")
	if err != nil {
		return fmt.Errorf("running as root needs a mysql user for the servers: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return filepath.Walk(dir, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, gid)
	})
}

// start starts the node's server and waits until it is Synced; bootstrap
// founds a new cluster.
func (nd *node) start(bootstrap bool) error {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	if nd.cmd != nil {
		return fmt.Errorf("node %d is running", nd.n)
	}
	out, err := os.OpenFile(filepath.Join(nd.dir, "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	offset := int64(0)
	if fi, err := os.Stat(nd.errLog); err == nil {
		offset = fi.Size()
	}
	args := []string{"--defaults-file=" + nd.cnf}
	if bootstrap {
		args = append(args, "--wsrep-new-cluster")
	}
	cmd, exited, err := serverproc.Start(fmt.Sprintf("node %d", nd.n), nd.bin, args, out, procAttr())
	if err != nil {
		return err
	}
	nd.cmd, nd.exited = cmd, exited
	if nd.root == nil {
		if nd.root, err = serverproc.MySQLRoot(nd.port); err != nil {
			return err
		}
	}
	err = nd.waitStatus("wsrep_local_state_comment", "Synced", syncedTimeout)
	if err != nil {
		select {
		case <-exited:
			nd.cmd = nil
			return fmt.Errorf("node %d exited while starting (%v); its error log:\n%s", nd.n, cmd.ProcessState, nd.logSince(offset))
		default:
		}
		nd.kill()
		return fmt.Errorf("node %d: %v; its error log:\n%s", nd.n, err, nd.logSince(offset))
	}
	return nil
}

// waitStatus waits until the node's status variable has the value want.
func (nd *node) waitStatus(name, want string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var got string
	var err error
	for {
		got, err = nd.status(name)
		if err == nil && got == want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s is %q, not %q, after %s (%v)", name, got, want, timeout, err)
		}
		if nd.exited != nil {
			select {
			case <-nd.exited:
				return fmt.Errorf("node %d exited", nd.n)
			default:
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (nd *node) status(name string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var k, v string
	err := nd.root.QueryRowContext(ctx, "SHOW STATUS LIKE '"+name+"'").Scan(&k, &v)
	return v, err
}

func (nd *node) kill() error {
	if nd.cmd == nil {
		return nil
	}
	nd.cmd.Process.Kill()
	select {
	case <-nd.exited:
	case <-time.After(stopTimeout):
		return fmt.Errorf("node %d (pid %d) did not exit", nd.n, nd.cmd.Process.Pid)
	}
	nd.cmd = nil
	// Connections to the dead process are useless.
	nd.root.SetMaxIdleConns(0)
	nd.root.SetMaxIdleConns(2)
	return nil
}

func (c *Cluster) node(t testing.TB, n int) *node {
	t.Helper()
	if n < 1 || n > Nodes {
		t.Fatalf("galeratest: no node %d (nodes are 1 to %d)", n, Nodes)
	}
	return c.nodes[n-1]
}

// Port returns the SQL port of node n.
func (c *Cluster) Port(n int) int { return c.nodes[n-1].port }

// URI returns root's URI of database db on node n (root has no password
// and is reachable on the loopback address only). Query parameters the
// driver does not know become session variables: add
// "?wsrep_sync_wait=1" for causal reads.
func (c *Cluster) URI(n int, db string) string {
	u := url.URL{Scheme: "mysql", User: url.User("root"), Host: "127.0.0.1:" + strconv.Itoa(c.nodes[n-1].port), Path: "/" + db}
	return u.String()
}

// Root returns a pool of root's connections to node n.
func (c *Cluster) Root(n int) *sql.DB { return c.nodes[n-1].root }

// CreateDatabase creates database name (on every node: DDL is replicated
// before it returns) and drops it when t ends.
func (c *Cluster) CreateDatabase(t testing.TB, name string) {
	t.Helper()
	if err := c.exec("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatalf("galeratest: %v", err)
	}
	t.Cleanup(func() {
		if err := c.exec("DROP DATABASE IF EXISTS `" + name + "`"); err != nil {
			t.Errorf("galeratest: %v", err)
		}
	})
}

// exec runs a statement as root on the first node that is up and Synced.
func (c *Cluster) exec(q string) error {
	var errs []error
	for _, nd := range c.nodes {
		if s, err := nd.status("wsrep_local_state_comment"); err != nil || s != "Synced" {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err := nd.root.ExecContext(ctx, q)
		cancel()
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("node %d: %s: %w", nd.n, q, err))
	}
	if errs == nil {
		return fmt.Errorf("%s: no node is Synced", q)
	}
	return errors.Join(errs...)
}

// Kill ends node n at once (SIGKILL), as a crash would, and waits until
// the process is gone; a cleanup of t restarts it when t ends, unless the
// test did.
func (c *Cluster) Kill(t testing.TB, n int) {
	t.Helper()
	nd := c.node(t, n)
	nd.mu.Lock()
	err := nd.kill()
	nd.mu.Unlock()
	if err != nil {
		t.Fatalf("galeratest: %v", err)
	}
	t.Cleanup(func() {
		nd.mu.Lock()
		down := nd.cmd == nil
		nd.mu.Unlock()
		if down {
			if err := nd.start(false); err != nil {
				t.Errorf("galeratest: restart node %d: %v", n, err)
			}
		}
	})
}

// Restart starts node n again after Kill and waits until it has rejoined
// the cluster and is Synced (a full state transfer after a SIGKILL: about
// 20 seconds).
func (c *Cluster) Restart(t testing.TB, n int) {
	t.Helper()
	if err := c.node(t, n).start(false); err != nil {
		t.Fatalf("galeratest: %v", err)
	}
}

// Isolate cuts node n off from the others (gmcast.isolate=1) and waits
// until it is no longer part of the Primary component, where it answers
// every query with error 1047 (about 8 seconds); with on false it joins
// it again and waits until it is Synced. An isolated node is joined again
// when t ends.
func (c *Cluster) Isolate(t testing.TB, n int, on bool) {
	t.Helper()
	nd := c.node(t, n)
	if err := nd.isolate(on); err != nil {
		t.Fatalf("galeratest: %v", err)
	}
	if on {
		t.Cleanup(func() {
			if s, _ := nd.status("wsrep_cluster_status"); s != "Primary" {
				if err := nd.isolate(false); err != nil {
					t.Errorf("galeratest: %v", err)
				}
			}
		})
	}
}

func (nd *node) isolate(on bool) error {
	v := "0"
	if on {
		v = "1"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := nd.root.ExecContext(ctx, "SET GLOBAL wsrep_provider_options='gmcast.isolate="+v+"'"); err != nil {
		return fmt.Errorf("node %d: isolate=%s: %w", nd.n, v, err)
	}
	if on {
		return nd.waitStatus("wsrep_cluster_status", "non-Primary", isolateTimeout)
	}
	if err := nd.waitStatus("wsrep_cluster_status", "Primary", isolateTimeout); err != nil {
		return fmt.Errorf("node %d: %w", nd.n, err)
	}
	return nd.waitStatus("wsrep_local_state_comment", "Synced", syncedTimeout)
}

// stop stops the nodes (SIGTERM, last first, so that the founder leaves
// last) and removes their files.
func (c *Cluster) stop() {
	for i := Nodes - 1; i >= 0; i-- {
		nd := c.nodes[i]
		if nd == nil {
			continue
		}
		nd.mu.Lock()
		if nd.cmd != nil {
			nd.cmd.Process.Signal(syscall.SIGTERM) // mariadbd ignores SIGINT
			select {
			case <-nd.exited:
				nd.cmd = nil
			case <-time.After(stopTimeout):
				nd.kill()
			}
		}
		if nd.root != nil {
			nd.root.Close()
		}
		nd.mu.Unlock()
	}
	os.RemoveAll(c.dir)
}

// findBinary looks a program up in PATH and in the sbin directories that
// are not in every user's PATH.
func findBinary(names ...string) (string, error) {
	for _, n := range names {
		if path, err := exec.LookPath(n); err == nil {
			return path, nil
		}
		for _, d := range []string{"/usr/sbin", "/usr/libexec", "/usr/local/sbin", "/usr/local/bin"} {
			if fi, err := os.Stat(filepath.Join(d, n)); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
				return filepath.Join(d, n), nil
			}
		}
	}
	return "", fmt.Errorf("none of %v found in PATH, /usr/sbin or /usr/libexec: install MariaDB server", names)
}

// freePorts returns n distinct free loopback ports, held open together so
// that none is handed out twice.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func installDB(bin, dataDir string) error {
	// The bootstrap occasionally fails on a loaded machine: try again on an
	// empty directory before giving up.
	var err error
	for range 3 {
		if err = installOnce(bin, dataDir); err == nil {
			return nil
		}
		if rerr := os.RemoveAll(dataDir); rerr != nil {
			return errors.Join(err, rerr)
		}
	}
	return err
}

func installOnce(bin, dataDir string) error {
	ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
	defer cancel()
	args := []string{"--no-defaults"}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	args = append(args, "--datadir="+dataDir, "--auth-root-authentication-method=normal",
		"--skip-test-db", "--skip-name-resolve", "--innodb-log-file-size=16M")
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s --datadir=%s: %v\n%s", filepath.Base(bin), dataDir, err, tail(out))
	}
	return nil
}

// logSince returns the node's error log written since offset, at most its
// last 4 KiB.
func (nd *node) logSince(offset int64) string {
	b, err := os.ReadFile(nd.errLog)
	if err != nil {
		return err.Error()
	}
	if offset <= int64(len(b)) {
		b = b[offset:]
	}
	return tail(b)
}

func tail(b []byte) string {
	const max = 4096
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}
