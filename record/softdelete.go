package record

import (
	"context"
	"fmt"
	"time"
	"unsafe"

	sq "github.com/Masterminds/squirrel"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

// Soft delete: a model with a column tagged softdelete (a nullable time)
// keeps its destroyed rows, with the time they were destroyed in that
// column. Destroy, Base.Destroy, QuerySet.Delete and the cascades of a
// destroy set it; every query (Get, Find, Query and everything built on
// it: Count, Exists, Pluck, Scan, subqueries, Preload, relations) skips
// such rows unless the QuerySet says WithDeleted; Purge deletes for real.

type purgeKey struct{}

// purging reports whether ctx is the context of a Purge: deletes are real
// and queries see soft-deleted rows.
func purging(ctx context.Context) bool {
	v, _ := ctx.Value(purgeKey{}).(bool)
	return v
}

// soft reports whether a delete of m in ctx only sets its softdelete
// column.
func soft(ctx context.Context, m *registry.Model) bool {
	return m.SoftDelete != nil && !purging(ctx)
}

// dependentsCtx is the one rule for how the rows that depend on a row of
// m through r (its cascade children, its many-to-many join rows) go when
// that row is deleted in ctx. It returns the context to delete them in,
// and false when they stay:
//
//   - the row goes for real (m has no softdelete column, or this is a
//     Purge): they go for real too, those soft-deleted before included,
//     whatever their own softdelete columns say, since a row left behind
//     would reference a row that is gone (the database refuses the DELETE,
//     or keeps an orphan). The context is a Purge's, so the cascade goes
//     on the same way down;
//   - the row is soft-deleted: rows of models with a softdelete column are
//     soft-deleted with it; other rows, and join rows, stay, since the row
//     they reference stays.
func dependentsCtx(ctx context.Context, m *registry.Model, r *registry.Relation) (context.Context, bool) {
	switch {
	case purging(ctx):
		return ctx, true
	case !soft(ctx, m):
		return context.WithValue(ctx, purgeKey{}, true), true
	case r.Kind == registry.ManyToMany || r.Related.SoftDelete == nil:
		return ctx, false
	}
	return ctx, true
}

// WithDeleted makes the query see the rows that were soft-deleted too
// (for a model with a softdelete column; for others it changes nothing).
func (q *QuerySet[T]) WithDeleted() *QuerySet[T] {
	n := q.clone()
	n.withDeleted = true
	return n
}

// liveCond is the condition that leaves out soft-deleted rows, or nil.
func (q *QuerySet[T]) liveCond() sq.Sqlizer {
	sd := q.m.SoftDelete
	if sd == nil || q.withDeleted {
		return nil
	}
	return sq.Expr(q.colSQL(colRef{sd, q.m}) + " IS NULL")
}

// Purge deletes rows of T for real, as Destroy would delete them if T had
// no softdelete column: the items are those Destroy takes, soft-deleted
// rows included, with Destroy's hooks and cascades (related rows are
// purged too). It returns how many rows it deleted. Hooks that run inside
// it do not purge: their own deletes and queries treat soft-deleted rows
// as everywhere else.
func Purge[T any](ctx context.Context, items any) (int64, error) {
	return Destroy[T](context.WithValue(ctx, purgeKey{}, true), items)
}

// Purge deletes every row the query matches for real, soft-deleted rows
// included (no WithDeleted needed), in one DELETE; as Delete otherwise.
func (q *QuerySet[T]) Purge() (int64, error) {
	n := q.WithDeleted()
	n.ctx = context.WithValue(q.ctx, purgeKey{}, true)
	return n.Delete()
}

// softDeleteRow sets the softdelete column of the record's row (checking
// and counting up its version when it was loaded with one); the row must
// not be soft-deleted already. It returns how many rows it changed and the
// time it wrote; the record itself is left to forgetDeleted, which sets
// its field and undoes that with the rest of the delete.
func softDeleteRow(ctx context.Context, c *session.Client, m *registry.Model, keySrc unsafe.Pointer, versioned bool) (int64, time.Time, error) {
	st := builder.For(c.Dialect(), m)
	t := now()
	args := make([]any, 0, len(m.PK)+2)
	args = append(args, t)
	for _, col := range m.PK {
		args = append(args, meta.Value(col, keySrc))
	}
	text := st.SoftDelete
	if versioned {
		text = st.VersionedSoftDelete
		args = append(args, meta.Value(m.Version, keySrc))
	}
	res, err := c.Exec(ctx, true, text, args...)
	if err != nil {
		return 0, t, wrapDB(m, "update", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, t, wrapDB(m, "update", err)
	}
	return n, t, nil
}

// softDeleteWhere sets the softdelete column of the rows matching where
// (quoted names) that are not soft-deleted yet, counting up their version.
func softDeleteWhere(ctx context.Context, c *session.Client, m *registry.Model, where sq.Sqlizer) (int64, error) {
	d := c.Dialect()
	sd := d.Quote(m.SoftDelete.Name)
	b := sq.Update(d.Quote(m.Table)).Set(sd, now()).PlaceholderFormat(d.Placeholders())
	if v := m.Version; v != nil {
		b = b.Set(d.Quote(v.Name), sq.Expr(d.Quote(v.Name)+" + 1"))
	}
	if where != nil {
		b = b.Where(where)
	}
	text, args, err := b.Where(sq.Expr(sd + " IS NULL")).ToSql()
	if err != nil {
		return 0, fmt.Errorf("record: soft delete of %s: %w", m.Name, err)
	}
	res, err := c.Exec(ctx, false, text, args...)
	if err != nil {
		return 0, wrapDB(m, "update", err)
	}
	n, err := res.RowsAffected()
	return n, wrapDB(m, "update", err)
}

// getSQL is the SELECT of one row by key: of a row that is not
// soft-deleted, unless ctx is a Purge's.
func getSQL(ctx context.Context, c *session.Client, m *registry.Model) string {
	st := builder.For(c.Dialect(), m)
	if soft(ctx, m) {
		return st.Live
	}
	return st.Get
}
