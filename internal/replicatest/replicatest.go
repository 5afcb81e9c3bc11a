// Package replicatest starts a MariaDB primary and a replica that
// replicates from it (Start), or a PostgreSQL primary and a streaming hot
// standby (StartPostgres, postgres.go), for the tests of read replicas.
// The MariaDB pair is two mariadbd
// processes of their own, each with a data directory under one temporary
// directory and a free loopback port, set up with a replication user and
// an application user as in production (no --skip-grant-tables). The
// system MariaDB on port 3306 is not touched.
//
// It runs when SQLSERVICE_REPLICATION=1; otherwise the test is skipped, or
// fails when SQLSERVICE_REQUIRE_ALL=1, as in dbtest. Everything it starts
// is stopped and removed when the test ends.
package replicatest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/internal/serverproc"
)

// Env is the variable that enables the servers.
const Env = "SQLSERVICE_REPLICATION"

// The accounts the pair is set up with. The application account has no
// privilege to write on a read-only replica; root (no password, loopback
// only) has, for putting rows on the replica alone.
const (
	AppUser      = "app"
	AppPassword  = "app-s3cret"
	replUser     = "repl"
	replPassword = "repl-s3cret"
)

// Bounds of the setup steps.
const (
	installTimeout = 60 * time.Second
	startTimeout   = 30 * time.Second
	stopTimeout    = 30 * time.Second
	syncTimeout    = 20 * time.Second
)

// Pair is a primary and a replica replicating from it.
type Pair struct {
	Primary *Server
	Replica *Server
	dir     string
}

// Server is one mariadbd process.
type Server struct {
	Name string // "primary" or "replica"
	Port int

	bin     string
	dataDir string
	errLog  string
	args    []string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has ended
	root   *sql.DB
}

// Start starts a pair for t, skipping (or, with SQLSERVICE_REQUIRE_ALL=1,
// failing) when SQLSERVICE_REPLICATION is not 1. The pair is stopped and its
// files removed when t ends.
func Start(t testing.TB) *Pair {
	t.Helper()
	if os.Getenv(Env) != "1" {
		if os.Getenv(dbtest.RequireAllEnv) == "1" {
			t.Fatalf("replicatest: %s is not 1 and %s=1", Env, dbtest.RequireAllEnv)
		}
		t.Skipf("replicatest: %s is not 1", Env)
	}
	p, err := start()
	if p != nil {
		t.Cleanup(p.stop)
	}
	if err != nil {
		t.Fatalf("replicatest: %v", err)
	}
	return p
}

func start() (*Pair, error) {
	server, err := findBinary("mariadbd", "mysqld")
	if err != nil {
		return nil, err
	}
	install, err := findBinary("mariadb-install-db", "mysql_install_db")
	if err != nil {
		return nil, err
	}
	// Short: a Unix socket path must fit in 108 bytes.
	dir, err := os.MkdirTemp("", "sqlsrt")
	if err != nil {
		return nil, err
	}
	p := &Pair{dir: dir}
	p.Primary = &Server{Name: "primary", bin: server}
	p.Replica = &Server{Name: "replica", bin: server}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, s := range []*Server{p.Primary, p.Replica} {
		s.dataDir = filepath.Join(dir, s.Name)
		s.errLog = filepath.Join(dir, s.Name+".err")
		wg.Go(func() { errs[i] = installDB(install, s.dataDir) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return p, err
	}
	if err := p.Primary.startFresh(dir, "--server-id=1", "--log-bin=mariadb-bin", "--binlog-format=ROW", "--sync-binlog=0"); err != nil {
		return p, err
	}
	if err := p.Replica.startFresh(dir, "--server-id=2", "--read-only", "--relay-log=relay-bin", "--skip-log-bin"); err != nil {
		return p, err
	}
	if err := p.replicate(); err != nil {
		return p, err
	}
	return p, p.sync()
}

// findBinary looks a program up in PATH and in the sbin directories that
// are not in every user's PATH.
func findBinary(names ...string) (string, error) {
	for _, n := range names {
		if path, err := exec.LookPath(n); err == nil {
			return path, nil
		}
		for _, d := range []string{"/usr/sbin", "/usr/libexec", "/usr/local/sbin", "/usr/local/bin"} {
			if path := filepath.Join(d, n); isExecutable(path) {
				return path, nil
			}
		}
	}
	return "", fmt.Errorf("none of %v found in PATH, /usr/sbin or /usr/libexec: install MariaDB server", names)
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// userArgs returns --user=root when running as root, which mariadbd
// refuses to do without it.
func userArgs() []string {
	if os.Geteuid() == 0 {
		return []string{"--user=root"}
	}
	return nil
}

func installDB(bin, dataDir string) error {
	// The bootstrap occasionally fails on a loaded machine (several test
	// packages initialise servers at once): try again on an empty
	// directory before giving up.
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
	args := append([]string{"--no-defaults"}, userArgs()...)
	args = append(args, "--datadir="+dataDir, "--auth-root-authentication-method=normal",
		"--skip-test-db", "--skip-name-resolve", "--innodb-log-file-size=8M")
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s --datadir=%s: %v\n%s", filepath.Base(bin), dataDir, err, tail(out))
	}
	return nil
}

// startFresh starts the server the first time, on a free port: another
// port is tried when the one picked was taken meanwhile.
func (s *Server) startFresh(dir string, extra ...string) error {
	var err error
	for range 3 {
		if s.Port, err = freePort(); err != nil {
			return err
		}
		s.args = append([]string{"--no-defaults"}, userArgs()...)
		s.args = append(s.args,
			"--datadir="+s.dataDir,
			"--port="+strconv.Itoa(s.Port),
			"--bind-address=127.0.0.1",
			"--socket="+filepath.Join(dir, s.Name+".sock"),
			"--pid-file="+filepath.Join(dir, s.Name+".pid"),
			"--log-error="+s.errLog,
			"--tmpdir="+dir,
			"--skip-name-resolve",
			"--innodb-buffer-pool-size=32M",
			"--innodb-log-file-size=8M",
			"--innodb-flush-log-at-trx-commit=2",
			"--max-connections=300",
		)
		s.args = append(s.args, extra...)
		if err = s.Start(); err == nil || !strings.Contains(err.Error(), "already in use") {
			return err
		}
	}
	return err
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start starts the server (again, after Kill) on its data directory and
// port, and waits until it answers.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return fmt.Errorf("%s is running", s.Name)
	}
	out, err := os.OpenFile(s.errLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	offset, _ := out.Seek(0, 2)
	cmd, exited, err := serverproc.Start(s.Name, s.bin, s.args, out, procAttr())
	if err != nil {
		return err
	}
	s.cmd, s.exited = cmd, exited
	if s.root == nil {
		if s.root, err = serverproc.MySQLRoot(s.Port); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = s.root.PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			s.cmd = nil
			return fmt.Errorf("%s exited while starting (%v); its error log:\n%s", s.Name, cmd.ProcessState, s.logSince(offset))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.kill()
			return fmt.Errorf("%s does not answer on 127.0.0.1:%d within %s (%v); its error log:\n%s", s.Name, s.Port, startTimeout, err, s.logSince(offset))
		}
	}
}

// Kill ends the server at once (SIGKILL), as a crash or a pulled cable
// would, and waits until the process is gone.
func (s *Server) Kill() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kill()
}

func (s *Server) kill() error {
	if s.cmd == nil {
		return nil
	}
	s.cmd.Process.Kill()
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
		return fmt.Errorf("%s (pid %d) did not exit", s.Name, s.cmd.Process.Pid)
	}
	s.cmd = nil
	if s.root != nil {
		// Connections to the dead process are useless; new ones are made
		// after a restart.
		s.root.SetMaxIdleConns(0)
		s.root.SetMaxIdleConns(2)
	}
	return nil
}

// URI returns the application user's URI of database db on the server.
func (s *Server) URI(db string) string {
	u := url.URL{Scheme: "mysql", User: url.UserPassword(AppUser, AppPassword), Host: "127.0.0.1:" + strconv.Itoa(s.Port), Path: "/" + db}
	return u.String()
}

// Root returns a pool of the server's root account, which may write on the
// read-only replica.
func (s *Server) Root() *sql.DB { return s.root }

// Exec runs statements as root on the server.
func (s *Server) Exec(stmts ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), syncTimeout)
	defer cancel()
	for _, q := range stmts {
		if _, err := s.root.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %s: %w", s.Name, q, err)
		}
	}
	return nil
}

// replicate creates the accounts on the primary and starts the replica's
// replication from the primary's first binary log, which brings the
// accounts over.
func (p *Pair) replicate() error {
	err := p.Primary.Exec(
		"CREATE USER '"+replUser+"'@'127.0.0.1' IDENTIFIED BY '"+replPassword+"'",
		"GRANT REPLICATION SLAVE ON *.* TO '"+replUser+"'@'127.0.0.1'",
		"CREATE USER '"+AppUser+"'@'127.0.0.1' IDENTIFIED BY '"+AppPassword+"'",
		// What the ORM and the tests need, and no READ_ONLY ADMIN: a write
		// sent to the replica by mistake fails. SLAVE MONITOR lets the
		// client read SHOW SLAVE STATUS for Config.MaxReplicaLag.
		"GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, INDEX, ALTER, REFERENCES, CREATE TEMPORARY TABLES, LOCK TABLES, SLAVE MONITOR ON *.* TO '"+AppUser+"'@'127.0.0.1'",
	)
	if err != nil {
		return err
	}
	return p.Replica.Exec(
		fmt.Sprintf("CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%d, MASTER_USER='%s', MASTER_PASSWORD='%s', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1",
			p.Primary.Port, replUser, replPassword),
		"START SLAVE",
	)
}

// Sync waits until the replica has applied everything the primary has
// written so far.
func (p *Pair) Sync(t testing.TB) {
	t.Helper()
	if err := p.sync(); err != nil {
		t.Fatalf("replicatest: %v", err)
	}
}

func (p *Pair) sync() error {
	ctx, cancel := context.WithTimeout(context.Background(), syncTimeout+5*time.Second)
	defer cancel()
	var pos string
	if err := p.Primary.root.QueryRowContext(ctx, "SELECT @@gtid_binlog_pos").Scan(&pos); err != nil {
		return fmt.Errorf("primary: %w", err)
	}
	var res int
	if err := p.Replica.root.QueryRowContext(ctx, "SELECT MASTER_GTID_WAIT(?, ?)", pos, syncTimeout.Seconds()).Scan(&res); err != nil {
		return fmt.Errorf("replica: %w", err)
	}
	if res != 0 {
		return fmt.Errorf("the replica did not reach the primary's position %s within %s: %s", pos, syncTimeout, p.Replica.slaveStatus(ctx))
	}
	return nil
}

func (s *Server) slaveStatus(ctx context.Context) string {
	rows, err := s.root.QueryContext(ctx, "SHOW SLAVE STATUS")
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	if !rows.Next() {
		return "no replication configured"
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return err.Error()
	}
	var b strings.Builder
	for i, c := range cols {
		if strings.Contains(c, "Running") || strings.Contains(c, "Error") || strings.Contains(c, "Gtid") {
			fmt.Fprintf(&b, "%s=%s ", c, vals[i].String)
		}
	}
	return b.String()
}

// CreateDatabase creates a database on the primary, waits until the
// replica has it, and drops it when t ends.
func (p *Pair) CreateDatabase(t testing.TB, name string) {
	t.Helper()
	if err := p.Primary.Exec("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatalf("replicatest: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Primary.Exec("DROP DATABASE IF EXISTS `" + name + "`"); err != nil {
			t.Errorf("replicatest: %v", err)
		}
	})
	p.Sync(t)
}

// stop kills both servers and removes their files.
func (p *Pair) stop() {
	for _, s := range []*Server{p.Replica, p.Primary} {
		if s == nil {
			continue
		}
		s.Kill()
		if s.root != nil {
			s.root.Close()
		}
	}
	os.RemoveAll(p.dir)
}

// logSince returns the server's error log written since offset, at most
// its last 4 KiB.
func (s *Server) logSince(offset int64) string {
	b, err := os.ReadFile(s.errLog)
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
