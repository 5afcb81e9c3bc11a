package record

import (
	"context"
	"database/sql"
	"reflect"

	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

// scalarKey returns key as the argument list of a one-column primary key
// when key already has the key field's type (an int64 for an int64 id, the
// common case), so that Get and Destroy skip the conversion and its
// allocations. The list is appended to buf (nil: a new one).
func scalarKey(m *registry.Model, key any, buf []any) ([]any, bool) {
	if len(m.PK) != 1 || key == nil || reflect.TypeOf(key) != m.PK[0].Type {
		return nil, false
	}
	switch m.PK[0].Kind {
	case registry.KindInt, registry.KindUint, registry.KindString:
		if buf == nil {
			return []any{key}, true // one allocation; append would grow the nil slice
		}
		return append(buf, key), true
	}
	return nil, false
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
