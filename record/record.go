package record

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"unsafe"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/events"
	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

// target returns the model of T and the client that ctx carries: what
// every operation on T starts with.
func target[T any](ctx context.Context) (*registry.Model, *session.Client, error) {
	m, err := registry.Of[T]()
	if err != nil {
		return nil, nil, err
	}
	c, err := session.FromContext(ctx)
	if err != nil {
		return nil, nil, err
	}
	return m, c, nil
}

// Key names the columns of a composite primary key with their values, for
// Get and Destroy: record.Key{"tenant_id": 1, "code": "a"}.
type Key map[string]any

// New returns a new, unsaved *T with fields set from values, as Base.Update
// sets them (Set events fire; an unknown key or a value that does not fit
// is an error).
func New[T any](values map[string]any) (*T, error) {
	m, err := registry.Of[T]()
	if err != nil {
		return nil, err
	}
	p := new(T)
	if err := assign(m, p, values); err != nil {
		return nil, err
	}
	if err := initScalars(m, p, values); err != nil {
		return nil, err
	}
	return p, nil
}

// initScalars gives the columns that values left out their InitScalar
// values.
func initScalars[T any](m *registry.Model, p *T, values map[string]any) error {
	for _, name := range meta.Handlers(m).InitAttributes() {
		c, _ := m.Column(name)
		if _, given := values[c.Name]; given {
			continue
		}
		if _, given := values[c.Field]; given {
			continue
		}
		v, ok, err := meta.Handlers(m).FireInit(p, c.Name)
		if err != nil {
			return &FieldError{Model: m.Name, Field: c.Field, Column: c.Name, Err: err}
		}
		if !ok {
			continue
		}
		rv, err := convertColumn(m, c, v)
		if err != nil {
			return err
		}
		meta.Reflect(c, unsafe.Pointer(p)).Set(rv)
	}
	return nil
}

// refresh reloads the row of the record at p into it.
func refresh[T any](ctx context.Context, m *registry.Model, p *T) error {
	c, err := session.FromContext(ctx)
	if err != nil {
		return err
	}
	up := unsafe.Pointer(p)
	keySrc := up
	b := baseOf(m, p)
	if b != nil && b.saved() != nil {
		keySrc = unsafe.Pointer(b.saved())
	}
	args := make([]any, len(m.PK))
	for i, col := range m.PK {
		args[i] = meta.Value(col, keySrc)
	}
	fresh := new(T)
	fp := unsafe.Pointer(fresh)
	dest := make([]any, len(m.Columns))
	for i, col := range m.Columns {
		dest[i] = meta.ScanDest(col, fp)
	}
	err = queryRowOn(c, ctx, true, getSQL(ctx, c, m), args).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return &NotFoundError{Model: m.Name, Key: keyFromArgs(args)}
	}
	if err != nil {
		return wrapDB(m, "select", err)
	}
	for _, col := range m.Columns {
		meta.Reflect(col, up).Set(meta.Reflect(col, fp))
	}
	if b != nil {
		snap := new(T)
		snapshot(m, p, snap)
		b.setSaved(snap)
	}
	if meta.Handlers(m).Has(events.KindRefresh) && !hooksOff(ctx) {
		return fire(ctx, m, p, events.KindRefresh)
	}
	return nil
}

// Get loads the row of T with the given primary key: a value of the key
// field's type (or convertible to it), or for a composite key a Key or a
// struct T with the key fields set. Inside a session, a row the session
// already holds is returned as the same pointer. A missing row is a
// *NotFoundError, which matches ErrNotFound and sql.ErrNoRows.
func Get[T any](ctx context.Context, key any) (*T, error) {
	m, err := registry.Of[T]()
	if err != nil {
		return nil, err
	}
	c, s, err := resolve(ctx)
	if err != nil {
		return nil, err
	}
	blk := new(getBlock[T])
	args, err := keyArgsIn(m, key, blk.key[:0])
	if err != nil {
		return nil, err
	}
	if s != nil {
		if v, ok := identityOf(s, m, registry.RowKeyOf(args...)); ok {
			return v.(*T), nil
		}
	}
	pair := &blk.pair
	p := &pair[0]
	up := unsafe.Pointer(p)
	var buf [16]any
	dest := buf[:0]
	if len(m.Columns) > len(buf) {
		dest = make([]any, 0, len(m.Columns))
	}
	for _, col := range m.Columns {
		dest = append(dest, meta.ScanDest(col, up))
	}
	if err = queryOne(ctx, c, s, getSQL(ctx, c, m), args, dest); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, &NotFoundError{Model: m.Name, Key: keyFromArgs(args)}
		}
		return nil, wrapDB(m, "select", err)
	}
	if b := baseOf(m, p); b != nil {
		snapshot(m, p, &pair[1])
		b.setSaved(&pair[1])
	}
	if err := loaded(ctx, m, p); err != nil {
		return nil, err
	}
	if s != nil {
		remember(s, m, registry.RowKeyOf(args...), p)
	}
	return p, nil
}

// loaded runs the Load handlers of a freshly scanned row.
func loaded(ctx context.Context, m *registry.Model, p any) error {
	if !meta.Handlers(m).Has(events.KindLoad) || hooksOff(ctx) {
		return nil
	}
	return fire(ctx, m, p, events.KindLoad)
}

// getBlock is what a Get allocates, in one allocation: the record, its
// snapshot, and the key as the statement's argument.
type getBlock[T any] struct {
	pair [2]T
	key  [1]any
}

// keyArgs converts a primary key given to Get or Destroy into statement
// arguments of the key fields' types, in key order.
func keyArgs(m *registry.Model, key any) ([]any, error) { return keyArgsIn(m, key, nil) }

// keyArgsIn is keyArgs appending a single scalar key to buf, whose room
// the caller allocated with something else.
func keyArgsIn(m *registry.Model, key any, buf []any) ([]any, error) {
	bad := func(err error) ([]any, error) { return nil, &KeyError{Model: m.Name, Key: key, Err: err} }
	if key == nil {
		return bad(ErrNoPrimaryKey)
	}
	if args, ok := scalarKey(m, key, buf); ok {
		return args, nil
	}
	var src map[string]any
	switch k := key.(type) {
	case Key:
		src = k
	case map[string]any:
		src = k
	}
	if src != nil {
		args := make([]any, len(m.PK))
		for i, col := range m.PK {
			v, ok := src[col.Name]
			if !ok {
				v, ok = src[col.Field]
			}
			if !ok {
				return bad(fmt.Errorf("missing key column %q", col.Name))
			}
			rv, err := convertColumn(m, col, v)
			if err != nil {
				return nil, err
			}
			args[i] = rv.Interface()
		}
		return args, nil
	}
	rv := reflect.ValueOf(key)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() && rv.Elem().Type() == m.Type {
		rv = rv.Elem()
	}
	if rv.Type() == m.Type {
		p := reflect.New(m.Type)
		p.Elem().Set(rv)
		args := make([]any, len(m.PK))
		for i, col := range m.PK {
			args[i] = meta.Value(col, p.UnsafePointer())
		}
		return args, nil
	}
	if len(m.PK) != 1 {
		return bad(fmt.Errorf("a composite key needs a record.Key or a %s value", m.Name))
	}
	v, err := convertColumn(m, m.PK[0], key)
	if err != nil {
		return nil, err
	}
	return []any{v.Interface()}, nil
}

// Find returns the rows of T matching every criterion (column maps such as
// builder.Eq{"name": "Jenny"}, or other builder expressions), ordered by
// primary key.
func Find[T any](ctx context.Context, criteria ...builder.Sqlizer) ([]*T, error) {
	return Query[T](ctx).Where(criteria...).All()
}

// FindOne returns the first row of T (by primary key) matching every
// criterion, or a *NotFoundError.
func FindOne[T any](ctx context.Context, criteria ...builder.Sqlizer) (*T, error) {
	return Query[T](ctx).Where(criteria...).First()
}

// Save upserts a row of T from a map, as the original's save of a dict: when
// the map holds the whole primary key and that row exists, the row is loaded
// and the map's keys are merged into it (columns not in the map keep their
// stored values); otherwise a new record is inserted. It returns the stored
// record (inside a session, the session's own pointer for that row).
func Save[T any](ctx context.Context, values map[string]any) (*T, error) {
	m, c, err := target[T](ctx)
	if err != nil {
		return nil, err
	}
	hasKey := true
	for _, col := range m.PK {
		v, ok := values[col.Name]
		if !ok {
			v, ok = values[col.Field]
		}
		if !ok || v == nil {
			hasKey = false
		}
	}
	if !hasKey {
		p, err := New[T](values)
		if err != nil {
			return nil, err
		}
		return p, save(ctx, m, p)
	}
	// The map is applied once, to the record that is saved, so that Set and
	// Modified handlers fire once per key. What can be checked without the
	// handlers is checked before any SQL; a value that a handler turns bad
	// rolls back the transaction, in which only the SELECT ran.
	if err := precheck(m, values); err != nil {
		return nil, err
	}
	var out *T
	err = inTx(ctx, c, func(ctx context.Context) error {
		p, err := Get[T](ctx, Key(values))
		switch {
		case errors.Is(err, ErrNotFound):
			if p, err = New[T](values); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			if err := assign(m, p, values); err != nil {
				return err
			}
		}
		out = p
		return save(ctx, m, p)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// precheck refuses a map that assign would refuse whatever the record and
// its handlers: an unknown key, or a value that does not convert to a
// column that has no Set handler to change it first. It fires no handler.
func precheck(m *registry.Model, values map[string]any) error {
	for k, v := range values {
		c, ok := m.Column(k)
		if !ok {
			if _, isRel := m.Relation(k); isRel {
				continue
			}
			return unknownColumn(m, k)
		}
		if meta.Handlers(m).HasSet(c.Name) {
			continue
		}
		if _, err := convertColumn(m, c, v); err != nil {
			return err
		}
	}
	return nil
}

// Destroy deletes rows of T and returns how many it deleted. items is a
// primary key value, a Key, a map holding the key columns, a *T or T, or a
// slice of any mix of these. Keys with no row count 0; an empty slice, an
// empty map or nil deletes nothing and is not an error. A loaded record is
// destroyed as Base.Destroy destroys it (by the key and version it was
// loaded with, its hooks seeing it, its softdelete field set), except that
// a row already gone counts 0. Models with delete hooks or cascades have
// each other row loaded and destroyed one by one so that the hooks see the
// record; everything runs in one transaction. For a model with a
// softdelete column the rows are soft-deleted, as Base.Destroy says.
func Destroy[T any](ctx context.Context, items any) (int64, error) {
	m, err := registry.Of[T]()
	if err != nil {
		return 0, err
	}
	c, s, err := resolve(ctx)
	if err != nil {
		return 0, err
	}
	args, isKey := scalarKey(m, items, nil)
	d := deleting(ctx, c, m)
	if isKey && !d.oneByOne() && !d.soft {
		return d.key(ctx, s, args)
	}
	var keys [][]any
	var recs []unsafe.Pointer // the record given for each key, or nil
	if err := collectKeys(m, items, &keys, &recs); err != nil {
		return 0, err
	}
	if len(keys) == 0 {
		return 0, nil
	}
	return destroyAll[T](ctx, d, keys, recs)
}

// collectKeys flattens the forms Destroy accepts into key argument lists,
// and for each the record it came from (nil for the other forms).
func collectKeys(m *registry.Model, items any, out *[][]any, recs *[]unsafe.Pointer) error {
	if items == nil {
		return nil
	}
	rv := reflect.ValueOf(items)
	switch {
	case rv.Kind() == reflect.Map && rv.Len() == 0:
		return nil // an empty map (the original's destroy({})) names no row
	case rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() != reflect.Uint8:
		for i := 0; i < rv.Len(); i++ {
			if err := collectKeys(m, rv.Index(i).Interface(), out, recs); err != nil {
				return err
			}
		}
		return nil
	case rv.Kind() == reflect.Pointer && rv.Type().Elem() == m.Type:
		if rv.IsNil() {
			return nil
		}
		p := rv.UnsafePointer()
		*recs = append(*recs, p)
		if m.HasBase {
			// A loaded record is deleted by the key it was loaded with.
			if snap := snapAt(m, p); snap != nil {
				p = snap
			}
		}
		args := make([]any, len(m.PK))
		for i, col := range m.PK {
			args[i] = meta.Value(col, p)
		}
		*out = append(*out, args)
		return nil
	}
	args, err := keyArgs(m, items)
	if err != nil {
		return err
	}
	*out = append(*out, args)
	*recs = append(*recs, nil)
	return nil
}
