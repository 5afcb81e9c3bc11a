package meta

import (
	"strconv"
	"unsafe"

	"github.com/sqlservice/sqlservice/internal/hooks"
)

// The layout that record, session and builder read per row and per
// statement. They are fields of Column, Model and Relation that package
// registry's aliases do not show: only code inside the module reaches
// them, through these functions (each is inlined).

// Offset returns the byte offset of c's field from the start of the model
// struct.
func Offset(c *Column) uintptr { return c.offset }

// FieldIndex returns the reflect field index path of c's field from the
// model struct.
func FieldIndex(c *Column) []int { return c.index }

// Pos returns c's position in its model's Columns (its bit in a ColumnSet).
func Pos(c *Column) int { return c.pos }

// SnapOf returns how a record's snapshot keeps c's value.
func SnapOf(c *Column) Snap { return c.snap }

// Deep returns the columns of m whose Snap is not SnapValue, in order.
func Deep(m *Model) []*Column { return m.deep }

// Handlers returns the event handlers m declared (never nil for a
// registered model).
func Handlers(m *Model) *hooks.Handlers { return m.handlers }

// BaseOffset returns the offset of the record.Base[T] embedded in m's
// struct (0 when HasBase is false).
func BaseOffset(m *Model) uintptr { return m.baseOffset }

// RelationIndex returns the reflect field index path of r's field.
func RelationIndex(r *Relation) []int { return r.index }

// RelationOffset returns the byte offset of r's field from the start of
// the owner's struct.
func RelationOffset(r *Relation) uintptr { return r.offset }

// RelationPos returns r's position in its owner's Relations.
func RelationPos(r *Relation) int { return r.pos }

// Int64At returns c's field in the model struct at p as an *int64 when it
// is an int64, or an int of 64 bits; else nil (the caller goes through
// Reflect).
func Int64At(c *Column, p unsafe.Pointer) *int64 {
	if c.cmp == cmpInt64 || (c.cmp == cmpInt && strconv.IntSize == 64) {
		return (*int64)(unsafe.Add(p, c.offset))
	}
	return nil
}
