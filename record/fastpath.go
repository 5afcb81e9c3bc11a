package record

import (
	"context"
	"database/sql"
	"reflect"
	"time"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/events"
	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

// scalarKey returns key as the argument list of a one-column primary key
// when key already has the key field's type (an int64 for an int64 id, the
// common case), so that Get and Destroy skip the conversion and its
// allocations.
func scalarKey(m *registry.Model, key any) ([]any, bool) {
	if len(m.PK) != 1 || key == nil || reflect.TypeOf(key) != m.PK[0].Type {
		return nil, false
	}
	switch m.PK[0].Kind {
	case registry.KindInt, registry.KindUint, registry.KindString:
		return []any{key}, true
	}
	return nil, false
}

// destroyKey is Destroy of one primary key value of a model without delete
// hooks or cascades: the fixed, prepared DELETE by key. done is false when items is not
// such a key, and Destroy goes the general way.
func destroyKey(ctx context.Context, c *session.Client, m *registry.Model, items any) (n int64, done bool, err error) {
	args, ok := scalarKey(m, items)
	if !ok || hasWriteHooks(ctx, m, events.KindBeforeDelete, events.KindAfterDelete) || destroysRelated(m) {
		return 0, false, nil
	}
	if soft(ctx, m) {
		return 0, false, nil // deleteKeys sets the column
	}
	res, err := execOn(c, ctx, true, builder.For(c.Dialect(), m).Delete, args)
	if err != nil {
		return 0, true, wrapDelete(m, keyFromArgs(args), err)
	}
	if n, err = res.RowsAffected(); err != nil {
		return 0, true, wrapDB(m, "delete", err)
	}
	if s := session.Current(ctx); s != nil {
		forgetDeleted(s, m, registry.RowKeyOf(args...), nil, time.Time{})
	}
	return n, true, nil
}

// queryOne runs a cached one-row query and scans its row into dest, as
// Client.QueryRow(...).Scan does, without the two Row wrappers that path
// allocates. No row is sql.ErrNoRows. s is the session of c that ctx
// carries (nil: none).
func queryOne(ctx context.Context, c *session.Client, s *session.Session, query string, args []any, dest []any) error {
	rows, err := queryIn(c, s, ctx, query, args)
	if err != nil {
		return err
	}
	if !rows.Next() {
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	err = rows.Scan(dest...)
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return err
}
