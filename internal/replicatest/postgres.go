package replicatest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/internal/serverproc"
)

// PGPair is a PostgreSQL primary and a hot standby that streams its WAL
// (initdb, then pg_basebackup -R), each a postmaster of its own on a
// free loopback port with trust authentication for the postgres
// superuser. The system PostgreSQL on port 5432 is not touched.
type PGPair struct {
	Primary *PGServer
	Standby *PGServer
	dir     string
}

// PGServer is one postmaster.
type PGServer struct {
	Name string // "primary" or "standby"
	Port int

	bin, dataDir, logFile string
	uid, gid              uint32

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	db     *sql.DB // the postgres superuser's pool of database postgres
}

// StartPostgres starts a primary and a standby for t, skipping (or, with
// SQLSERVICE_REQUIRE_ALL=1, failing) when SQLSERVICE_REPLICATION is not 1.
// Both are stopped and their files removed when t ends.
func StartPostgres(t testing.TB) *PGPair {
	t.Helper()
	if os.Getenv(Env) != "1" {
		if os.Getenv(dbtest.RequireAllEnv) == "1" {
			t.Fatalf("replicatest: %s is not 1 and %s=1", Env, dbtest.RequireAllEnv)
		}
		t.Skipf("replicatest: %s is not 1", Env)
	}
	p, err := startPostgres()
	if p != nil {
		t.Cleanup(p.stop)
	}
	if err != nil {
		t.Fatalf("replicatest: %v", err)
	}
	return p
}

// pgBinDir returns the newest /usr/lib/postgresql/N/bin with initdb, or
// the directory of initdb in PATH.
func pgBinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("initdb not found in /usr/lib/postgresql/*/bin or PATH: install the PostgreSQL server")
}

func pgVersion(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func startPostgres() (*PGPair, error) {
	bin, err := pgBinDir()
	if err != nil {
		return nil, err
	}
	var uid, gid uint32
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root needs a postgres user for the servers: %w", err)
		}
		u64, _ := strconv.ParseUint(u.Uid, 10, 32)
		g64, _ := strconv.ParseUint(u.Gid, 10, 32)
		uid, gid = uint32(u64), uint32(g64)
	}
	dir, err := os.MkdirTemp("", "sqlspg")
	if err != nil {
		return nil, err
	}
	p := &PGPair{dir: dir}
	if uid != 0 {
		if err := os.Chown(dir, int(uid), int(gid)); err != nil {
			return p, err
		}
	}
	ports, err := freePorts(2)
	if err != nil {
		return p, err
	}
	for i, name := range []string{"primary", "standby"} {
		s := &PGServer{Name: name, Port: ports[i], bin: bin, uid: uid, gid: gid,
			dataDir: filepath.Join(dir, name), logFile: filepath.Join(dir, name+".log")}
		if i == 0 {
			p.Primary = s
		} else {
			p.Standby = s
		}
	}
	pr, sb := p.Primary, p.Standby
	if err := pr.run(installTimeout, "initdb", "-D", pr.dataDir, "-U", "postgres", "-A", "trust", "--no-sync"); err != nil {
		return p, err
	}
	if err := appendConf(pr.dataDir, fmt.Sprintf(`
port = %d
listen_addresses = '127.0.0.1'
unix_socket_directories = '%s'
wal_level = replica
max_wal_senders = 5
hot_standby = on
shared_buffers = 32MB
fsync = off
`, pr.Port, dir)); err != nil {
		return p, err
	}
	if err := pr.Start(); err != nil {
		return p, err
	}
	if err := pr.run(installTimeout, "pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(pr.Port), "-U", "postgres",
		"-D", sb.dataDir, "-R", "-X", "stream", "-c", "fast"); err != nil {
		return p, err
	}
	// The copy says the primary's port.
	if err := appendConf(sb.dataDir, fmt.Sprintf("port = %d\n", sb.Port)); err != nil {
		return p, err
	}
	if err := sb.Start(); err != nil {
		return p, err
	}
	return p, p.sync()
}

func appendConf(dataDir, text string) error {
	f, err := os.OpenFile(filepath.Join(dataDir, "postgresql.conf"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(text)
	return errors.Join(err, f.Close())
}

// freePorts returns n distinct free loopback ports.
func freePorts(n int) ([]int, error) {
	var ports []int
	for len(ports) < n {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		if !containsInt(ports, p) {
			ports = append(ports, p)
		}
	}
	return ports, nil
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// run runs a PostgreSQL program as the server's user.
func (s *PGServer) run(timeout time.Duration, prog string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, prog), args...)
	cmd.SysProcAttr = pgProcAttr(s.uid, s.gid)
	cmd.Dir = os.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %v: %v\n%s", prog, args, err, tail(out))
	}
	return nil
}

// Start starts the server (again, after Kill) on its data directory and
// waits until it accepts connections.
func (s *PGServer) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return fmt.Errorf("%s is running", s.Name)
	}
	out, err := os.OpenFile(s.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o666)
	if err != nil {
		return err
	}
	offset, _ := out.Seek(0, 2)
	cmd, exited, err := serverproc.Start(s.Name, filepath.Join(s.bin, "postgres"), []string{"-D", s.dataDir}, out, pgProcAttr(s.uid, s.gid))
	if err != nil {
		return err
	}
	s.cmd, s.exited = cmd, exited
	if s.db == nil {
		if s.db, err = sql.Open("pgx", s.URI("postgres")); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = s.db.PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			s.cmd = nil
			return fmt.Errorf("%s exited while starting (%v); its log:\n%s", s.Name, cmd.ProcessState, logSince(s.logFile, offset))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.kill()
			return fmt.Errorf("%s does not answer on 127.0.0.1:%d within %s (%v); its log:\n%s", s.Name, s.Port, startTimeout, err, logSince(s.logFile, offset))
		}
	}
}

// Kill ends the postmaster and its children at once (SIGKILL), as a crash
// would, and waits until the postmaster is gone.
func (s *PGServer) Kill() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kill()
}

func (s *PGServer) kill() error {
	if s.cmd == nil {
		return nil
	}
	killGroup(s.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
		return fmt.Errorf("%s (pid %d) did not exit", s.Name, s.cmd.Process.Pid)
	}
	s.cmd = nil
	if s.db != nil {
		s.db.SetMaxIdleConns(0)
		s.db.SetMaxIdleConns(2)
	}
	return nil
}

// stop shuts the server down (fast shutdown), or kills it when it does
// not stop in time.
func (s *PGServer) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db != nil {
		s.db.Close()
	}
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.exited:
		s.cmd = nil
	case <-time.After(stopTimeout):
		s.kill()
	}
}

// URI returns the postgres superuser's URI of database db on the server.
func (s *PGServer) URI(db string) string {
	u := url.URL{Scheme: "postgres", User: url.User("postgres"), Host: "127.0.0.1:" + strconv.Itoa(s.Port), Path: "/" + db,
		RawQuery: "sslmode=disable"}
	return u.String()
}

// DB returns the postgres superuser's pool of database postgres.
func (s *PGServer) DB() *sql.DB { return s.db }

// Exec runs statements on database db of the server as postgres.
func (s *PGServer) Exec(db string, stmts ...string) error {
	pool, err := sql.Open("pgx", s.URI(db))
	if err != nil {
		return err
	}
	defer pool.Close()
	ctx, cancel := context.WithTimeout(context.Background(), syncTimeout)
	defer cancel()
	for _, q := range stmts {
		if _, err := pool.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %s: %w", s.Name, q, err)
		}
	}
	return nil
}

// Sync waits until the standby has replayed everything the primary has
// written so far.
func (p *PGPair) Sync(t testing.TB) {
	t.Helper()
	if err := p.sync(); err != nil {
		t.Fatalf("replicatest: %v", err)
	}
}

func (p *PGPair) sync() error {
	ctx, cancel := context.WithTimeout(context.Background(), syncTimeout+5*time.Second)
	defer cancel()
	var lsn string
	if err := p.Primary.db.QueryRowContext(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&lsn); err != nil {
		return fmt.Errorf("primary: %w", err)
	}
	deadline := time.Now().Add(syncTimeout)
	for {
		var done bool
		err := p.Standby.db.QueryRowContext(ctx, "SELECT COALESCE(pg_last_wal_replay_lsn() >= $1::pg_lsn, false)", lsn).Scan(&done)
		if err == nil && done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the standby did not replay the primary's WAL up to %s within %s (%v)", lsn, syncTimeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// CreateDatabase creates a database on the primary, waits until the
// standby has it, and drops it when t ends.
func (p *PGPair) CreateDatabase(t testing.TB, name string) {
	t.Helper()
	if err := p.Primary.Exec("postgres", `CREATE DATABASE "`+name+`"`); err != nil {
		t.Fatalf("replicatest: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Primary.Exec("postgres", `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`); err != nil {
			t.Errorf("replicatest: %v", err)
		}
	})
	p.Sync(t)
}

// stop stops both servers, the standby first, and removes their files.
func (p *PGPair) stop() {
	for _, s := range []*PGServer{p.Standby, p.Primary} {
		if s != nil {
			s.stop()
		}
	}
	os.RemoveAll(p.dir)
}

// logSince returns the file's text written since offset, at most its last
// 4 KiB.
func logSince(file string, offset int64) string {
	b, err := os.ReadFile(file)
	if err != nil {
		return err.Error()
	}
	if offset <= int64(len(b)) {
		b = b[offset:]
	}
	return tail(b)
}
