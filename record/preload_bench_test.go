package record_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// BenchParent has ten BenchChild rows each in the preload benchmark.
type BenchParent struct {
	record.Base[BenchParent]
	ID       int64  `db:"id,pk,autoincrement"`
	Name     string `db:"name"`
	Children []*BenchChild
}

type BenchChild struct {
	record.Base[BenchChild]
	ID       int64  `db:"id,pk,autoincrement"`
	ParentID int64  `db:"parent_id,fk=bench_parent.id,index"`
	Name     string `db:"name"`
	Value    int    `db:"value"`
}

const (
	benchParents  = 1000
	benchChildren = 10 // per parent
	benchPage     = 100
)

func preloadBenchDB(b *testing.B) (context.Context, *session.Client) {
	b.Helper()
	db, err := session.Open(session.Config{DatabaseURI: "sqlite:///" + filepath.Join(b.TempDir(), "preload.db")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	db.DB().SetMaxOpenConns(1)
	ctx := db.Context(context.Background())
	if err := db.CreateAll(ctx, BenchParent{}, BenchChild{}); err != nil {
		b.Fatal(err)
	}
	err = db.Transaction(ctx, func(ctx context.Context) error {
		for i := range benchParents {
			p := &BenchParent{Name: fmt.Sprintf("parent %04d", i)}
			for j := range benchChildren {
				p.Children = append(p.Children, &BenchChild{Name: fmt.Sprintf("child %d", j), Value: j})
			}
			if err := p.Save(ctx); err != nil {
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

// BenchmarkPreload100x10 loads 100 parents with their 10 children each: the
// library's Preload against hand-written database/sql doing the same two
// queries (both prepared, children grouped through a map).
func BenchmarkPreload100x10(b *testing.B) {
	b.Run("lib=raw", func(b *testing.B) {
		ctx, db := preloadBenchDB(b)
		parents := prepare(b, db, `SELECT "id", "name" FROM "bench_parent" WHERE "id" > ? ORDER BY "id" LIMIT 100`)
		in := strings.TrimSuffix(strings.Repeat("?, ", benchPage), ", ")
		children := prepare(b, db, `SELECT "id", "parent_id", "name", "value" FROM "bench_child" WHERE "parent_id" IN (`+in+`) ORDER BY "id"`)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			rows, err := parents.QueryContext(ctx, int64(i%(benchParents-benchPage)))
			if err != nil {
				b.Fatal(err)
			}
			ps := make([]*BenchParent, 0, benchPage)
			byID := make(map[int64]*BenchParent, benchPage)
			args := make([]any, 0, benchPage)
			for rows.Next() {
				p := new(BenchParent)
				if err := rows.Scan(&p.ID, &p.Name); err != nil {
					b.Fatal(err)
				}
				ps = append(ps, p)
				byID[p.ID] = p
				args = append(args, p.ID)
			}
			rows.Close()
			rows, err = children.QueryContext(ctx, args...)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				c := new(BenchChild)
				if err := rows.Scan(&c.ID, &c.ParentID, &c.Name, &c.Value); err != nil {
					b.Fatal(err)
				}
				p := byID[c.ParentID]
				p.Children = append(p.Children, c)
				n++
			}
			rows.Close()
			if len(ps) != benchPage || n != benchPage*benchChildren {
				b.Fatal(len(ps), n)
			}
			i++
		}
	})
	b.Run("lib=sqlservice", func(b *testing.B) {
		ctx, _ := preloadBenchDB(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			ps, err := record.Query[BenchParent](ctx).Where(builder.Gt{"id": int64(i % (benchParents - benchPage))}).
				OrderBy("id").Limit(benchPage).Preload("Children").All()
			if err != nil || len(ps) != benchPage || len(ps[benchPage-1].Children) != benchChildren {
				b.Fatal(err)
			}
			i++
		}
	})
}
