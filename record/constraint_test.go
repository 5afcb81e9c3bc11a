package record_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/internal/sqlgen"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

type ConAuthor struct {
	record.Base[ConAuthor]
	ID    int64   `db:"id,pk,autoincrement"`
	Email string  `db:"email,size=100,unique"`
	Nick  *string `db:"nick,size=50,notnull"`
}

type ConBook struct {
	record.Base[ConBook]
	ID       int64  `db:"id,pk,autoincrement"`
	AuthorID int64  `db:"author_id,notnull,fk=con_author.id"`
	Title    string `db:"title,size=100"`
}

// ConStock's table is created by hand with a CHECK constraint, which tags
// cannot declare.
type ConStock struct {
	record.Base[ConStock]
	ID  int64 `db:"id,pk,autoincrement"`
	Qty int   `db:"qty"`
}

// createWithCheck creates ConStock's table with CONSTRAINT qty_positive
// CHECK (qty > 0), from the builder's own CREATE TABLE.
func createWithCheck(t *testing.T, db *dbtest.DB) {
	m, err := registry.Of[ConStock]()
	require.NoError(t, err)
	stmt := sqlgen.For(db.Client.Dialect(), m).CreateTable[0]
	stmt = strings.Replace(stmt, "\n)", ",\n\tCONSTRAINT qty_positive CHECK (qty > 0)\n)", 1)
	_, err = db.DB().Exec(stmt)
	require.NoError(t, err)
	t.Cleanup(func() { db.DB().Exec(sqlgen.For(db.Client.Dialect(), m).DropTable) })
}

// driverErr reports whether err still wraps the dialect's own driver error.
func driverErr(dialect string, err error) bool {
	switch dialect {
	case "mysql":
		var e *mysql.MySQLError
		return errors.As(err, &e)
	case "postgres":
		var e *pgconn.PgError
		return errors.As(err, &e)
	}
	_, ok := dbtest.SQLiteCode(err)
	return ok
}

func TestConstraintViolationsAreTyped(t *testing.T) {
	// column is what each dialect's driver names (or the model fills in);
	// "" where the driver does not say.
	cases := []struct {
		name       string
		kind       error
		table      string
		column     map[string]string
		constraint map[string]bool // dialects that name the constraint
		run        func(ctx context.Context, a *ConAuthor) error
	}{
		{
			name: "unique column", kind: record.ErrDuplicateKey, table: "con_author",
			column:     map[string]string{"sqlite": "email", "mysql": "email", "postgres": "email"},
			constraint: map[string]bool{"mysql": true, "postgres": true},
			run: func(ctx context.Context, a *ConAuthor) error {
				return (&ConAuthor{Email: a.Email, Nick: strp("other")}).Save(ctx)
			},
		},
		{
			name: "unique column on update", kind: record.ErrDuplicateKey, table: "con_author",
			column:     map[string]string{"sqlite": "email", "mysql": "email", "postgres": "email"},
			constraint: map[string]bool{"mysql": true, "postgres": true},
			run: func(ctx context.Context, a *ConAuthor) error {
				b := &ConAuthor{Email: "b@x", Nick: strp("b")}
				if err := b.Save(ctx); err != nil {
					return err
				}
				b.Email = a.Email
				return b.Save(ctx)
			},
		},
		{
			name: "foreign key on insert of a child", kind: record.ErrForeignKey, table: "con_book",
			column:     map[string]string{"sqlite": "", "mysql": "author_id", "postgres": "author_id"},
			constraint: map[string]bool{"mysql": true, "postgres": true},
			run: func(ctx context.Context, a *ConAuthor) error {
				return (&ConBook{AuthorID: a.ID + 1000, Title: "orphan"}).Save(ctx)
			},
		},
		{
			name: "foreign key on delete of a referenced parent", kind: record.ErrForeignKey, table: "con_book",
			column:     map[string]string{"sqlite": "", "mysql": "author_id", "postgres": ""},
			constraint: map[string]bool{"mysql": true, "postgres": true},
			run: func(ctx context.Context, a *ConAuthor) error {
				if err := (&ConBook{AuthorID: a.ID, Title: "t"}).Save(ctx); err != nil {
					return err
				}
				return a.Destroy(ctx)
			},
		},
		{
			name: "foreign key on delete by key", kind: record.ErrForeignKey, table: "con_book",
			column:     map[string]string{"sqlite": "", "mysql": "author_id", "postgres": ""},
			constraint: map[string]bool{"mysql": true, "postgres": true},
			run: func(ctx context.Context, a *ConAuthor) error {
				if err := (&ConBook{AuthorID: a.ID, Title: "t"}).Save(ctx); err != nil {
					return err
				}
				_, err := record.Destroy[ConAuthor](ctx, a.ID)
				return err
			},
		},
		{
			name: "not null through a nil pointer", kind: record.ErrNotNull, table: "con_author",
			column: map[string]string{"sqlite": "nick", "mysql": "nick", "postgres": "nick"},
			run: func(ctx context.Context, a *ConAuthor) error {
				return (&ConAuthor{Email: "nil@x"}).Save(ctx)
			},
		},
		{
			name: "check", kind: record.ErrCheck, table: "con_stock",
			column:     map[string]string{"sqlite": "", "mysql": "", "postgres": ""},
			constraint: map[string]bool{"sqlite": true, "mysql": true, "postgres": true},
			run: func(ctx context.Context, a *ConAuthor) error {
				return (&ConStock{Qty: -1}).Save(ctx)
			},
		},
	}
	dbtest.Each(t, dbtest.Options{Models: []any{ConAuthor{}, ConBook{}}}, func(t *testing.T, db *dbtest.DB) {
		createWithCheck(t, db)
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ctx := db.Ctx()
				a := &ConAuthor{Email: "a" + string(rune('a'+i)) + "@x", Nick: strp("a")}
				require.NoError(t, a.Save(ctx))
				err := tc.run(ctx, a)
				require.Error(t, err)
				assert.ErrorIs(t, err, tc.kind)
				for _, other := range []error{record.ErrDuplicateKey, record.ErrForeignKey, record.ErrNotNull, record.ErrCheck} {
					if other != tc.kind {
						assert.NotErrorIs(t, err, other)
					}
				}
				var dbe *record.DBError
				assert.ErrorAs(t, err, &dbe, "record wraps it in a DBError")
				var ce *session.ConstraintError
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, tc.kind, ce.Kind)
				assert.Equal(t, tc.column[db.Dialect], ce.Column, "column")
				if tc.kind != record.ErrForeignKey || db.Dialect != "sqlite" {
					assert.Equal(t, tc.table, ce.Table, "table")
				}
				if tc.constraint[db.Dialect] {
					assert.NotEmpty(t, ce.Constraint, "constraint")
				}
				if tc.kind == record.ErrCheck {
					assert.Contains(t, ce.Constraint, "qty", "the check is named by its name or expression")
				}
				assert.True(t, driverErr(db.Dialect, err), "the driver's error stays wrapped: %v", err)
				assert.Contains(t, err.Error(), ce.Kind.Error())
			})
		}
	})
}

func TestConstraintViolationRollsBackItsTransaction(t *testing.T) {
	dbtest.Each(t, dbtest.Options{Models: []any{ConAuthor{}, ConBook{}}}, func(t *testing.T, db *dbtest.DB) {
		ctx := db.Ctx()
		require.NoError(t, (&ConAuthor{Email: "dup@x", Nick: strp("a")}).Save(ctx))
		err := db.Transaction(ctx, func(ctx context.Context) error {
			if err := (&ConAuthor{Email: "fresh@x", Nick: strp("b")}).Save(ctx); err != nil {
				return err
			}
			return (&ConAuthor{Email: "dup@x", Nick: strp("c")}).Save(ctx)
		})
		assert.ErrorIs(t, err, record.ErrDuplicateKey)
		n, err := record.Query[ConAuthor](ctx).Count()
		require.NoError(t, err)
		assert.EqualValues(t, 1, n, "the whole transaction rolled back")

		// A savepoint contains the violation: the outer work commits.
		err = db.Transaction(ctx, func(ctx context.Context) error {
			if err := (&ConAuthor{Email: "kept@x", Nick: strp("d")}).Save(ctx); err != nil {
				return err
			}
			inner := db.Transaction(ctx, func(ctx context.Context) error {
				return (&ConAuthor{Email: "dup@x", Nick: strp("e")}).Save(ctx)
			}, session.Savepoint())
			if !errors.Is(inner, record.ErrDuplicateKey) {
				return errors.Join(errors.New("want a duplicate key inside the savepoint"), inner)
			}
			return nil
		})
		require.NoError(t, err)
		n, err = record.Query[ConAuthor](ctx).Count()
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)
	})
}
