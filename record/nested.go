package record

import (
	"fmt"
	"reflect"
	"sort"
	"unsafe"

	"github.com/sqlservice/sqlservice/events"
	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/registry"
)

// Assignment from maps (record.New, Base.Update, Base.Set) works in two
// phases so that it is all or nothing, however deep it goes: prepare
// converts every value and builds every new related record without
// touching a record that is reachable from the one being updated; apply
// then stores it all. New related records are complete before they are
// linked, so preparing them in full is safe.
//
// For a relation key the value may be:
//
//   - for a single relation: a map, merged into the related record in place
//     when there is one and creating it when there is none; an empty map or
//     nil, which clears the relation; a *Model or Model, stored as is;
//   - for a collection: a slice of maps, *Models or Models (or a []any of
//     them) that replaces the collection. A map whose primary key matches a
//     record already in the collection is merged into that record; other
//     maps create new records. nil clears the collection.
//
// Set handlers of a single relation receive and return a *Model (or nil);
// Append and Remove handlers of a collection receive the *Model added or
// removed (Append may return another *Model to add instead).

// plan is a prepared assignment.
type plan struct {
	cols  []stagedAt
	steps []func()
}

type stagedAt struct {
	p   unsafe.Pointer
	m   *registry.Model
	col *registry.Column
	val reflect.Value
}

func (pl *plan) apply() {
	for _, s := range pl.cols {
		meta.Reflect(s.col, s.p).Set(s.val)
	}
	for _, f := range pl.steps {
		f()
	}
	for _, s := range pl.cols {
		if meta.Handlers(s.m).Has(events.KindModified) {
			meta.Handlers(s.m).FireModified(modelAt(s.m, s.p), s.col.Name)
		}
	}
}

// assignAt sets the fields of the record of m at p from values, columns
// and relations, all or nothing.
func assignAt(m *registry.Model, p unsafe.Pointer, values map[string]any) error {
	if len(values) == 0 {
		return nil
	}
	var pl plan
	if err := prepare(m, p, values, &pl); err != nil {
		return err
	}
	pl.apply()
	return nil
}

func prepare(m *registry.Model, p unsafe.Pointer, values map[string]any, pl *plan) error {
	cols := make([]*registry.Column, 0, len(values))
	var rels []*registry.Relation
	for k := range values {
		if c, ok := m.Column(k); ok {
			cols = append(cols, c)
			continue
		}
		if r, ok := m.Relation(k); ok {
			rels = append(rels, r)
			continue
		}
		return unknownColumn(m, k)
	}
	sort.Slice(cols, func(i, j int) bool { return meta.Pos(cols[i]) < meta.Pos(cols[j]) })
	for i := 1; i < len(cols); i++ {
		if cols[i] == cols[i-1] {
			return &FieldError{Model: m.Name, Field: cols[i].Field, Column: cols[i].Name, Err: errDuplicateKey}
		}
	}
	sort.Slice(rels, func(i, j int) bool { return meta.RelationPos(rels[i]) < meta.RelationPos(rels[j]) })
	for i := 1; i < len(rels); i++ {
		if rels[i] == rels[i-1] {
			return &RelationError{Model: m.Name, Path: rels[i].Field, Err: errDuplicateKey}
		}
	}
	for _, c := range cols {
		v, ok := values[c.Name]
		if !ok {
			v = values[c.Field]
		}
		if meta.Handlers(m).HasSet(c.Name) {
			var err error
			v, err = meta.Handlers(m).FireSet(modelAt(m, p), c.Name, v, plainValue(c, p))
			if err != nil {
				return &FieldError{Model: m.Name, Field: c.Field, Column: c.Name, Err: err}
			}
		}
		rv, err := convertColumn(m, c, v)
		if err != nil {
			return err
		}
		pl.cols = append(pl.cols, stagedAt{p, m, c, rv})
	}
	for _, r := range rels {
		v, ok := values[r.Field]
		if !ok {
			v = values[r.Key()]
		}
		var err error
		if r.Many {
			err = prepareMany(m, p, r, v, pl)
		} else {
			err = prepareSingle(m, p, r, v, pl)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// newRecord allocates a zero record of m.
func newRecord(m *registry.Model) unsafe.Pointer { return reflect.New(m.Type).UnsafePointer() }

func prepareSingle(m *registry.Model, p unsafe.Pointer, r *registry.Relation, v any, pl *plan) error {
	rm := r.Related
	fail := func(err error) error { return &RelationError{Model: m.Name, Path: r.Field, Err: err} }
	var cur unsafe.Pointer
	if items := itemsOf(r, p); len(items) > 0 {
		cur = items[0]
	} else if !r.Pointer {
		cur = unsafe.Add(p, meta.RelationOffset(r)) // a zero value field: fill it in place
	}
	var next unsafe.Pointer
	switch x := v.(type) {
	case nil:
	case map[string]any:
		if len(x) == 0 {
			break
		}
		if cur != nil {
			if err := prepare(rm, cur, x, pl); err != nil {
				return fail(err)
			}
			// The same record stays related: shown by ToMap, no replacement.
			pl.steps = append(pl.steps, func() {
				updateRelState(m, p, func(s *relState) { s.loaded |= bit(r) })
			})
			return nil
		}
		next = newRecord(rm)
		if err := assignAt(rm, next, x); err != nil {
			return fail(err)
		}
	default:
		var ok bool
		if next, ok = recordPtr(rm, v); !ok {
			return fail(fmt.Errorf("%w: want a map[string]any, a *%s, a %s or nil, not %T", ErrInvalidValue, rm.Name, rm.Name, v))
		}
	}
	if meta.Handlers(m).HasSet(r.Field) {
		var old unsafe.Pointer
		if items := itemsOf(r, p); len(items) > 0 {
			old = items[0]
		}
		out, err := meta.Handlers(m).FireSet(modelAt(m, p), r.Field, modelAt(rm, next), modelAt(rm, old))
		if err != nil {
			return fail(err)
		}
		var ok bool
		if next, ok = recordPtr(rm, out); !ok {
			return fail(fmt.Errorf("%w: the Set handler returned %T, not a *%s or nil", ErrInvalidValue, out, rm.Name))
		}
	}
	pl.steps = append(pl.steps, func() {
		if next == nil {
			setItems(r, p, nil)
		} else {
			setItems(r, p, []unsafe.Pointer{next})
		}
		markAssigned(m, p, r)
	})
	return nil
}

func prepareMany(m *registry.Model, p unsafe.Pointer, r *registry.Relation, v any, pl *plan) error {
	rm := r.Related
	fail := func(i int, err error) error {
		path := r.Field
		if i >= 0 {
			path = fmt.Sprintf("%s[%d]", r.Field, i)
		}
		return &RelationError{Model: m.Name, Path: path, Err: err}
	}
	old := itemsOf(r, p)
	var next []unsafe.Pointer
	if v != nil {
		rv := reflect.ValueOf(v)
		if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
			return fail(-1, fmt.Errorf("%w: want a slice of maps or %s records, not %T", ErrInvalidValue, rm.Name, v))
		}
		var byKey map[registry.RowKey]unsafe.Pointer
		next = make([]unsafe.Pointer, 0, rv.Len())
		for i := 0; i < rv.Len(); i++ {
			e := rv.Index(i).Interface()
			vals, isMap := e.(map[string]any)
			if !isMap {
				q, ok := recordPtr(rm, e)
				if !ok || q == nil {
					return fail(i, fmt.Errorf("%w: want a map[string]any, a *%s or a %s, not %T", ErrInvalidValue, rm.Name, rm.Name, e))
				}
				next = append(next, q)
				continue
			}
			if byKey == nil {
				byKey = make(map[registry.RowKey]unsafe.Pointer, len(old))
				for _, q := range old {
					if snapAt(rm, q) != nil { // only stored records have a key to match
						byKey[pkKey(pkArgs(rm, q))] = q
					}
				}
			}
			if k, ok := mapKey(rm, vals); ok {
				if q, found := byKey[k]; found {
					if err := prepare(rm, q, vals, pl); err != nil {
						return fail(i, err)
					}
					next = append(next, q)
					continue
				}
			}
			q := newRecord(rm)
			if err := assignAt(rm, q, vals); err != nil {
				return fail(i, err)
			}
			next = append(next, q)
		}
	}
	h := meta.Handlers(m)
	if h.Has(events.KindAppend) || h.Has(events.KindRemove) {
		in := func(set []unsafe.Pointer, q unsafe.Pointer) bool {
			for _, x := range set {
				if x == q {
					return true
				}
			}
			return false
		}
		model := modelAt(m, p)
		for _, q := range old {
			if !in(next, q) {
				if err := h.FireRemove(model, r.Field, modelAt(rm, q)); err != nil {
					return fail(-1, err)
				}
			}
		}
		for i, q := range next {
			if in(old, q) {
				continue
			}
			out, err := h.FireAppend(model, r.Field, modelAt(rm, q))
			if err != nil {
				return fail(i, err)
			}
			nq, ok := recordPtr(rm, out)
			if !ok || nq == nil {
				return fail(i, fmt.Errorf("%w: the Append handler returned %T, not a *%s", ErrInvalidValue, out, rm.Name))
			}
			next[i] = nq
		}
	}
	pl.steps = append(pl.steps, func() {
		setItems(r, p, next)
		markAssigned(m, p, r)
	})
	return nil
}

// mapKey returns the primary key that a map of values for m names, when it
// names every key column and the values convert.
func mapKey(m *registry.Model, vals map[string]any) (registry.RowKey, bool) {
	args := make([]any, len(m.PK))
	for i, c := range m.PK {
		v, ok := vals[c.Name]
		if !ok {
			v, ok = vals[c.Field]
		}
		if !ok || v == nil {
			return registry.RowKey{}, false
		}
		rv, err := convertColumn(m, c, v)
		if err != nil {
			return registry.RowKey{}, false
		}
		args[i] = rv.Interface()
	}
	return pkKey(args), true
}

// markAssigned records that relation r of the record at p was assigned.
func markAssigned(m *registry.Model, p unsafe.Pointer, r *registry.Relation) {
	updateRelState(m, p, func(s *relState) {
		s.loaded |= bit(r)
		s.replaced |= bit(r)
	})
}
