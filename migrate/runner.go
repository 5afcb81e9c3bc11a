package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/session"
)

// Errors that callers branch on.
var (
	// ErrChecksum: an applied migration's up file changed since it ran.
	ErrChecksum = errors.New("migrate: an applied migration file was edited")
	// ErrMissing: the version table names a migration whose file is gone.
	ErrMissing = errors.New("migrate: an applied migration has no file")
	// ErrOutOfOrder: a pending migration is numbered below an applied one.
	ErrOutOfOrder = errors.New("migrate: a pending migration is older than an applied one")
	// ErrLocked: another runner held the lock for longer than LockTimeout.
	ErrLocked = errors.New("migrate: another runner holds the migration lock")
	// ErrNoDown: the migration to undo has no down file.
	ErrNoDown = errors.New("migrate: the migration has no down file")
)

// MigrationError is a migration that failed to run: which one, which way,
// and the database's error. On MySQL the statements of the file before the
// failing one stay applied (each DDL statement commits); elsewhere nothing
// of the file is.
type MigrationError struct {
	Version int64
	Name    string
	Down    bool
	Err     error
}

func (e *MigrationError) Error() string {
	way := "up"
	if e.Down {
		way = "down"
	}
	return fmt.Sprintf("migrate: %d_%s (%s): %v", e.Version, e.Name, way, e.Err)
}

func (e *MigrationError) Unwrap() error { return e.Err }

// Table is the name of the version table.
const Table = "sqlservice_migrations"

// Runner applies the migrations of one directory to one database.
type Runner struct {
	c           *session.Client
	migrations  []Migration
	lockTimeout time.Duration
}

// Option configures a Runner.
type Option func(*Runner)

// LockTimeout is how long a runner waits for another to finish (default 1
// minute) before it fails with ErrLocked.
func LockTimeout(d time.Duration) Option { return func(r *Runner) { r.lockTimeout = d } }

// New returns a runner of the migrations in fsys (see Load) on the
// client's database. It fails on files Load refuses.
func New(c *session.Client, fsys fs.FS, opts ...Option) (*Runner, error) {
	ms, err := Load(fsys)
	if err != nil {
		return nil, err
	}
	r := &Runner{c: c, migrations: ms, lockTimeout: time.Minute}
	for _, o := range opts {
		o(r)
	}
	return r, nil
}

// Migrations returns the migrations the runner read, in version order.
func (r *Runner) Migrations() []Migration { return append([]Migration(nil), r.migrations...) }

// Status is one migration's state in the database.
type Status struct {
	Version   int64
	Name      string
	Applied   bool
	AppliedAt time.Time // zero when pending
	Changed   bool      // applied, and its file changed since (ErrChecksum)
	Missing   bool      // applied, and its file is gone (ErrMissing)
}

// applied is a row of the version table.
type applied struct {
	version  int64
	name     string
	checksum string
	at       time.Time
}

// Status returns every migration, from the files and from the version
// table, in version order.
func (r *Runner) Status(ctx context.Context) ([]Status, error) {
	if err := r.ensureTable(ctx, nil); err != nil {
		return nil, err
	}
	done, err := r.applied(ctx)
	if err != nil {
		return nil, err
	}
	return r.status(done), nil
}

func (r *Runner) status(done map[int64]applied) []Status {
	var out []Status
	files := map[int64]bool{}
	for _, m := range r.migrations {
		files[m.Version] = true
		s := Status{Version: m.Version, Name: m.Name}
		if a, ok := done[m.Version]; ok {
			s.Applied, s.AppliedAt, s.Changed = true, a.at, a.checksum != m.Checksum
		}
		out = append(out, s)
	}
	for v, a := range done {
		if !files[v] {
			out = append(out, Status{Version: v, Name: a.name, Applied: true, AppliedAt: a.at, Missing: true})
		}
	}
	sortStatus(out)
	return out
}

func sortStatus(s []Status) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].Version < s[j-1].Version; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// check refuses edited, missing and out-of-order migrations.
func (r *Runner) check(done map[int64]applied) error {
	var maxApplied int64 = -1 << 63
	for v := range done {
		maxApplied = max(maxApplied, v)
	}
	for _, s := range r.status(done) {
		switch {
		case s.Changed:
			return fmt.Errorf("%w: %d_%s (the version table holds another checksum; write a new migration instead)", ErrChecksum, s.Version, s.Name)
		case s.Missing:
			return fmt.Errorf("%w: %d_%s", ErrMissing, s.Version, s.Name)
		case !s.Applied && s.Version < maxApplied:
			return fmt.Errorf("%w: %d_%s is pending, %d is applied", ErrOutOfOrder, s.Version, s.Name, maxApplied)
		}
	}
	return nil
}

// Up applies every pending migration in order and returns those it
// applied. It stops at the first failure (a *MigrationError); the ones
// before it stay applied.
func (r *Runner) Up(ctx context.Context) ([]Migration, error) {
	return r.UpTo(ctx, 1<<62)
}

// UpTo applies the pending migrations up to and including version.
func (r *Runner) UpTo(ctx context.Context, version int64) (ran []Migration, err error) {
	err = r.locked(ctx, func(conn *sql.Conn, done map[int64]applied) error {
		for _, m := range r.migrations {
			if m.Version > version {
				break
			}
			if _, ok := done[m.Version]; ok {
				continue
			}
			if err := r.run(ctx, conn, m, false); err != nil {
				return err
			}
			ran = append(ran, m)
		}
		return nil
	})
	return ran, err
}

// Down undoes the last applied migration with its down file and returns
// it; with nothing applied it returns (nil, nil).
func (r *Runner) Down(ctx context.Context) (*Migration, error) {
	var undone *Migration
	err := r.locked(ctx, func(conn *sql.Conn, done map[int64]applied) error {
		for i := len(r.migrations) - 1; i >= 0; i-- {
			m := r.migrations[i]
			if _, ok := done[m.Version]; !ok {
				continue
			}
			if m.DownFile == "" {
				return fmt.Errorf("%w: %d_%s", ErrNoDown, m.Version, m.Name)
			}
			if err := r.run(ctx, conn, m, true); err != nil {
				return err
			}
			undone = &m
			return nil
		}
		return nil
	})
	return undone, err
}

// run applies one migration's file and records it, in one transaction
// where the dialect allows.
func (r *Runner) run(ctx context.Context, conn *sql.Conn, m Migration, down bool) error {
	text := m.Up
	if down {
		text = m.Down
	}
	ph := r.placeholders(3)
	ddl := func(ctx context.Context, fn func(exec func(string, ...any) error) error) error {
		if conn != nil {
			return r.c.RunDDLOn(ctx, conn, fn)
		}
		return r.c.RunDDL(ctx, fn)
	}
	err := ddl(ctx, func(exec func(string, ...any) error) error {
		for _, q := range split(text, r.c.Dialect().BackslashEscapes()) {
			if err := exec(q); err != nil {
				return err
			}
		}
		if down {
			return exec("DELETE FROM "+r.table()+" WHERE version = "+ph[0], m.Version)
		}
		return exec("INSERT INTO "+r.table()+" (version, name, checksum, applied_at) VALUES ("+strings.Join(r.placeholders(4), ", ")+")",
			m.Version, m.Name, m.Checksum, time.Now().UTC().Format(time.RFC3339Nano))
	})
	if err != nil {
		return &MigrationError{Version: m.Version, Name: m.Name, Down: down, Err: err}
	}
	return nil
}

func (r *Runner) table() string { return r.c.Dialect().Quote(Table) }

func (r *Runner) placeholders(n int) []string {
	return strings.Split(builder.Rebind(r.c.Dialect(), strings.TrimSuffix(strings.Repeat("?,", n), ",")), ",")
}

// ensureTable creates the version table unless it exists, on conn (the
// one holding the lock), or on the pool when conn is nil. CREATE TABLE IF
// NOT EXISTS is not safe against itself on PostgreSQL: two sessions that
// both find no table both create it, and the later one fails on the
// catalog's unique key (SQLSTATE 23505 on pg_type) once the first commits.
// Up and Down create it holding the lock; Status does not take the lock,
// so a failure is taken for success when the table is there afterwards.
func (r *Runner) ensureTable(ctx context.Context, conn *sql.Conn) error {
	ctx = session.Primary(ctx)
	create := "CREATE TABLE IF NOT EXISTS " + r.table() +
		" (version BIGINT NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL, checksum VARCHAR(64) NOT NULL, applied_at VARCHAR(40) NOT NULL)"
	probe := "SELECT 1 FROM " + r.table() + " WHERE 1 = 0"
	exec := func(q string) error {
		if conn != nil {
			_, err := conn.ExecContext(ctx, q)
			return err
		}
		_, err := r.c.Exec(ctx, q)
		return err
	}
	var err error
	for range 100 {
		if err = exec(create); err == nil {
			return nil
		}
		if exec(probe) == nil {
			return nil // another runner created it meanwhile
		}
		if !errors.Is(err, session.ErrRetryable) {
			break
		}
		// SQLite's "database is locked", answered at once to runners
		// that start together on a new file: try again shortly.
		select {
		case <-ctx.Done():
			return fmt.Errorf("migrate: create %s: %w", Table, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("migrate: create %s: %w", Table, err)
}

func (r *Runner) applied(ctx context.Context) (map[int64]applied, error) {
	return r.appliedOn(ctx, nil)
}

// appliedOn reads the version table on conn, or on the pool when conn is
// nil.
func (r *Runner) appliedOn(ctx context.Context, conn *sql.Conn) (map[int64]applied, error) {
	q := "SELECT version, name, checksum, applied_at FROM " + r.table()
	var rows *sql.Rows
	var err error
	if conn != nil {
		rows, err = conn.QueryContext(ctx, q)
	} else {
		rows, err = r.c.Query(session.Primary(ctx), q)
	}
	if err != nil {
		return nil, fmt.Errorf("migrate: read %s: %w", Table, err)
	}
	defer rows.Close()
	out := map[int64]applied{}
	for rows.Next() {
		var a applied
		var at string
		if err := rows.Scan(&a.version, &a.name, &a.checksum, &at); err != nil {
			return nil, fmt.Errorf("migrate: read %s: %w", Table, err)
		}
		a.at, _ = time.Parse(time.RFC3339Nano, at)
		out[a.version] = a
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("migrate: read %s: %w", Table, err)
	}
	return out, nil
}

// locked runs fn holding the lock, with the version table created, read
// and checked; conn is the connection that holds the lock (nil on SQLite),
// on which the migrations run. The lock comes first: runners that start
// together on a fresh database would otherwise all create the table at
// once (see ensureTable).
func (r *Runner) locked(ctx context.Context, fn func(conn *sql.Conn, done map[int64]applied) error) error {
	release, conn, err := r.lock(ctx)
	if err != nil {
		return err
	}
	defer release()
	if err := r.ensureTable(ctx, conn); err != nil {
		return err
	}
	done, err := r.appliedOn(ctx, conn)
	if err != nil {
		return err
	}
	if err := r.check(done); err != nil {
		return err
	}
	return fn(conn, done)
}

// Lock takes the migration lock of the database, waiting up to the
// runner's LockTimeout for another holder (then ErrLocked), and returns
// the function that releases it. Up and Down take it themselves; Lock is
// for a program that must not start while migrations run. On PostgreSQL
// it is an advisory lock and on MySQL a named lock (GET_LOCK), both held
// by one connection and released by the server if the process dies; on
// SQLite it is a row of the table sqlservice_migrations_lock, which a
// process that died holding it leaves behind (delete the row).
func (r *Runner) Lock(ctx context.Context) (release func() error, err error) {
	release, _, err = r.lock(ctx)
	return release, err
}

func (r *Runner) lock(ctx context.Context) (release func() error, held *sql.Conn, err error) {
	ctx = session.Primary(ctx)
	deadline := time.Now().Add(r.lockTimeout)
	var try func() (bool, error)
	var unlock func() error
	switch lockQ, unlockQ := r.c.Dialect().AdvisoryLock("sqlservice_migrate_", Table); {
	case lockQ != "":
		conn, err := r.c.DB().Conn(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("migrate: lock: %w", err)
		}
		held = conn
		try = func() (bool, error) {
			var ok bool
			err := conn.QueryRowContext(ctx, lockQ).Scan(&ok)
			return ok, err
		}
		unlock = func() error {
			defer conn.Close()
			var ignored sql.NullBool
			return conn.QueryRowContext(context.WithoutCancel(ctx), unlockQ).Scan(&ignored)
		}
		defer func() {
			if err != nil {
				conn.Close()
			}
		}()
	default:
		lt := r.c.Dialect().Quote(Table + "_lock")
		try = func() (bool, error) {
			// SQLite answers "database is locked" at once, without its busy
			// timeout, to runners that start together on a new file (one of
			// them is switching it to WAL): that is the lock not taken yet
			// (below), so the table is created in the same attempt.
			if _, err := r.c.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+lt+" (id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1), since VARCHAR(40) NOT NULL)"); err != nil {
				return false, err
			}
			res, err := r.c.Exec(ctx, "INSERT INTO "+lt+" (id, since) VALUES (1, ?) ON CONFLICT (id) DO NOTHING", time.Now().UTC().Format(time.RFC3339))
			if err != nil {
				return false, err
			}
			n, err := res.RowsAffected()
			return n == 1, err
		}
		unlock = func() error {
			_, err := r.c.Exec(context.WithoutCancel(ctx), "DELETE FROM "+lt+" WHERE id = 1")
			return err
		}
	}
	for {
		ok, err := try()
		if err != nil && !errors.Is(err, session.ErrRetryable) {
			return nil, nil, fmt.Errorf("migrate: lock: %w", err)
		}
		if ok {
			return unlock, held, nil
		}
		if time.Now().After(deadline) {
			return nil, nil, fmt.Errorf("%w (waited %s)", ErrLocked, r.lockTimeout)
		}
		select {
		case <-ctx.Done():
			return nil, nil, fmt.Errorf("migrate: lock: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
