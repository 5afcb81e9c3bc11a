package record_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// Writes and reads of several statement texts from many goroutines, with a
// statement cache of two entries so that every few statements evict one:
// each read must return the row its own goroutine wrote.
func TestReview3ConcurrentStatementCacheEvictions(t *testing.T) {
	opts := dbtest.Options{Models: models, Config: session.Config{StatementCacheSize: 2}}
	dbtest.Each(t, opts, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for g := 0; g < 6; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				if err := review3Worker(ctx, g); err != nil {
					errs <- err
				}
			}(g)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

func review3Worker(ctx context.Context, g int) error {
	for i := 0; i < 15; i++ {
		name := fmt.Sprintf("g%d-i%d", g, i)
		p := &Person{Name: name, Email: name + "@x", Age: g*100 + i}
		if err := p.Save(ctx); err != nil {
			return err
		}
		p.Age++
		if err := p.Save(ctx); err != nil {
			return err
		}
		got, err := record.Get[Person](ctx, p.ID)
		if err != nil {
			return err
		}
		if got.Name != name || got.Age != g*100+i+1 {
			return fmt.Errorf("Get %d: got %q age %d, want %q age %d", p.ID, got.Name, got.Age, name, g*100+i+1)
		}
		mm := &Membership{TeamID: int64(g + 1), UserID: int64(i + 1), Role: name}
		if err := mm.Save(ctx); err != nil {
			return err
		}
		gm, err := record.Get[Membership](ctx, record.Key{"team_id": int64(g + 1), "user_id": int64(i + 1)})
		if err != nil {
			return err
		}
		if gm.Role != name {
			return fmt.Errorf("Get membership: role %q, want %q", gm.Role, name)
		}
		k := 2 + i%2
		rows := make([]map[string]any, k)
		for j := range rows {
			rn := fmt.Sprintf("%s-b%d", name, j)
			rows[j] = map[string]any{"name": rn, "email": rn + "@x", "age": 7}
		}
		if _, err := record.BulkInsert[Person](ctx, rows); err != nil {
			return err
		}
		n, err := record.Query[Person](ctx).Where(builder.Eq{"age": 7}).Where(builder.Like{"name": name + "-b%"}).Count()
		if err != nil {
			return err
		}
		if n != int64(k) {
			return fmt.Errorf("bulk %s: %d rows, want %d", name, n, k)
		}
		if _, err := record.Destroy[Person](ctx, p.ID); err != nil {
			return err
		}
		if _, err := record.Get[Person](ctx, p.ID); err == nil {
			return fmt.Errorf("row %d still there after Destroy", p.ID)
		}
	}
	return nil
}

// Every soft delete counts the version up (the rule delete.go states for
// all of them), so that a record read before the delete fails to save
// with ErrStale: Base.Destroy of a record that was not loaded (only its
// key set) as well as Destroy by key and Delete by criteria.
func TestReview3SoftDeleteCountsVersionUpOnEveryPath(t *testing.T) {
	forms := []struct {
		name    string
		destroy func(ctx context.Context, id int64) error
	}{
		{"Base.Destroy of a record with only its key", func(ctx context.Context, id int64) error {
			return (&SoftPost{ID: id}).Destroy(ctx)
		}},
		{"record.Destroy of the key", func(ctx context.Context, id int64) error {
			_, err := record.Destroy[SoftPost](ctx, id)
			return err
		}},
		{"QuerySet.Delete", func(ctx context.Context, id int64) error {
			_, err := record.Query[SoftPost](ctx).Where(builder.Eq{"id": id}).Delete()
			return err
		}},
	}
	dbtest.Each(t, softModels, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		for i, f := range forms {
			t.Run(f.name, func(t *testing.T) {
				p := &SoftPost{Title: fmt.Sprintf("v%d", i)}
				if err := p.Save(ctx); err != nil {
					t.Fatal(err)
				}
				reader, err := record.Get[SoftPost](ctx, p.ID)
				if err != nil {
					t.Fatal(err)
				}
				if err := f.destroy(ctx, p.ID); err != nil {
					t.Fatal(err)
				}
				got, err := record.Query[SoftPost](ctx).WithDeleted().Where(builder.Eq{"id": p.ID}).First()
				if err != nil {
					t.Fatal(err)
				}
				if got.Deleted == nil {
					t.Fatal("the row is not soft-deleted")
				}
				if got.Ver != p.Ver+1 {
					t.Errorf("version after the soft delete: %d, want %d", got.Ver, p.Ver+1)
				}
				// A record read before the delete must not write the row.
				reader.Title += "-late"
				if err := reader.Save(ctx); !errors.Is(err, record.ErrStale) {
					t.Errorf("Save of a record read before the soft delete: %v, want ErrStale", err)
				}
			})
		}
	})
}

// A multi-row INSERT met a second time runs prepared (insertTexts): its
// constraint errors are still typed, and a transaction that runs it and
// rolls back leaves no row.
func TestReview3RepeatedBulkInsertErrorsAndRollback(t *testing.T) {
	each(t, func(t *testing.T, db *dbtest.DB, ctx context.Context) {
		rows := func(prefix string) []map[string]any {
			out := make([]map[string]any, 3)
			for j := range out {
				n := fmt.Sprintf("%s%d", prefix, j)
				out[j] = map[string]any{"name": n, "email": n + "@r3", "age": 3}
			}
			return out
		}
		for i := 0; i < 3; i++ {
			if _, err := record.BulkInsert[Person](ctx, rows(fmt.Sprintf("ok%d-", i))); err != nil {
				t.Fatal(err)
			}
		}
		_, err := record.BulkInsert[Person](ctx, rows("ok0-"))
		if !errors.Is(err, record.ErrDuplicateKey) {
			t.Fatalf("repeated INSERT of existing emails: %v, want ErrDuplicateKey", err)
		}
		err = db.Client.Transaction(ctx, func(ctx context.Context) error {
			for i := 0; i < 3; i++ {
				if _, err := record.BulkInsert[Person](ctx, rows(fmt.Sprintf("tx%d-", i))); err != nil {
					return err
				}
			}
			return errors.New("roll back")
		})
		if err == nil || err.Error() != "roll back" {
			t.Fatalf("transaction: %v", err)
		}
		n, err := record.Query[Person](ctx).Where(builder.Like{"name": "tx%"}).Count()
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d rows of a rolled-back transaction", n)
		}
		n, err = record.Query[Person](ctx).Where(builder.Eq{"age": 3}).Count()
		if err != nil {
			t.Fatal(err)
		}
		if n != 9 {
			t.Errorf("%d rows, want 9", n)
		}
	})
}
