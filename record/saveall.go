package record

import (
	"context"
	"fmt"
	"strings"
	"unsafe"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/events"
	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/internal/sqlgen"
	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

// SaveOption configures SaveAll: Before, After and Identity.
type SaveOption interface{ saveOption() }

// SaveHook is the type of Before and After callbacks: rec is the record
// being stored, isNew whether it is inserted (true) or updated (false). An
// error aborts SaveAll and rolls everything back.
type SaveHook[T any] func(ctx context.Context, rec *T, isNew bool) error

type hookOption[T any] struct {
	after bool
	fn    SaveHook[T]
}

func (hookOption[T]) saveOption() {}

type identityOption []string

func (identityOption) saveOption() {}

// Before makes SaveAll call fn before it writes each record, with the
// record it is about to store and whether it is new: the original's
// save(before=fn). The record type is inferred from fn; a callback for
// another model is an error before any SQL.
func Before[T any](fn func(ctx context.Context, rec *T, isNew bool) error) SaveOption {
	return hookOption[T]{fn: fn}
}

// After makes SaveAll call fn after it writes each record, as Before does.
func After[T any](fn func(ctx context.Context, rec *T, isNew bool) error) SaveOption {
	return hookOption[T]{after: true, fn: fn}
}

// Identity makes SaveAll match records to rows by the given columns
// (column or field names) instead of the primary key, as the original's
// save(identity=make_identity(...)) does: a record whose values of those
// columns match a row updates that row.
func Identity(columns ...string) SaveOption { return identityOption(columns) }

type saveConfig[T any] struct {
	before, after []SaveHook[T]
	identity      []*registry.Column
}

func saveOptions[T any](m *registry.Model, opts []SaveOption) (*saveConfig[T], error) {
	cfg := &saveConfig[T]{}
	for _, o := range opts {
		switch o := o.(type) {
		case hookOption[T]:
			if o.fn == nil {
				continue
			}
			if o.after {
				cfg.after = append(cfg.after, o.fn)
			} else {
				cfg.before = append(cfg.before, o.fn)
			}
		case identityOption:
			if len(o) == 0 {
				return nil, fmt.Errorf("record: SaveAll of %s: Identity needs at least one column", m.Name)
			}
			cols, err := m.MustColumns(o...)
			if err != nil {
				return nil, err
			}
			cfg.identity = cols
		case nil:
		default:
			return nil, fmt.Errorf("record: SaveAll of %s: option %T is for another model", m.Name, o)
		}
	}
	return cfg, nil
}

// SaveAll stores many records of T at once, as the original's
// save(models, before, after, identity):
//
//   - a record loaded from or saved to the database before is updated
//     (only its changed columns);
//   - a new record whose primary key (or Identity columns) matches a row is
//     merged into that row's record: the row's key is copied onto the given
//     record, every field of the given record is copied onto the row's
//     record (the session's own record when the session holds that row,
//     else the row as loaded), and that record is updated;
//   - every other record is inserted, with its key when it has one.
//
// Matching runs one SELECT for the whole call ... WHERE (key) IN (...)
// (more only when the keys exceed the dialect's parameter limit); records
// with no key set are inserted without a lookup, and rows the session
// already holds need none. Two records with the same key (or identity) in
// one call are a *DuplicateRecordError before any SQL; identity values
// are compared as Go values, and an identity that matches several rows is
// an error.
//
// Inserts run before updates, each in input order, with the Before and
// After callbacks around each write and the model's hooks inside it.
// Everything runs in one transaction (joining the context's): an error
// from the database (a duplicate in the table, say), a hook or a callback
// rolls back the whole call, restores the given records and the session's
// records to their state before the call, and is returned.
//
// It returns, in input order, the records stored: the given record, or the
// row's record it was merged into.
func SaveAll[T any](ctx context.Context, records []*T, opts ...SaveOption) ([]*T, error) {
	m, c, err := target[T](ctx)
	if err != nil {
		return nil, err
	}
	cfg, err := saveOptions[T](m, opts)
	if err != nil {
		return nil, err
	}
	out := make([]*T, len(records))
	if len(records) == 0 {
		return out, nil
	}
	idCols, byPK := cfg.identity, cfg.identity == nil
	if byPK {
		idCols = m.PK
	}

	// Classify before any SQL: stored records, records to look up, and
	// records without a key.
	isNew := make([]bool, len(records))
	var lookup []lookupKey
	seen := make(map[registry.RowKey]int, len(records))
	for i, p := range records {
		if p == nil {
			return nil, fmt.Errorf("record: SaveAll of %s: record %d is nil", m.Name, i)
		}
		up := unsafe.Pointer(p)
		stored := isStored(m, p)
		if byPK && !stored && keyUnset(m, up) {
			isNew[i], out[i] = true, p
			continue
		}
		vals := make([]any, len(idCols))
		for j, col := range idCols {
			vals[j] = meta.Value(col, up)
		}
		key := registry.RowKeyOf(vals...)
		if first, dup := seen[key]; dup {
			return nil, &DuplicateRecordError{Model: m.Name, Columns: columnNames(idCols), Key: plainValues(vals), First: first, Second: i}
		}
		seen[key] = i
		if stored {
			out[i] = p
			continue
		}
		lookup = append(lookup, lookupKey{i: i, key: key, vals: vals})
	}

	backup := make([]T, len(records))
	for i, p := range records {
		backup[i] = *p
	}
	var merged []saved[T]
	err = inTx(ctx, c, func(ctx context.Context) error {
		found, err := findRows[T](ctx, c, m, idCols, byPK, lookup)
		if err != nil {
			return err
		}
		for _, l := range lookup {
			p, r := records[l.i], found[l.key]
			switch {
			case r == nil:
				isNew[l.i], out[l.i] = true, p
			case r == p:
				out[l.i] = p
			default:
				merged = append(merged, saved[T]{r, *r})
				mergeInto(m, r, p)
				out[l.i] = r
			}
		}
		for _, pass := range [2]bool{true, false} {
			for i, p := range out {
				if isNew[i] != pass {
					continue
				}
				if err := storeWithCallbacks(ctx, c, m, cfg, p, pass); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		for i := len(merged) - 1; i >= 0; i-- {
			*merged[i].p = merged[i].v
		}
		for i, p := range records {
			*p = backup[i]
		}
		return nil, err
	}
	return out, nil
}

type lookupKey struct {
	i    int
	key  registry.RowKey
	vals []any
}

type saved[T any] struct {
	p *T
	v T
}

// isStored reports whether p was loaded from or saved to the database.
func isStored[T any](m *registry.Model, p *T) bool {
	b := baseOf(m, p)
	return b != nil && b.saved() != nil
}

// keyUnset reports whether no column of the primary key is set, which the
// original tells by None and Go by the zero value.
func keyUnset(m *registry.Model, p unsafe.Pointer) bool {
	for _, col := range m.PK {
		if !meta.IsZero(col, p) {
			return false
		}
	}
	return true
}

func columnNames(cols []*registry.Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

func plainValues(vals []any) []any {
	out := make([]any, len(vals))
	for i, v := range vals {
		out[i] = canonical(v)
	}
	return out
}

// findRows returns the records of the rows matching the lookups' keys,
// keyed as the lookups are: the session's records where it holds them
// (by primary key), the others with one SELECT.
func findRows[T any](ctx context.Context, c *session.Client, m *registry.Model, idCols []*registry.Column, byPK bool, lookup []lookupKey) (map[registry.RowKey]*T, error) {
	found := make(map[registry.RowKey]*T, len(lookup))
	if len(lookup) == 0 {
		return found, nil
	}
	s := session.Current(ctx)
	var keys [][]any
	for _, l := range lookup {
		if byPK && s != nil {
			if v, ok := identityOf(s, m, registry.RowKeyOf(l.vals...)); ok {
				found[l.key] = v.(*T)
				continue
			}
		}
		keys = append(keys, l.vals)
	}
	d := c.Dialect()
	batch := max(1, d.MaxParams()/len(idCols))
	for start := 0; start < len(keys); start += batch {
		where, args := identityWhere(d, idCols, keys[start:min(start+batch, len(keys))])
		rows, err := Query[T](ctx).Where(builder.Expr(where, args...)).All()
		if err != nil {
			return nil, err
		}
		vals := make([]any, len(idCols))
		for _, r := range rows {
			for j, col := range idCols {
				vals[j] = meta.Value(col, unsafe.Pointer(r))
			}
			k := registry.RowKeyOf(vals...)
			if prev, dup := found[k]; dup && prev != r {
				return nil, fmt.Errorf("record: SaveAll of %s: identity %s %v matches more than one row",
					m.Name, strings.Join(columnNames(idCols), ", "), plainValues(vals))
			}
			found[k] = r
		}
	}
	return found, nil
}

// identityWhere is the condition matching rows whose cols hold one of keys:
// "a" IN (?, ?) for one column, ("a", "b") IN ((?, ?), (?, ?)) for
// several, with a term of its own for each key holding NULL (which IN
// never matches).
func identityWhere(d builder.Dialect, cols []*registry.Column, keys [][]any) (string, []any) {
	var b strings.Builder
	args := make([]any, 0, len(keys)*len(cols))
	var nulls [][]any
	n := 0
	for _, k := range keys {
		hasNull := false
		for _, v := range k {
			if isNull(v) {
				hasNull = true
			}
		}
		if hasNull {
			nulls = append(nulls, k)
			continue
		}
		if n == 0 {
			if len(cols) == 1 {
				b.WriteString(d.Quote(cols[0].Name))
			} else {
				b.WriteString("(" + sqlgen.ColumnList(d, cols) + ")")
			}
			b.WriteString(" IN (")
		} else {
			b.WriteString(", ")
		}
		n++
		if len(cols) > 1 {
			b.WriteByte('(')
		}
		for j, v := range k {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('?')
			args = append(args, v)
		}
		if len(cols) > 1 {
			b.WriteByte(')')
		}
	}
	if n > 0 {
		b.WriteByte(')')
	}
	for _, k := range nulls {
		if b.Len() > 0 {
			b.WriteString(" OR ")
		}
		b.WriteByte('(')
		for j, v := range k {
			if j > 0 {
				b.WriteString(" AND ")
			}
			b.WriteString(d.Quote(cols[j].Name))
			if isNull(v) {
				b.WriteString(" IS NULL")
			} else {
				b.WriteString(" = ?")
				args = append(args, v)
			}
		}
		b.WriteByte(')')
	}
	return "(" + b.String() + ")", args
}

// mergeInto makes r, the record of a stored row, take every field of p,
// the record given for that row, keeping r's key and saved state; p gets
// the row's key.
func mergeInto[T any](m *registry.Model, r, p *T) {
	rp, pp := unsafe.Pointer(r), unsafe.Pointer(p)
	for _, col := range m.PK {
		meta.Reflect(col, pp).Set(meta.Reflect(col, rp))
	}
	var snap *T
	rb := baseOf(m, r)
	if rb != nil {
		snap = rb.saved()
	}
	*r = *p
	if rb != nil {
		rb.setSaved(snap)
	}
}

// storeWithCallbacks writes one record of SaveAll between its callbacks.
func storeWithCallbacks[T any](ctx context.Context, c *session.Client, m *registry.Model, cfg *saveConfig[T], p *T, isNew bool) error {
	for _, fn := range cfg.before {
		if err := fn(ctx, p, isNew); err != nil {
			return err
		}
	}
	if err := storeOne(ctx, c, m, p, isNew); err != nil {
		return err
	}
	for _, fn := range cfg.after {
		if err := fn(ctx, p, isNew); err != nil {
			return err
		}
	}
	return nil
}

// storeOne inserts (isNew) or updates one record with the model's hooks.
// Unlike Save, a new record with its key set is a plain INSERT: SaveAll
// looked the key up already, so a row that appeared since is a conflict,
// not something to overwrite.
func storeOne[T any](ctx context.Context, c *session.Client, m *registry.Model, p *T, isNew bool) error {
	b := baseOf(m, p)
	hooks := hasWriteHooks(ctx, m, writeKinds...)
	before, after := events.KindBeforeInsert, events.KindAfterInsert
	if !isNew {
		before, after = events.KindBeforeUpdate, events.KindAfterUpdate
	}
	if hooks {
		if err := fire(ctx, m, p, events.KindBeforeSave, before); err != nil {
			return err
		}
	}
	var err error
	s := session.Current(ctx)
	switch {
	case isNew:
		err = insert(ctx, c, s, m, p, b, false)
	case b != nil && b.saved() != nil:
		_, err = update(ctx, c, s, m, p, b)
	default:
		// A model without Base keeps no saved state: overwrite the row.
		err = insert(ctx, c, s, m, p, b, true)
	}
	if err != nil {
		return err
	}
	if hooks {
		return fire(ctx, m, p, after, events.KindAfterSave)
	}
	return nil
}
