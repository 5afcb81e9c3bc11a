package session_test

import (
	"bytes"
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// Slug is a custom column type (driver.Valuer and sql.Scanner).
type Slug struct{ V string }

func (s Slug) Value() (driver.Value, error) { return s.V, nil }

func (s *Slug) Scan(src any) error {
	switch v := src.(type) {
	case string:
		s.V = v
	case []byte:
		s.V = string(v)
	case nil:
		s.V = ""
	default:
		return fmt.Errorf("slug: cannot scan %T", src)
	}
	return nil
}

type DdlOwner struct {
	record.Base[DdlOwner]
	ID   Slug   `db:"id,pk"` // a custom type as primary key
	Name string `db:"name,size=20"`
}

// DdlAll has a field of every storage class and every column option.
type DdlAll struct {
	record.Base[DdlAll]
	ID      int64           `db:"id,pk,autoincrement"`
	Flag    bool            `db:"flag"`
	I8      int8            `db:"i8"`
	I16     int16           `db:"i16"`
	I32     int32           `db:"i32"`
	I64     int64           `db:"i64"`
	U8      uint8           `db:"u8"`
	U16     uint16          `db:"u16"`
	U32     uint32          `db:"u32"`
	U64     uint64          `db:"u64"`
	F32     float32         `db:"f32"`
	F64     float64         `db:"f64"`
	Str     string          `db:"str"`
	Sized   string          `db:"sized,size=40"`
	Big     string          `db:"big,size=20000"`
	Bytes   []byte          `db:"bytes"`
	Small   []byte          `db:"small,size=16"`
	At      time.Time       `db:"at"`
	Doc     json.RawMessage `db:"doc"`
	Custom  Slug            `db:"custom"`
	Code    string          `db:"code,unique"`
	Hash    []byte          `db:"hash,unique"`
	Ref     Slug            `db:"ref,unique"`
	Tag     string          `db:"tag,size=30,index"`
	Note    *string         `db:"note,size=20,default='none'"`
	Count   *int            `db:"count,default=7"`
	Typed   string          `db:"typed,type=VARCHAR(7)"`
	OwnerID *Slug           `db:"owner_id,fk=ddl_owner.id,index"`
}

// intWidth strips MariaDB's display widths ("int(11)") that MySQL 8 no
// longer prints; tinyint(1) is how both spell BOOLEAN.
var intWidth = regexp.MustCompile(`^((?:tiny|small|medium|big)?int)\((?:[02-9]|\d\d+)\)`)

func TestDDLTypeMapping(t *testing.T) {
	want := map[string]map[string]string{
		"sqlite": {
			"id": "INTEGER", "flag": "BOOLEAN", "i8": "INTEGER", "i16": "INTEGER", "i32": "INTEGER", "i64": "INTEGER",
			"u8": "INTEGER", "u16": "INTEGER", "u32": "INTEGER", "u64": "INTEGER", "f32": "REAL", "f64": "REAL",
			"str": "TEXT", "sized": "VARCHAR(40)", "big": "VARCHAR(20000)", "bytes": "BLOB", "small": "BLOB",
			"at": "DATETIME", "doc": "TEXT", "custom": "TEXT", "code": "TEXT", "hash": "BLOB", "ref": "TEXT",
			"tag": "VARCHAR(30)", "note": "VARCHAR(20)", "count": "INTEGER", "typed": "VARCHAR(7)", "owner_id": "TEXT",
		},
		"mysql": {
			"id": "bigint", "flag": "tinyint(1)", "i8": "tinyint", "i16": "smallint", "i32": "int", "i64": "bigint",
			"u8": "tinyint unsigned", "u16": "smallint unsigned", "u32": "int unsigned", "u64": "bigint unsigned",
			"f32": "float", "f64": "double", "str": "longtext", "sized": "varchar(40)", "big": "mediumtext",
			"bytes": "longblob", "small": "varbinary(16)", "at": "datetime(6)", "doc": "longtext", "custom": "longtext",
			"code": "varchar(255)", "hash": "varbinary(255)", "ref": "varchar(255)", "tag": "varchar(30)",
			"note": "varchar(20)", "count": "bigint", "typed": "varchar(7)", "owner_id": "varchar(255)",
		},
		"postgres": {
			"id": "bigint", "flag": "boolean", "i8": "smallint", "i16": "smallint", "i32": "integer", "i64": "bigint",
			"u8": "integer", "u16": "integer", "u32": "bigint", "u64": "numeric(20,0)", "f32": "real", "f64": "double precision",
			"str": "text", "sized": "character varying(40)", "big": "character varying(20000)", "bytes": "bytea", "small": "bytea",
			"at": "timestamp with time zone", "doc": "jsonb", "custom": "text", "code": "text", "hash": "bytea", "ref": "text",
			"tag": "character varying(30)", "note": "character varying(20)", "count": "bigint", "typed": "character varying(7)", "owner_id": "text",
		},
	}
	dbtest.Each(t, dbtest.Options{Models: []any{DdlOwner{}, DdlAll{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		require.NoError(t, db.Reflect(ctx))
		tables := db.Tables()
		require.Contains(t, tables, "ddl_all")
		require.Contains(t, tables, "ddl_owner")
		got := map[string]string{}
		var order []string
		notNull := map[string]bool{}
		for _, c := range tables["ddl_all"].Columns {
			typ := c.Type
			if db.Dialect == "mysql" {
				typ = intWidth.ReplaceAllString(typ, "$1")
			}
			got[c.Name] = typ
			order = append(order, c.Name)
			notNull[c.Name] = c.NotNull
			assert.Equal(t, c.Name == "id", c.PrimaryKey, "primary key flag of %s", c.Name)
		}
		assert.Equal(t, want[db.Dialect], got, "DDL types")
		assert.Equal(t, "id", order[0], "columns in field order")
		assert.Equal(t, "owner_id", order[len(order)-1])
		for _, name := range []string{"id", "flag", "i64", "str", "at", "code", "tag"} {
			assert.True(t, notNull[name], "%s: a Go type that cannot hold NULL is NOT NULL", name)
		}
		for _, name := range []string{"bytes", "doc", "custom", "note", "count", "owner_id"} {
			assert.False(t, notNull[name], "%s is nullable", name)
		}
		owner := tables["ddl_owner"].Columns
		require.Len(t, owner, 2)
		assert.True(t, owner[0].PrimaryKey)

		// The options, by behaviour.
		require.NoError(t, (&DdlOwner{ID: Slug{"acme"}, Name: "Acme"}).Save(ctx))
		acme := &Slug{"acme"}
		a := &DdlAll{Code: "c1", Hash: []byte{1}, Ref: Slug{"r1"}, OwnerID: acme, Doc: json.RawMessage(`{"a": 1}`)}
		require.NoError(t, a.Save(ctx))
		loaded, err := record.Get[DdlAll](ctx, a.ID)
		require.NoError(t, err)
		require.NotNil(t, loaded.Note, "a nil pointer with a default gets the default")
		assert.Equal(t, "none", *loaded.Note)
		require.NotNil(t, loaded.Count)
		assert.Equal(t, 7, *loaded.Count)
		require.NotNil(t, loaded.OwnerID)
		assert.Equal(t, "acme", loaded.OwnerID.V)
		var doc map[string]int
		require.NoError(t, json.Unmarshal(loaded.Doc, &doc))
		assert.Equal(t, map[string]int{"a": 1}, doc)

		for _, dup := range []*DdlAll{
			{Code: "c1", Hash: []byte{2}, Ref: Slug{"r2"}},
			{Code: "c2", Hash: []byte{1}, Ref: Slug{"r3"}},
			{Code: "c3", Hash: []byte{3}, Ref: Slug{"r1"}},
		} {
			assert.ErrorIs(t, dup.Save(ctx), session.ErrDuplicateKey, "unique")
		}
		err = (&DdlAll{Code: "c4", Hash: []byte{4}, Ref: Slug{"r4"}, OwnerID: &Slug{"nobody"}}).Save(ctx)
		assert.ErrorIs(t, err, session.ErrForeignKey, "fk")
		err = (&DdlOwner{ID: Slug{"acme"}, Name: "x"}).Save(ctx)
		assert.NoError(t, err, "a new record with an existing custom key upserts")

		indexSQL := map[string]string{
			"sqlite":   `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?`,
			"mysql":    `SELECT DISTINCT index_name FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ?`,
			"postgres": `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1`,
		}[db.Dialect]
		rows, err := db.Query(ctx, indexSQL, "ddl_all")
		require.NoError(t, err)
		var indexes []string
		for rows.Next() {
			var n string
			require.NoError(t, rows.Scan(&n))
			indexes = append(indexes, n)
		}
		require.NoError(t, rows.Err())
		rows.Close()
		assert.Contains(t, indexes, "ix_ddl_all_tag")
		assert.Contains(t, indexes, "ix_ddl_all_owner_id")
	})
}

func TestReflect(t *testing.T) {
	dbtest.Each(t, dbtest.Options{}, func(t *testing.T, db *dbtest.DB) {
		ctx := context.Background()
		require.NoError(t, db.Reflect(ctx))
		assert.Empty(t, db.Tables(), "a fresh database has no tables")

		_, err := db.Exec(ctx, `CREATE TABLE handmade (a INTEGER NOT NULL, b VARCHAR(10), c INTEGER NOT NULL, PRIMARY KEY (a, c))`)
		require.NoError(t, err)
		require.NoError(t, db.CreateAll(ctx, Account{}, Ledger{}))
		require.NoError(t, db.Reflect(ctx))
		tables := db.Tables()
		var names []string
		for n := range tables {
			names = append(names, n)
		}
		assert.ElementsMatch(t, []string{"account", "handmade", "ledger"}, names)
		hm := tables["handmade"]
		require.Len(t, hm.Columns, 3)
		var got []string
		for _, c := range hm.Columns {
			got = append(got, fmt.Sprintf("%s pk=%v notnull=%v", c.Name, c.PrimaryKey, c.NotNull))
		}
		assert.Equal(t, []string{"a pk=true notnull=true", "b pk=false notnull=false", "c pk=true notnull=true"}, got)

		require.NoError(t, db.DropAll(ctx, Account{}, Ledger{}))
		require.NoError(t, db.Reflect(ctx))
		assert.NotContains(t, db.Tables(), "account")
		assert.Contains(t, db.Tables(), "handmade", "DropAll leaves unregistered tables alone")
	})
}

func TestSavepoints(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Models: []any{Account{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		emails := func() []string {
			as, err := record.Query[Account](ctx).OrderBy("email").All()
			require.NoError(t, err)
			var out []string
			for _, a := range as {
				out = append(out, a.Email)
			}
			return out
		}
		save := func(ctx context.Context, email string) error { return (&Account{Email: email}).Save(ctx) }
		boom := errors.New("boom")

		err := db.Transaction(ctx, func(ctx context.Context) error {
			require.NoError(t, save(ctx, "outer1@x"))
			// A failing savepoint level undoes only its own work.
			err := db.Transaction(ctx, func(ctx context.Context) error {
				require.NoError(t, save(ctx, "undone@x"))
				return boom
			}, session.Savepoint())
			require.ErrorIs(t, err, boom)
			// A succeeding one is released and kept.
			require.NoError(t, db.Transaction(ctx, func(ctx context.Context) error {
				if err := save(ctx, "kept@x"); err != nil {
					return err
				}
				// Savepoints nest.
				err := db.Transaction(ctx, func(ctx context.Context) error {
					require.NoError(t, save(ctx, "inner-undone@x"))
					return boom
				}, session.Savepoint())
				require.ErrorIs(t, err, boom)
				return save(ctx, "kept2@x")
			}, session.Savepoint()))
			// A statement error inside a savepoint (which aborts the whole
			// transaction on PostgreSQL until ROLLBACK TO) is contained too.
			err = db.Transaction(ctx, func(ctx context.Context) error {
				_, err := db.Exec(ctx, "SELECT * FROM no_such_table")
				return err
			}, session.Savepoint())
			require.Error(t, err)
			return save(ctx, "outer2@x")
		})
		require.NoError(t, err)
		assert.Equal(t, []string{"kept2@x", "kept@x", "outer1@x", "outer2@x"}, emails())

		var sp, release, rollbackTo int
		for _, s := range db.Log() {
			switch {
			case strings.HasPrefix(s, "SAVEPOINT "):
				sp++
			case strings.HasPrefix(s, "RELEASE SAVEPOINT "):
				release++
			case strings.HasPrefix(s, "ROLLBACK TO SAVEPOINT "):
				rollbackTo++
			}
		}
		assert.Equal(t, 4, sp)
		assert.Equal(t, 4, release, "every savepoint is released")
		assert.Equal(t, 3, rollbackTo)

		// A savepoint at the outermost level is a plain transaction.
		err = db.Transaction(ctx, func(ctx context.Context) error {
			require.NoError(t, save(ctx, "top@x"))
			return boom
		}, session.Savepoint())
		assert.ErrorIs(t, err, boom)
		assert.NotContains(t, emails(), "top@x")
	})
}

// TestPasswordNeverShown opens real servers with a password that the
// server refuses and checks every place a URI or driver message could leak
// it.
func TestPasswordNeverShown(t *testing.T) {
	const secret = "S3cr3t-Pa55w0rd"
	for _, dialect := range []string{"mysql", "postgres"} {
		// Named "<dialect> server", not "<dialect>": a test of the network
		// servers only, outside the suite whose subtests CI counts per
		// dialect.
		t.Run(dialect+" server", func(t *testing.T) {
			u, err := url.Parse(dbtest.URI(t, dialect))
			require.NoError(t, err)
			user := "root" // the test server's root has no password: any is wrong
			if dialect == "postgres" {
				user = "sqlservice_no_such_role" // trust auth: refuse the role instead
			}
			u.User = url.UserPassword(user, secret)
			refused := *u
			refused.Host = "127.0.0.1:1"
			for name, uri := range map[string]string{"wrong password": u.String(), "connection refused": refused.String()} {
				t.Run(name, func(t *testing.T) {
					var logs bytes.Buffer
					db, err := session.Open(session.Config{DatabaseURI: uri, Echo: true, EchoPool: true,
						Logger: slog.New(slog.NewTextHandler(&logs, nil))})
					require.NoError(t, err)
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					var shown []string
					cfg := db.Config()
					var logged bytes.Buffer
					slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "cfg", cfg)
					slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "cfg", cfg, "client", db)
					shown = append(shown, db.String(), db.URI(), fmt.Sprint(cfg.Map()), logged.String(),
						fmt.Sprintf("%v %+v %s %#v", db, cfg, cfg, cfg), fmt.Sprintf("%v %+v", &cfg, []session.Config{cfg}))
					err = db.Ping(ctx)
					require.Error(t, err)
					shown = append(shown, err.Error(), fmt.Sprintf("%+v", err))
					_, err = record.Get[Account](db.Context(ctx), 1)
					require.Error(t, err)
					shown = append(shown, err.Error())
					_, err = db.Exec(ctx, "SELECT 1")
					require.Error(t, err)
					shown = append(shown, err.Error())
					err = db.Transaction(ctx, func(context.Context) error { return nil })
					require.Error(t, err)
					shown = append(shown, err.Error())
					require.NoError(t, db.Close())
					shown = append(shown, logs.String())
					for _, s := range shown {
						assert.NotContains(t, s, secret)
					}
					assert.Contains(t, db.String(), "***")
				})
			}

			// A URI the client cannot use is reported masked as well.
			bad := strings.Replace(u.String(), "/"+strings.TrimPrefix(u.Path, "/"), "/a/b", 1)
			_, err = session.Open(session.Config{DatabaseURI: bad})
			if err != nil {
				assert.NotContains(t, err.Error(), secret)
			}
			_, err = session.Open(session.Config{DatabaseURI: dialect + "://root:" + secret + "@127.0.0.1:notaport/db"})
			require.Error(t, err)
			assert.NotContains(t, err.Error(), secret)
			if dialect == "postgres" {
				_, err = session.Open(session.Config{DatabaseURI: "postgres://root:" + secret + "@127.0.0.1/db?sslmode=bogus"})
				require.ErrorIs(t, err, session.ErrBadURI, "pgx's settings are checked at Open")
				assert.NotContains(t, err.Error(), secret)
			}
		})
	}
}
