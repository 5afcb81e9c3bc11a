package record

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"unsafe"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

// relState is what a record knows about its relation fields. It is
// immutable: a change builds a new one and stores it in the Base, so that
// copies of a record (values in a []Model collection) never see each
// other's changes.
type relState struct {
	loaded   uint64 // bit i: Relations[i] was preloaded, assigned through Update/New, or saved
	replaced uint64 // bit i: Relations[i] was assigned through Update/New since it was last loaded or saved
	known    uint64 // bit i: prev[i] holds the related records as last loaded or saved
	prev     [][]unsafe.Pointer
}

func bit(r *registry.Relation) uint64 { return 1 << uint(meta.RelationPos(r)) }

func (s *relState) has(r *registry.Relation) bool {
	return s != nil && (s.loaded|s.replaced)&bit(r) != 0
}

func (s *relState) isLoaded(r *registry.Relation) bool   { return s != nil && s.loaded&bit(r) != 0 }
func (s *relState) isReplaced(r *registry.Relation) bool { return s != nil && s.replaced&bit(r) != 0 }
func (s *relState) isKnown(r *registry.Relation) bool    { return s != nil && s.known&bit(r) != 0 }

func (s *relState) previous(r *registry.Relation) []unsafe.Pointer {
	if !s.isKnown(r) {
		return nil
	}
	return s.prev[meta.RelationPos(r)]
}

// clone returns a copy to modify.
func (s *relState) clone() *relState {
	n := &relState{}
	if s != nil {
		*n = *s
	}
	if n.prev != nil {
		n.prev = append([][]unsafe.Pointer(nil), n.prev...)
	}
	return n
}

// withKnown records items as the related records of r as last loaded or
// saved.
func (s *relState) withKnown(m *registry.Model, r *registry.Relation, items []unsafe.Pointer) {
	if s.prev == nil {
		s.prev = make([][]unsafe.Pointer, len(m.Relations))
	}
	s.prev[meta.RelationPos(r)] = items
	s.known |= bit(r)
	s.loaded |= bit(r)
	s.replaced &^= bit(r)
}

// ops are the operations on one model type that relation code, which only
// knows a *registry.Model and an unsafe.Pointer, needs to run with the
// record's real type (so that hooks receive a *T).
type ops struct {
	m       *registry.Model
	saveRow func(ctx context.Context, p unsafe.Pointer) error
	insert  func(ctx context.Context, p unsafe.Pointer) error // the row only, as Insert: ErrDuplicateKey when it exists
	destroy func(ctx context.Context, p unsafe.Pointer) error
	load    func(ctx context.Context, where builder.Sqlizer, preload []string, hint int) ([]unsafe.Pointer, error) // hint: rows expected, 0 when unknown
	copies  func(items []unsafe.Pointer) unsafe.Pointer                                                            // a new array of copies of the records at items: its first element
}

// opsProvider is implemented by every model pointer through its embedded
// Base.
type opsProvider interface{ recordOps() *ops }

func (*Base[T]) recordOps() *ops { return opsFor[T]() }

var opsCache sync.Map // *registry.Model → *ops

func opsFor[T any]() *ops {
	m, err := registry.Of[T]()
	if err != nil {
		panic(fmt.Sprintf("record: %v", err)) // unreachable: related models are registered with their owner
	}
	if o, ok := opsCache.Load(m); ok {
		return o.(*ops)
	}
	// A single integer key lets the preloads' SELECTs leave the sort to
	// Go (QuerySet.unordered): cheaper than the database's sorter.
	var pkKey keyFunc[int64]
	if len(m.PK) == 1 {
		pkKey, _ = intKeys(m.PK[0])
	}
	o := &ops{
		m: m,
		saveRow: func(ctx context.Context, p unsafe.Pointer) error {
			return saveRow(ctx, m, (*T)(p))
		},
		insert: func(ctx context.Context, p unsafe.Pointer) error {
			return insertRow(ctx, m, (*T)(p))
		},
		destroy: func(ctx context.Context, p unsafe.Pointer) error {
			return destroyOne(ctx, m, (*T)(p))
		},
		load: func(ctx context.Context, where builder.Sqlizer, preload []string, hint int) ([]unsafe.Pointer, error) {
			q := Query[T](ctx).Where(where).Preload(preload...)
			q.hint = hint
			q.pkKey = pkKey
			rows, err := q.All()
			if err != nil {
				return nil, err
			}
			out := make([]unsafe.Pointer, len(rows))
			for i, r := range rows {
				out[i] = unsafe.Pointer(r)
			}
			return out, nil
		},
		copies: func(items []unsafe.Pointer) unsafe.Pointer {
			arr := make([]T, len(items))
			for i, q := range items {
				arr[i] = *(*T)(q)
			}
			return unsafe.Pointer(unsafe.SliceData(arr))
		},
	}
	v, _ := opsCache.LoadOrStore(m, o)
	return v.(*ops)
}

// opsOf returns the ops of a registered model that embeds Base (every
// relation target does).
func opsOf(m *registry.Model) *ops {
	if o, ok := opsCache.Load(m); ok {
		return o.(*ops)
	}
	return reflect.New(m.Type).Interface().(opsProvider).recordOps()
}

// modelAt returns the record of m at p as a *T in an interface, for event
// handlers and adapters.
func modelAt(m *registry.Model, p unsafe.Pointer) any {
	if p == nil {
		return nil
	}
	return reflect.NewAt(m.Type, p).Interface()
}

// itemsOf returns the addresses of the records the relation field of the
// record at p holds: none or one for a single relation (a value-typed field
// holds one unless it is the zero value), the non-nil elements of a slice.
func itemsOf(r *registry.Relation, p unsafe.Pointer) []unsafe.Pointer {
	f := unsafe.Add(p, meta.RelationOffset(r))
	switch {
	case !r.Many && r.Pointer:
		if q := *(*unsafe.Pointer)(f); q != nil {
			return []unsafe.Pointer{q}
		}
		return nil
	case !r.Many:
		if reflect.NewAt(r.Target, f).Elem().IsZero() {
			return nil
		}
		return []unsafe.Pointer{f}
	case r.Pointer:
		s := *(*[]unsafe.Pointer)(f)
		out := make([]unsafe.Pointer, 0, len(s))
		for _, q := range s {
			if q != nil {
				out = append(out, q)
			}
		}
		return out
	}
	s := reflect.NewAt(r.Type, f).Elem()
	out := make([]unsafe.Pointer, s.Len())
	for i := range out {
		out[i] = s.Index(i).Addr().UnsafePointer()
	}
	return out
}

// present reports whether the relation field of the record at p holds
// anything.
func present(r *registry.Relation, p unsafe.Pointer) bool {
	f := unsafe.Add(p, meta.RelationOffset(r))
	switch {
	case !r.Many && r.Pointer:
		return *(*unsafe.Pointer)(f) != nil
	case !r.Many:
		return !reflect.NewAt(r.Target, f).Elem().IsZero()
	}
	return len(*(*[]unsafe.Pointer)(f)) > 0 // only the length is read: any slice header will do
}

// setItems stores records in the relation field of the record at p: the
// first (or nothing) for a single relation, all of them for a slice. Value
// fields get copies; pointer fields and []*Model get the pointers.
func setItems(r *registry.Relation, p unsafe.Pointer, items []unsafe.Pointer) {
	f := unsafe.Add(p, meta.RelationOffset(r))
	switch {
	case !r.Many && r.Pointer:
		var q unsafe.Pointer
		if len(items) > 0 {
			q = items[0]
		}
		*(*unsafe.Pointer)(f) = q
	case !r.Many:
		dst := reflect.NewAt(r.Target, f).Elem()
		if len(items) == 0 {
			dst.SetZero()
		} else if items[0] != f {
			dst.Set(reflect.NewAt(r.Target, items[0]).Elem())
		}
	case r.Pointer:
		// []*Model and []unsafe.Pointer have the same layout.
		if len(items) == 0 {
			*(*[]unsafe.Pointer)(f) = nil
		} else {
			*(*[]unsafe.Pointer)(f) = items
		}
	default:
		var s reflect.Value
		if len(items) == 0 {
			s = reflect.Zero(r.Type)
		} else {
			s = reflect.MakeSlice(r.Type, len(items), len(items))
			for i, q := range items {
				s.Index(i).Set(reflect.NewAt(r.Target, q).Elem())
			}
		}
		reflect.NewAt(r.Type, f).Elem().Set(s)
	}
}

// recordPtr returns the address of the record in v, a *Model or a Model of
// m (a Model is copied), or nil for nil; ok is false for anything else.
func recordPtr(m *registry.Model, v any) (unsafe.Pointer, bool) {
	if v == nil {
		return nil, true
	}
	rv := reflect.ValueOf(v)
	switch {
	case rv.Kind() == reflect.Pointer && rv.Type().Elem() == m.Type:
		return rv.UnsafePointer(), true
	case rv.Type() == m.Type:
		np := reflect.New(m.Type)
		np.Elem().Set(rv)
		return np.UnsafePointer(), true
	}
	return nil, false
}

// normKey returns the row key of one value (see registry.RowKey); ok is
// false for NULL.
func normKey(v any) (registry.RowKey, bool) {
	k := registry.RowKeyOf(v)
	return k, k.Valid()
}

// columnKey returns the normalised value of column c of the record at p.
func columnKey(c *registry.Column, p unsafe.Pointer) (registry.RowKey, bool) {
	return normKey(meta.Value(c, p))
}

// pkArgs returns the primary key values of the record of m at p as it was
// loaded (from the snapshot when there is one).
func pkArgs(m *registry.Model, p unsafe.Pointer) []any {
	src := p
	if s := snapAt(m, p); s != nil {
		src = s
	}
	args := make([]any, len(m.PK))
	for i, c := range m.PK {
		args[i] = meta.Value(c, src)
	}
	return args
}

// pkKey is the row key of primary key values.
func pkKey(args []any) registry.RowKey { return registry.RowKeyOf(args...) }

// keysWhere is the criterion matching the rows of m with the given primary
// keys, in column names (resolved by the query that uses it).
func keysWhere(m *registry.Model, keys [][]any) builder.Sqlizer {
	if len(m.PK) == 1 {
		vals := make([]any, len(keys))
		for i, k := range keys {
			vals[i] = k[0]
		}
		return builder.Eq{m.PK[0].Name: vals}
	}
	or := make(builder.Or, len(keys))
	for i, k := range keys {
		and := make(builder.And, len(m.PK))
		for j, col := range m.PK {
			and[j] = builder.Eq{col.Name: k[j]}
		}
		or[i] = and
	}
	return or
}

// setColumn converts v to column c's type and stores it in the record at p
// when it differs.
func setColumn(m *registry.Model, c *registry.Column, p unsafe.Pointer, v any) error {
	rv, err := convertColumn(m, c, v)
	if err != nil {
		return err
	}
	f := meta.Reflect(c, p)
	if !reflect.DeepEqual(f.Interface(), rv.Interface()) {
		f.Set(rv)
	}
	return nil
}

// wrapDelete turns a foreign key violation from deleting rows of m into a
// *ReferencedError; other errors are wrapped as by wrapDB.
func wrapDelete(m *registry.Model, key any, err error) error {
	if err == nil || !errors.Is(err, session.ErrForeignKey) {
		return wrapDB(m, "delete", err)
	}
	e := &ReferencedError{Model: m.Name, Key: key, Err: wrapDB(m, "delete", err)}
	for _, r := range m.Relations {
		if (r.Kind == registry.HasOne || r.Kind == registry.HasMany) && !r.Cascade {
			e.Relations = append(e.Relations, r.String())
		}
	}
	return e
}
