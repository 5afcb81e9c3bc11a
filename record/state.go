package record

import (
	"reflect"
	"unsafe"

	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/registry"
)

// Base makes a struct a model that saves, loads and destroys itself. Embed
// it with the struct's own type as T:
//
//	type User struct {
//		record.Base[User]
//		ID   int64  `db:"id,pk,autoincrement"`
//		Name string `db:"name,size=100"`
//	}
//
// Its methods work on the enclosing *T: the registry records where Base
// sits inside T and Base recovers the outer pointer from its own address.
// So Base must only ever live embedded in a T, reached through a *T (as
// u.Save(ctx) on a u *User, or an addressable User variable); a Base copied
// out on its own is not a model.
//
// Base remembers the column values as last loaded or saved, so that Save
// writes only what changed. The zero Base is a new, unsaved record.
type Base[T any] struct {
	snap *T        // column values as last loaded or saved; nil for a new record
	rel  *relState // what is known of the relation fields (relations.go); immutable, replaced on change
	vals *[]any    // in a snapshot: driver values of meta.SnapDriver columns, by position (a pointer: every record carries the field)
}

// baseTypes returns T and Base[T]: the registry recognises an embedded
// Base by these types (see init), not by its name.
func (*Base[T]) baseTypes() (model, base reflect.Type) {
	return reflect.TypeFor[T](), reflect.TypeFor[Base[T]]()
}

type embeddedBase interface {
	baseTypes() (model, base reflect.Type)
}

var embeddedBaseType = reflect.TypeFor[embeddedBase]()

func init() {
	meta.SetBase(func(t reflect.Type) (reflect.Type, bool) {
		// A struct that embeds a Base has its methods too: only Base[T]
		// itself reports its own type.
		if !reflect.PointerTo(t).Implements(embeddedBaseType) {
			return nil, false
		}
		model, base := reflect.New(t).Interface().(embeddedBase).baseTypes()
		return model, base == t
	})
}

// self returns the model metadata and the enclosing *T.
func (b *Base[T]) self() (*registry.Model, *T, error) {
	m, err := registry.Of[T]()
	if err != nil {
		return nil, nil, err
	}
	if !m.HasBase {
		return nil, nil, ErrNoBase
	}
	return m, (*T)(unsafe.Add(unsafe.Pointer(b), -int(meta.BaseOffset(m)))), nil
}

// saved returns the record's snapshot: its columns as last loaded or
// saved; nil for a new record.
func (b *Base[T]) saved() *T { return b.snap }

// setSaved makes snap the record's snapshot (nil: the record is new).
func (b *Base[T]) setSaved(snap *T) { b.snap = snap }

// baseOf returns the Base embedded in *p, or nil when T has none.
func baseOf[T any](m *registry.Model, p *T) *Base[T] {
	if !m.HasBase {
		return nil
	}
	return (*Base[T])(unsafe.Add(unsafe.Pointer(p), meta.BaseOffset(m)))
}

// A record's snapshot is a second T holding its columns as last loaded or
// saved; Save writes the columns that differ from it. Columns whose values
// hold references are kept deeply (registry.Snap), so that an edit in place
// (d.Data[0] = 'X', *d.Nick = "new", d.Tags["k"] = "v") is a change. A
// model without such columns pays one struct copy, as before.

// valsOffset is the offset of Base.vals; Base[T] has the same layout for
// every T.
var valsOffset = unsafe.Offsetof(Base[struct{}]{}.vals)

// snapshot makes *snap the snapshot of the record at p.
func snapshot[T any](m *registry.Model, p, snap *T) {
	*snap = *p
	sb := baseOf(m, snap)
	sb.snap = nil // a snapshot holds no older snapshots
	sb.vals = nil
	if len(meta.Deep(m)) > 0 {
		deepen(m, unsafe.Pointer(p), unsafe.Pointer(snap))
	}
}

// deepen replaces the shallow copies in the snapshot at snap of the record
// at p by deep copies, or by driver values for meta.SnapDriver columns.
func deepen(m *registry.Model, p, snap unsafe.Pointer) {
	var vals []any
	for _, c := range meta.Deep(m) {
		switch meta.SnapOf(c) {
		case meta.SnapCopy:
			meta.CopyDeep(c, snap, p)
		case meta.SnapDriver:
			if vals == nil {
				vals = make([]any, len(m.Columns))
			}
			vals[meta.Pos(c)] = meta.DriverValue(c, p)
		}
	}
	if vals != nil {
		*(**[]any)(unsafe.Add(snap, meta.BaseOffset(m)+valsOffset)) = &vals
	}
}

// unchanged reports whether column c of the record at p holds what its
// snapshot at snap holds.
func unchanged(m *registry.Model, c *registry.Column, p, snap unsafe.Pointer) bool {
	if meta.SnapOf(c) == meta.SnapDriver {
		vals := *(**[]any)(unsafe.Add(snap, meta.BaseOffset(m)+valsOffset))
		return vals != nil && meta.SameDriverValue(meta.DriverValue(c, p), (*vals)[meta.Pos(c)])
	}
	return meta.Equal(c, p, snap)
}

// relOffset is the offset of Base.rel; Base[T] has the same layout for
// every T.
var relOffset = unsafe.Offsetof(Base[struct{}]{}.rel)

// relStateAt returns the address of the relation state of the record of m
// at p, or nil when m does not embed Base.
func relStateAt(m *registry.Model, p unsafe.Pointer) **relState {
	if !m.HasBase {
		return nil
	}
	return (**relState)(unsafe.Add(p, meta.BaseOffset(m)+relOffset))
}

func relStateOf(m *registry.Model, p unsafe.Pointer) *relState {
	if a := relStateAt(m, p); a != nil {
		return *a
	}
	return nil
}

// updateRelState replaces the relation state of the record at p with a
// modified copy.
func updateRelState(m *registry.Model, p unsafe.Pointer, fn func(s *relState)) {
	a := relStateAt(m, p)
	if a == nil {
		return
	}
	n := (*a).clone()
	fn(n)
	*a = n
}

// snapSlot returns the address of the snapshot pointer of the record of m
// at p, or nil when m does not embed Base.
func snapSlot(m *registry.Model, p unsafe.Pointer) *unsafe.Pointer {
	if !m.HasBase {
		return nil
	}
	return (*unsafe.Pointer)(unsafe.Add(p, meta.BaseOffset(m)))
}

// snapAt returns the snapshot of the record of m at p (its columns as last
// loaded or saved), or nil for a new record or a model without Base.
func snapAt(m *registry.Model, p unsafe.Pointer) unsafe.Pointer {
	if !m.HasBase {
		return nil
	}
	return *(*unsafe.Pointer)(unsafe.Add(p, meta.BaseOffset(m)))
}
