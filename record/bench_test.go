package record_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// BenchUser is the benchmark model: the same shape as the peers' benchmark
// in the bench module.
type BenchUser struct {
	record.Base[BenchUser]
	ID        int64     `db:"id,pk,autoincrement"`
	Name      string    `db:"name"`
	Email     string    `db:"email"`
	Phone     string    `db:"phone"`
	Age       int       `db:"age"`
	CreatedAt time.Time `db:"created_at"`
}

const benchRows = 10000

// benchDB opens one SQLite file (WAL) with benchRows rows through the
// library, and returns the client and its *sql.DB for the raw baseline.
// BENCH_DIALECT=mysql or postgres runs the benchmarks on a fresh database
// of the server that SQLSERVICE_MYSQL_URI or SQLSERVICE_POSTGRES_URI names
// instead, dropped afterwards.
func benchDB(b *testing.B) (context.Context, *session.Client) {
	b.Helper()
	uri := "sqlite:///" + filepath.Join(b.TempDir(), "bench.db")
	if d := os.Getenv("BENCH_DIALECT"); d != "" && d != "sqlite" {
		uri = dbtest.URI(b, d)
	}
	db, err := session.Open(session.Config{DatabaseURI: uri})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	db.DB().SetMaxOpenConns(1)
	ctx := db.Context(context.Background())
	if err := db.CreateAll(ctx, BenchUser{}); err != nil {
		b.Fatal(err)
	}
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	err = db.Transaction(ctx, func(ctx context.Context) error {
		for i := range benchRows {
			u := &BenchUser{Name: fmt.Sprintf("User %05d", i), Email: fmt.Sprintf("u%05d@example.com", i), Phone: "555-0100", Age: i % 90, CreatedAt: now}
			if err := u.Save(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return ctx, db
}

// prepare prepares a raw baseline statement written with "double quoted"
// identifiers and ? placeholders, rewritten for the client's dialect.
func prepare(b *testing.B, c *session.Client, q string) *sql.Stmt {
	switch c.Dialect().Name() {
	case "mysql":
		q = strings.ReplaceAll(q, `"`, "`")
	case "postgres":
		var sb strings.Builder
		n := 0
		for _, r := range q {
			if r == '?' {
				n++
				sb.WriteString("$" + strconv.Itoa(n))
				continue
			}
			sb.WriteRune(r)
		}
		q = sb.String()
	}
	st, err := c.DB().Prepare(q)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

func BenchmarkGet(b *testing.B) {
	b.Run("lib=raw", func(b *testing.B) {
		ctx, db := benchDB(b)
		st := prepare(b, db, `SELECT "id", "name", "email", "phone", "age", "created_at" FROM "bench_user" WHERE "id" = ?`)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			var u BenchUser
			id := int64(i%benchRows + 1)
			if err := st.QueryRowContext(ctx, id).Scan(&u.ID, &u.Name, &u.Email, &u.Phone, &u.Age, &u.CreatedAt); err != nil || u.ID != id {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("lib=sqlservice", func(b *testing.B) {
		ctx, _ := benchDB(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			id := int64(i%benchRows + 1)
			u, err := record.Get[BenchUser](ctx, id)
			if err != nil || u.ID != id {
				b.Fatal(err)
			}
			i++
		}
	})
}

func BenchmarkSaveInsert(b *testing.B) {
	now := time.Now().UTC()
	b.Run("lib=raw", func(b *testing.B) {
		ctx, db := benchDB(b)
		const ins = `INSERT INTO "bench_user" ("name", "email", "phone", "age", "created_at") VALUES (?, ?, ?, ?, ?)`
		if db.Dialect().Returning() {
			st := prepare(b, db, ins+` RETURNING "id"`)
			b.ReportAllocs()
			for b.Loop() {
				u := &BenchUser{Name: "New", Email: "new@example.com", Phone: "555", Age: 30, CreatedAt: now}
				if err := st.QueryRowContext(ctx, u.Name, u.Email, u.Phone, u.Age, u.CreatedAt).Scan(&u.ID); err != nil || u.ID == 0 {
					b.Fatal(err)
				}
			}
			return
		}
		st := prepare(b, db, ins)
		b.ReportAllocs()
		for b.Loop() {
			u := &BenchUser{Name: "New", Email: "new@example.com", Phone: "555", Age: 30, CreatedAt: now}
			res, err := st.ExecContext(ctx, u.Name, u.Email, u.Phone, u.Age, u.CreatedAt)
			if err != nil {
				b.Fatal(err)
			}
			if u.ID, err = res.LastInsertId(); err != nil || u.ID == 0 {
				b.Fatal(err)
			}
		}
	})
	b.Run("lib=sqlservice", func(b *testing.B) {
		ctx, _ := benchDB(b)
		b.ReportAllocs()
		for b.Loop() {
			u := &BenchUser{Name: "New", Email: "new@example.com", Phone: "555", Age: 30, CreatedAt: now}
			if err := u.Save(ctx); err != nil || u.ID == 0 {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSaveUpdate(b *testing.B) {
	b.Run("lib=raw", func(b *testing.B) {
		ctx, db := benchDB(b)
		st := prepare(b, db, `UPDATE "bench_user" SET "name" = ? WHERE "id" = ?`)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := st.ExecContext(ctx, fmt.Sprint("name ", i), int64(i%benchRows+1)); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("lib=sqlservice", func(b *testing.B) {
		ctx, _ := benchDB(b)
		users, err := record.Query[BenchUser](ctx).Limit(1000).All()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			u := users[i%len(users)]
			u.Name = fmt.Sprint("name ", i)
			if err := u.Save(ctx); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

func BenchmarkQueryAll100(b *testing.B) {
	b.Run("lib=raw", func(b *testing.B) {
		ctx, db := benchDB(b)
		st := prepare(b, db, `SELECT "id", "name", "email", "phone", "age", "created_at" FROM "bench_user" WHERE "id" > ? ORDER BY "id" LIMIT 100`)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			rows, err := st.QueryContext(ctx, int64(i%(benchRows-100)))
			if err != nil {
				b.Fatal(err)
			}
			us := make([]*BenchUser, 0, 100)
			for rows.Next() {
				u := new(BenchUser)
				if err := rows.Scan(&u.ID, &u.Name, &u.Email, &u.Phone, &u.Age, &u.CreatedAt); err != nil {
					b.Fatal(err)
				}
				us = append(us, u)
			}
			rows.Close()
			if len(us) != 100 {
				b.Fatal(len(us))
			}
			i++
		}
	})
	b.Run("lib=sqlservice", func(b *testing.B) {
		ctx, _ := benchDB(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			us, err := record.Query[BenchUser](ctx).Where(builder.Gt{"id": int64(i % (benchRows - 100))}).OrderBy("id").Limit(100).All()
			if err != nil || len(us) != 100 {
				b.Fatal(err, len(us))
			}
			i++
		}
	})
}

func BenchmarkTx(b *testing.B) {
	now := time.Now().UTC()
	b.Run("lib=raw", func(b *testing.B) {
		ctx, db := benchDB(b)
		st := prepare(b, db, `INSERT INTO "bench_user" ("name", "email", "phone", "age", "created_at") VALUES (?, ?, ?, ?, ?)`)
		b.ReportAllocs()
		for b.Loop() {
			tx, err := db.DB().BeginTx(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tx.StmtContext(ctx, st).ExecContext(ctx, "Tx", "tx@example.com", "555", 30, now); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("lib=sqlservice", func(b *testing.B) {
		ctx, db := benchDB(b)
		b.ReportAllocs()
		for b.Loop() {
			err := db.Transaction(ctx, func(ctx context.Context) error {
				return (&BenchUser{Name: "Tx", Email: "tx@example.com", Phone: "555", Age: 30, CreatedAt: now}).Save(ctx)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// HookedBenchUser is BenchUser with one no-op hook method.
type HookedBenchUser struct {
	record.Base[HookedBenchUser]
	ID        int64     `db:"id,pk,autoincrement"`
	Name      string    `db:"name"`
	Email     string    `db:"email"`
	Phone     string    `db:"phone"`
	Age       int       `db:"age"`
	CreatedAt time.Time `db:"created_at"`
}

func (*HookedBenchUser) BeforeSave(context.Context) error { return nil }

// BenchmarkHooksCost shows what hooks cost a Save, and that a model without
// any pays nothing for the event machinery (compare with BenchmarkSaveInsert
// lib=raw).
func BenchmarkHooksCost(b *testing.B) {
	now := time.Now().UTC()
	b.Run("handlers=none", func(b *testing.B) {
		ctx, _ := benchDB(b)
		b.ReportAllocs()
		for b.Loop() {
			if err := (&BenchUser{Name: "New", Email: "new@example.com", Phone: "555", Age: 30, CreatedAt: now}).Save(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("handlers=1", func(b *testing.B) {
		ctx, db := benchDB(b)
		if err := db.CreateAll(ctx, HookedBenchUser{}); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if err := (&HookedBenchUser{Name: "New", Email: "new@example.com", Phone: "555", Age: 30, CreatedAt: now}).Save(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
