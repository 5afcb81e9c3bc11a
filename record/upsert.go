package record

import (
	"context"
	"unsafe"

	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/internal/sqlgen"
	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

// updateOrInsert upserts a record on its primary key where the dialect's
// upsert statement could overwrite a different row (see
// sqlgen.Statements.UpsertIsExact): an UPDATE by primary key of the
// columns the INSERT would write, then the INSERT when no row matched. A
// unique column colliding with another row is then a duplicate key error,
// as on the other dialects. The MySQL client counts matched rather than
// changed rows, so an UPDATE that changes nothing still matches.
func updateOrInsert[T any](ctx context.Context, c *session.Client, m *registry.Model, p *T, b *Base[T], omit registry.ColumnSet) error {
	up := unsafe.Pointer(p)
	st := sqlgen.For(c.Dialect(), m)
	var set registry.ColumnSet
	for _, col := range m.Columns {
		if !col.PK && !omit.Has(meta.Pos(col)) {
			set.Add(meta.Pos(col))
		}
	}
	u := st.UpdateOf(set)
	sqlText, cols := u.SQL, u.Columns
	var matched bool
	if sqlText == "" {
		var err error
		if matched, err = rowExists(ctx, c, m, up); err != nil {
			return err
		}
	} else {
		args := make([]any, 0, len(cols)+len(m.PK))
		for _, col := range cols {
			args = append(args, meta.Value(col, up))
		}
		for _, col := range m.PK {
			args = append(args, meta.Value(col, up))
		}
		res, err := execOn(c, ctx, true, sqlText, args)
		if err != nil {
			return wrapDB(m, "update", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return wrapDB(m, "update", err)
		}
		matched = n > 0
	}
	s := session.Current(ctx)
	if !matched {
		return insert(ctx, c, s, m, p, b, false)
	}
	stored(s, m, p, b, false, nil)
	return nil
}
