package record

import (
	"unsafe"

	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/registry"
)

// A record's snapshot is a second T holding its columns as last loaded or
// saved; Save writes the columns that differ from it. Columns whose values
// hold references are kept deeply (meta.Snap), so that an edit in place
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
