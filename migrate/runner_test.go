package migrate_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/migrate"
	"github.com/sqlservice/sqlservice/session"
)

func write(t *testing.T, dir, name, text string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
}

func tableExists(t *testing.T, db *dbtest.DB, name string) bool {
	t.Helper()
	require.NoError(t, db.Reflect(context.Background()))
	_, ok := db.Tables()[name]
	return ok
}

func TestRunnerAppliesInOrderAndUndoesOneAtATime(t *testing.T) {
	dbtest.Each(t, dbtest.Options{}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		dir := t.TempDir()
		write(t, dir, "0002_b.up.sql", "CREATE TABLE mg_b (id INTEGER NOT NULL PRIMARY KEY, a_id INTEGER NOT NULL REFERENCES mg_a (id));\n-- a comment; with a semicolon\nINSERT INTO mg_b (id, a_id) VALUES (1, 1);")
		write(t, dir, "0002_b.down.sql", "DROP TABLE mg_b;")
		write(t, dir, "0001_a.up.sql", "CREATE TABLE mg_a (id INTEGER NOT NULL PRIMARY KEY, note VARCHAR(20) DEFAULT 'x;y');\nINSERT INTO mg_a (id) VALUES (1);")
		write(t, dir, "0001_a.down.sql", "DROP TABLE mg_a;")
		write(t, dir, "README.md", "not a migration")
		r, err := migrate.New(db.Client, os.DirFS(dir))
		require.NoError(t, err)

		ran, err := r.UpTo(ctx, 1)
		require.NoError(t, err)
		require.Len(t, ran, 1)
		assert.True(t, tableExists(t, db, "mg_a"))
		assert.False(t, tableExists(t, db, "mg_b"))
		ran, err = r.Up(ctx)
		require.NoError(t, err)
		require.Len(t, ran, 1)
		assert.Equal(t, "b", ran[0].Name)
		ran, err = r.Up(ctx)
		require.NoError(t, err)
		assert.Empty(t, ran, "nothing left to apply")
		var note string
		require.NoError(t, db.DB().QueryRowContext(ctx, "SELECT note FROM mg_a WHERE id = 1").Scan(&note))
		assert.Equal(t, "x;y", note, "a semicolon inside a literal does not split")

		m, err := r.Down(ctx)
		require.NoError(t, err)
		assert.Equal(t, int64(2), m.Version)
		assert.False(t, tableExists(t, db, "mg_b"))
		assert.True(t, tableExists(t, db, "mg_a"))
		m, err = r.Down(ctx)
		require.NoError(t, err)
		assert.Equal(t, int64(1), m.Version)
		m, err = r.Down(ctx)
		require.NoError(t, err)
		assert.Nil(t, m, "nothing left to undo")
	})
}

func TestRunnerRefusesAnEditedAppliedFile(t *testing.T) {
	dbtest.Each(t, dbtest.Options{}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		dir := t.TempDir()
		write(t, dir, "0001_a.up.sql", "CREATE TABLE mg_c (id INTEGER NOT NULL PRIMARY KEY);")
		write(t, dir, "0001_a.down.sql", "DROP TABLE mg_c;")
		r, err := migrate.New(db.Client, os.DirFS(dir))
		require.NoError(t, err)
		_, err = r.Up(ctx)
		require.NoError(t, err)

		write(t, dir, "0001_a.up.sql", "CREATE TABLE mg_c (id INTEGER NOT NULL PRIMARY KEY, x INTEGER);")
		write(t, dir, "0002_b.up.sql", "CREATE TABLE mg_d (id INTEGER NOT NULL PRIMARY KEY);")
		r, err = migrate.New(db.Client, os.DirFS(dir))
		require.NoError(t, err)
		_, err = r.Up(ctx)
		require.ErrorIs(t, err, migrate.ErrChecksum)
		assert.Contains(t, err.Error(), "1_a")
		assert.False(t, tableExists(t, db, "mg_d"), "nothing runs after the check fails")
		_, err = r.Down(ctx)
		require.ErrorIs(t, err, migrate.ErrChecksum)
		st, err := r.Status(ctx)
		require.NoError(t, err)
		require.Len(t, st, 2)
		assert.True(t, st[0].Changed)
		assert.False(t, st[1].Applied)
	})
}

func TestRunnerRefusesOutOfOrderAndMissingFiles(t *testing.T) {
	dbtest.Each(t, dbtest.Options{}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		dir := t.TempDir()
		write(t, dir, "0002_b.up.sql", "CREATE TABLE mg_e (id INTEGER NOT NULL PRIMARY KEY);")
		r, err := migrate.New(db.Client, os.DirFS(dir))
		require.NoError(t, err)
		_, err = r.Up(ctx)
		require.NoError(t, err)

		write(t, dir, "0001_a.up.sql", "CREATE TABLE mg_f (id INTEGER NOT NULL PRIMARY KEY);")
		r, err = migrate.New(db.Client, os.DirFS(dir))
		require.NoError(t, err)
		_, err = r.Up(ctx)
		require.ErrorIs(t, err, migrate.ErrOutOfOrder)
		assert.False(t, tableExists(t, db, "mg_f"))

		require.NoError(t, os.Remove(filepath.Join(dir, "0001_a.up.sql")))
		require.NoError(t, os.Remove(filepath.Join(dir, "0002_b.up.sql")))
		r, err = migrate.New(db.Client, os.DirFS(dir))
		require.NoError(t, err)
		_, err = r.Up(ctx)
		require.ErrorIs(t, err, migrate.ErrMissing)
		st, err := r.Status(ctx)
		require.NoError(t, err)
		require.Len(t, st, 1)
		assert.True(t, st[0].Missing)
		_, err = r.Down(ctx)
		require.ErrorIs(t, err, migrate.ErrMissing)
	})
}

func TestAFailingMigrationIsNotRecorded(t *testing.T) {
	dbtest.Each(t, dbtest.Options{}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		dir := t.TempDir()
		write(t, dir, "0001_bad.up.sql", "CREATE TABLE mg_g (id INTEGER NOT NULL PRIMARY KEY);\nCREATE TABLE mg_g (id INTEGER NOT NULL PRIMARY KEY);")
		r, err := migrate.New(db.Client, os.DirFS(dir))
		require.NoError(t, err)
		_, err = r.Up(ctx)
		var me *migrate.MigrationError
		require.ErrorAs(t, err, &me)
		assert.Equal(t, int64(1), me.Version)
		assert.Contains(t, err.Error(), "mg_g")
		st, err := r.Status(ctx)
		require.NoError(t, err)
		assert.False(t, st[0].Applied)
		// PostgreSQL and SQLite roll the whole file back; MySQL commits
		// each DDL statement, so its first statement stays (documented).
		assert.Equal(t, db.Dialect == "mysql", tableExists(t, db, "mg_g"))
	})
}

func TestOneRunnerAtATime(t *testing.T) {
	dbtest.Each(t, dbtest.Options{}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		dir := t.TempDir()
		write(t, dir, "0001_a.up.sql", "CREATE TABLE mg_h (id INTEGER NOT NULL PRIMARY KEY);")
		r1, err := migrate.New(db.Client, os.DirFS(dir))
		require.NoError(t, err)
		r2, err := migrate.New(db.Client, os.DirFS(dir), migrate.LockTimeout(200*time.Millisecond))
		require.NoError(t, err)
		release, err := r1.Lock(ctx)
		require.NoError(t, err)
		_, err = r2.Up(ctx)
		require.ErrorIs(t, err, migrate.ErrLocked)
		assert.False(t, tableExists(t, db, "mg_h"))
		require.NoError(t, release())

		// Runners started together: the migration runs exactly once.
		var wg sync.WaitGroup
		errs := make([]error, 4)
		counts := make([]int, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := migrate.New(db.Client, os.DirFS(dir))
				if err != nil {
					errs[i] = err
					return
				}
				ran, err := r.Up(ctx)
				errs[i], counts[i] = err, len(ran)
			}()
		}
		wg.Wait()
		total := 0
		for i := range errs {
			require.NoError(t, errs[i])
			total += counts[i]
		}
		assert.Equal(t, 1, total)
	})
}

func TestLoadRefusesFilesItCannotRead(t *testing.T) {
	cases := map[string]fstest.MapFS{
		"a name without a number":         {"a.up.sql": {Data: []byte("x")}},
		"a down file without its up":      {"0001_a.down.sql": {Data: []byte("x")}},
		"one version with two names":      {"0001_a.up.sql": {Data: []byte("x")}, "0001_b.up.sql": {Data: []byte("x")}},
		"one version, two up files":       {"0001_a.up.sql": {Data: []byte("x")}, "01_a.up.sql": {Data: []byte("x")}},
		"neither up nor down in the name": {"0001_a.sql": {Data: []byte("x")}},
	}
	for name, fsys := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := migrate.Load(fsys)
			require.Error(t, err)
			assert.True(t, errors.Is(err, migrate.ErrBadFile), err.Error())
		})
	}
	ms, err := migrate.Load(fstest.MapFS{"10_b.up.sql": {Data: []byte("x\r\n")}, "9_a.up.sql": {Data: []byte("y")}, "notes.txt": {Data: []byte("z")}})
	require.NoError(t, err)
	require.Len(t, ms, 2)
	assert.Equal(t, int64(9), ms[0].Version, "by number, not by name")
	assert.Equal(t, "x\n", ms[1].Up, "line endings as \\n, so a checkout on Windows keeps the checksum")
}

func TestSplitKeepsQuotedTextCommentsAndBlocksWhole(t *testing.T) {
	cases := []struct {
		name string
		sql  string
		want []string
	}{
		{"plain", "A; B;\nC", []string{"A", "B", "C"}},
		{"string literal", "INSERT INTO t VALUES ('a;b', 'it''s;');X", []string{"INSERT INTO t VALUES ('a;b', 'it''s;')", "X"}},
		{"quoted identifiers", "SELECT \"a;b\", `c;d` FROM t; Y", []string{"SELECT \"a;b\", `c;d` FROM t", "Y"}},
		{"line comment", "A -- not; a split\n; B", []string{"A -- not; a split", "B"}},
		{"block comment", "A /* ; */; B", []string{"A /* ; */", "B"}},
		{"comment only", "-- nothing here;\n", nil},
		{"dollar quotes", "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql; B", []string{"CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql", "B"}},
		{"tagged dollar quotes", "DO $x$ BEGIN PERFORM 1; END $x$; B", []string{"DO $x$ BEGIN PERFORM 1; END $x$", "B"}},
		{"a parameter is not a dollar quote", "SELECT $1; B", []string{"SELECT $1", "B"}},
		{"marked block", "A;\n-- sqlservice:begin\nCREATE TRIGGER t AFTER INSERT ON x BEGIN UPDATE y SET n = 1; END;\n-- sqlservice:end\nB;", []string{"A", "CREATE TRIGGER t AFTER INSERT ON x BEGIN UPDATE y SET n = 1; END;", "B"}},
		{"a backslash is a character in standard SQL", `INSERT INTO t VALUES ('C:\'); C`, []string{`INSERT INTO t VALUES ('C:\')`, "C"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, migrate.Split(tc.sql))
		})
	}
	assert.Equal(t, []string{`INSERT INTO t VALUES ('a\';b')`, "C"}, migrate.SplitFor("mysql", `INSERT INTO t VALUES ('a\';b'); C`),
		"MySQL reads a backslash escape")
	assert.Equal(t, []string{`INSERT INTO t VALUES ('C:\')`, "C"}, migrate.SplitFor("postgres", `INSERT INTO t VALUES ('C:\'); C`))
}

func TestCreateNumbersTheNextMigration(t *testing.T) {
	dir := t.TempDir()
	m, err := migrate.Create(dir, "first", "A;", "B;")
	require.NoError(t, err)
	assert.Equal(t, "0001_first.up.sql", m.UpFile)
	m, err = migrate.Create(dir, "second-one", "C;", "")
	require.NoError(t, err)
	assert.Equal(t, "0002_second-one.down.sql", m.DownFile)
	_, err = migrate.Create(dir, "bad name", "", "")
	require.Error(t, err)
	ms, err := migrate.Load(os.DirFS(dir))
	require.NoError(t, err)
	require.Len(t, ms, 2)
	assert.Equal(t, "C;", ms[1].Up)
}

func TestRunnerWorksOnAPoolOfOneConnection(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Config: session.Config{PoolSize: 1}}, func(t *testing.T, db *dbtest.DB) {
		ctx, cancel := context.WithTimeout(db.Ctx(), 20*time.Second)
		defer cancel()
		dir := t.TempDir()
		write(t, dir, "0001_a.up.sql", "CREATE TABLE mg_i (id INTEGER NOT NULL PRIMARY KEY);")
		write(t, dir, "0001_a.down.sql", "DROP TABLE mg_i;")
		r, err := migrate.New(db.Client, os.DirFS(dir))
		require.NoError(t, err)
		_, err = r.Up(ctx)
		require.NoError(t, err, "the migration runs on the connection that holds the lock")
		_, err = r.Down(ctx)
		require.NoError(t, err)
	})
}

// Status does not take the lock, so programs that ask for it at once on a
// fresh database all create the version table together; none may fail.
func TestStatusTogetherOnAFreshDatabase(t *testing.T) {
	dbtest.Each(t, dbtest.Options{}, func(t *testing.T, db *dbtest.DB) {
		dir := t.TempDir()
		write(t, dir, "0001_a.up.sql", "CREATE TABLE mg_status (id INTEGER NOT NULL PRIMARY KEY);")
		const n = 6
		runners := make([]*migrate.Runner, n)
		for i := range runners {
			c, err := session.Open(session.Config{DatabaseURI: db.URI})
			require.NoError(t, err)
			t.Cleanup(func() { c.Close() })
			runners[i], err = migrate.New(c, os.DirFS(dir))
			require.NoError(t, err)
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, n)
		for i, r := range runners {
			wg.Go(func() {
				<-start
				var st []migrate.Status
				st, errs[i] = r.Status(t.Context())
				if errs[i] == nil && (len(st) != 1 || st[0].Applied) {
					errs[i] = fmt.Errorf("status %+v: want one pending migration", st)
				}
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			assert.NoError(t, err, "runner %d", i)
		}
	})
}
