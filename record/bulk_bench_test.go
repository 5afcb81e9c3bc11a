package record_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// bulkRows is the size of one bulk operation in the bulk benchmarks.
const bulkRows = 10_000

// bulkDB opens an empty SQLite file (WAL, as every SQLite file the client
// opens) with the BenchUser table.
func bulkDB(b *testing.B) (context.Context, *session.Client) {
	b.Helper()
	db, err := session.Open(session.Config{DatabaseURI: "sqlite:///" + filepath.Join(b.TempDir(), "bulk.db")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	ctx := db.Context(context.Background())
	if err := db.CreateAll(ctx, BenchUser{}); err != nil {
		b.Fatal(err)
	}
	return ctx, db
}

var benchNow = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func benchUsers(n int) []*BenchUser {
	us := make([]*BenchUser, n)
	for i := range us {
		us[i] = &BenchUser{Name: fmt.Sprintf("User %05d", i), Email: fmt.Sprintf("u%05d@example.com", i), Phone: "555-0100", Age: i % 90, CreatedAt: benchNow}
	}
	return us
}

// rawMultiInsert is the hand-written baseline: multi-row INSERTs of as
// many rows as SQLite binds in one statement, in one transaction.
func rawMultiInsert(ctx context.Context, db *sql.DB, us []*BenchUser) error {
	const cols = 5
	per := 32766 / cols
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	args := make([]any, 0, per*cols)
	for start := 0; start < len(us); start += per {
		chunk := us[start:min(start+per, len(us))]
		var q strings.Builder
		q.WriteString(`INSERT INTO "bench_user" ("name", "email", "phone", "age", "created_at") VALUES `)
		args = args[:0]
		for i, u := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?)")
			args = append(args, u.Name, u.Email, u.Phone, u.Age, u.CreatedAt)
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func BenchmarkBulkInsert(b *testing.B) {
	us := benchUsers(bulkRows)
	b.Run("lib=raw", func(b *testing.B) {
		ctx, db := bulkDB(b)
		b.ReportAllocs()
		for b.Loop() {
			if err := rawMultiInsert(ctx, db.DB(), us); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("lib=sqlservice", func(b *testing.B) {
		ctx, _ := bulkDB(b)
		b.ReportAllocs()
		for b.Loop() {
			n, err := record.BulkInsert[BenchUser](ctx, us)
			if err != nil || n != bulkRows {
				b.Fatal(n, err)
			}
		}
	})
	b.Run("lib=sqlservice/maps", func(b *testing.B) {
		ctx, _ := bulkDB(b)
		rows := make([]map[string]any, len(us))
		for i, u := range us {
			rows[i] = map[string]any{"name": u.Name, "email": u.Email, "phone": u.Phone, "age": u.Age, "created_at": u.CreatedAt}
		}
		b.ReportAllocs()
		for b.Loop() {
			n, err := record.BulkInsert[BenchUser](ctx, rows)
			if err != nil || n != bulkRows {
				b.Fatal(n, err)
			}
		}
	})
}

// diffInput loads bulkRows rows and returns them as maps (previous) and a
// copy with every tenth row's name changed (rows).
func diffInput(b *testing.B, ctx context.Context) (previous, rows []map[string]any) {
	b.Helper()
	if _, err := record.BulkInsert[BenchUser](ctx, benchUsers(bulkRows)); err != nil {
		b.Fatal(err)
	}
	us, err := record.Query[BenchUser](ctx).All()
	if err != nil {
		b.Fatal(err)
	}
	for i, u := range us {
		prev := u.ToMap()
		row := u.ToMap()
		if i%10 == 0 {
			row["name"] = fmt.Sprintf("Renamed %05d", i)
		}
		previous = append(previous, prev)
		rows = append(rows, row)
	}
	return previous, rows
}

// rawDiffUpdate is the hand-written baseline: compare each row with its
// previous row, then UPDATE the changed columns of each changed row with a
// statement prepared once per set of columns, in one transaction.
func rawDiffUpdate(ctx context.Context, db *sql.DB, previous, rows []map[string]any) (int, error) {
	prev := make(map[int64]map[string]any, len(previous))
	for _, p := range previous {
		prev[p["id"].(int64)] = p
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	stmts := map[string]*sql.Stmt{}
	cols := []string{"name", "email", "phone", "age", "created_at"}
	var set []string
	var args []any
	updated := 0
	for _, r := range rows {
		id := r["id"].(int64)
		p := prev[id]
		set, args = set[:0], args[:0]
		for _, c := range cols {
			if r[c] != p[c] {
				set = append(set, c)
				args = append(args, r[c])
			}
		}
		if len(set) == 0 {
			continue
		}
		key := strings.Join(set, ",")
		st := stmts[key]
		if st == nil {
			q := `UPDATE "bench_user" SET "` + strings.Join(set, `" = ?, "`) + `" = ? WHERE "id" = ?`
			if st, err = tx.PrepareContext(ctx, q); err != nil {
				return 0, err
			}
			stmts[key] = st
		}
		if _, err := st.ExecContext(ctx, append(args, id)...); err != nil {
			return 0, err
		}
		updated++
	}
	return updated, tx.Commit()
}

func BenchmarkBulkDiffUpdate(b *testing.B) {
	b.Run("lib=raw", func(b *testing.B) {
		ctx, db := bulkDB(b)
		previous, rows := diffInput(b, ctx)
		b.ReportAllocs()
		for b.Loop() {
			n, err := rawDiffUpdate(ctx, db.DB(), previous, rows)
			if err != nil || n != bulkRows/10 {
				b.Fatal(n, err)
			}
		}
	})
	b.Run("lib=sqlservice", func(b *testing.B) {
		ctx, _ := bulkDB(b)
		previous, rows := diffInput(b, ctx)
		b.ReportAllocs()
		for b.Loop() {
			res, err := record.BulkDiffUpdate[BenchUser](ctx, []string{"id"}, previous, rows)
			if err != nil || res.Updated != bulkRows/10 {
				b.Fatal(res, err)
			}
		}
	})
}
