package record

import (
	"context"
	"database/sql/driver"
	"fmt"
	"iter"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/registry"
)

// IsNew reports whether the record has not been loaded from or saved to
// the database (or was destroyed since).
func (b *Base[T]) IsNew() bool { return b.saved() == nil }

// Save writes the record: an INSERT when it is new (the generated key is
// stored back into the key field), an UPDATE of the columns that changed
// since it was loaded or last saved when it is not (no SQL at all when
// nothing changed). A new record whose primary key is already set is
// upserted: inserted, or written over the row with that key. Zero values
// ("", 0, false) are values and are written.
//
// Hooks run inside the write's transaction in this order: BeforeSave,
// BeforeInsert or BeforeUpdate, the SQL, AfterInsert or AfterUpdate,
// AfterSave; an error from any of them rolls the write back and is returned.
//
// Relations that hold records, or were loaded or assigned, are saved with
// the record in one transaction, each related record once: belongs-to
// records first (the record's foreign key is set from them), then the row,
// then has-one and has-many records (their foreign keys set to the
// record's key) and many-to-many records with their join rows. A record
// that left a has-one or has-many relation since it was loaded (or, after
// Update replaced a relation that was never loaded, any other row that
// references the record) gets a NULL foreign key, is deleted with
// rel:"orphans=delete", or, when its key is NOT NULL and the relation has
// no orphans=delete, makes Save fail with a *RelationError: nothing is
// orphaned silently. A record removed from a many-to-many relation loses
// its join row only. The join rows of a relation through a registered join
// model (rel:"m2m=PlaylistTrack") are that model's records: a new link is
// a new record (its other columns as its BeforeSave/BeforeInsert hooks set
// them, else zero values, or the column's default for a nil pointer with
// default=) written by Insert with its hooks, and a removed link is
// destroyed with its hooks; a link that stays is not touched.
// Change the links through one relation per Save: the join model's own
// has-many relation, if the owner has one, sees the same rows.
func (b *Base[T]) Save(ctx context.Context) error {
	m, p, err := b.self()
	if err != nil {
		return err
	}
	return save(ctx, m, p)
}

// Destroy deletes the record's row by primary key. It returns a
// *NotFoundError if there is no such row. Afterwards the record is new
// again: saving it inserts it anew.
//
// Related rows of has-one and has-many relations tagged rel:"cascade" are
// destroyed first (with their own hooks and cascades), and the join rows of
// its many-to-many relations are deleted (destroyed with their hooks when
// the join table is a registered model), all in one transaction. Rows that
// still reference the record otherwise make the database refuse: a
// *ReferencedError (ErrReferenced) that names the relations concerned.
//
// A model with a softdelete column keeps the row: Destroy sets that column
// to the current time (and the field with it), and the cascades reach only
// related models that are soft-deleted too; record.Purge deletes for real.
func (b *Base[T]) Destroy(ctx context.Context) error {
	m, p, err := b.self()
	if err != nil {
		return err
	}
	return destroyOne(ctx, m, p)
}

// Update sets fields from a map keyed by column (or Go field) names,
// converting values to the fields' types and firing Set events. It runs no
// SQL: call Save to write. An unknown key or a value that does not fit is
// an error, and then no field is changed.
//
// Relation fields take nested maps, to any depth, keyed by field name or
// its snake_case ("roles"): a map merges into the related record in place
// (creating it when there is none), an empty map or nil clears a single
// relation, a slice of maps or records replaces a collection (a map with
// the primary key of a record already in it updates that record). Set
// events fire for single relations, Append and Remove events for
// collections. A bad key or value at any depth leaves every record as it
// was.
func (b *Base[T]) Update(values map[string]any) error {
	m, p, err := b.self()
	if err != nil {
		return err
	}
	return assign(m, p, values)
}

// Set sets one field by column (or Go field) name, like Update.
func (b *Base[T]) Set(column string, value any) error {
	m, p, err := b.self()
	if err != nil {
		return err
	}
	c, ok := m.Column(column)
	if !ok {
		if _, isRel := m.Relation(column); isRel {
			return assign(m, p, map[string]any{column: value})
		}
		return unknownColumn(m, column)
	}
	v, err := setValue(m, c, p, value)
	if err != nil {
		return err
	}
	meta.Reflect(c, unsafe.Pointer(p)).Set(v)
	meta.Handlers(m).FireModified(p, c.Name)
	return nil
}

// Refresh reloads the record's columns from its row, overwriting unsaved
// changes, and runs the Refresh handlers. It returns a *NotFoundError when
// the row is gone.
func (b *Base[T]) Refresh(ctx context.Context) error {
	m, p, err := b.self()
	if err != nil {
		return err
	}
	return refresh(ctx, m, p)
}

// Changed returns the names of the columns whose values differ from those
// last loaded or saved, in column order; every column for a new record.
func (b *Base[T]) Changed() []string {
	m, p, err := b.self()
	if err != nil {
		return nil
	}
	var out []string
	for _, c := range m.Columns {
		if b.saved() == nil || !unchanged(m, c, unsafe.Pointer(p), unsafe.Pointer(b.saved())) {
			out = append(out, c.Name)
		}
	}
	return out
}

// ToMap returns the record as a map from column name to value (pointers
// and sql.Null* fields become their value or nil), followed by its loaded
// relations under their snake_case field names: a related record as a
// nested map (nil when none), a collection as a []map[string]any ([] when
// loaded and empty). A relation that was neither loaded (Preload), nor
// assigned (Update, New, saved), nor holds anything is left out. A record
// already being converted higher up is not expanded again (see Adapters and
// MaxDepth for the details); the model's MapAdapters shape the values.
// Options: ExcludeRelations, MaxDepth.
func (b *Base[T]) ToMap(opts ...MapOption) map[string]any {
	m, p, err := b.self()
	if err != nil {
		return nil
	}
	if mi := mapInfoOf(m); len(opts) == 0 && mi.columnsOnly {
		// The common case: columns only, no walker needed.
		return mi.columnsMap(unsafe.Pointer(p))
	}
	return newMapWalker(opts).toMap(m, unsafe.Pointer(p), 0, false)
}

// All yields the same pairs as ToMap: the columns in column order, then the
// loaded relations in field order.
func (b *Base[T]) All() iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		m, p, err := b.self()
		if err != nil {
			return
		}
		type pair struct {
			k string
			v any
		}
		var pairs []pair
		newMapWalker(nil).walk(m, unsafe.Pointer(p), 0, false, func(k string, v any) { pairs = append(pairs, pair{k, v}) })
		for _, kv := range pairs {
			if !yield(kv.k, kv.v) {
				return
			}
		}
	}
}

// plainValue is a field's value for maps and JSON: pointers dereferenced,
// sql.Null* unwrapped, nil for NULL.
func plainValue(c *registry.Column, p unsafe.Pointer) any { return plainOf(c, meta.Value(c, p)) }

// isSQLNull reports whether t is one of database/sql's Null types
// (sql.NullString ..., sql.Null[T]), which plainOf unwraps.
func isSQLNull(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && t.PkgPath() == "database/sql" && strings.HasPrefix(t.Name(), "Null")
}

// plainOf unwraps a value of column c's field type as plainValue does.
func plainOf(c *registry.Column, v any) any {
	if !c.Nullable || c.Kind == registry.KindBytes || c.Kind == registry.KindJSON ||
		(c.Kind == registry.KindCustom && c.Type.Kind() != reflect.Pointer) {
		return v
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		v = rv.Elem().Interface()
		if !isSQLNull(rv.Type().Elem()) {
			return v
		}
	}
	if vl, ok := v.(driver.Valuer); ok {
		if dv, err := vl.Value(); err == nil {
			return dv
		}
	}
	return v
}

// assign sets fields from a map of column and relation values, nested to
// any depth (nested.go); a bad key or value anywhere leaves every record as
// it was.
func assign[T any](m *registry.Model, p *T, values map[string]any) error {
	return assignAt(m, unsafe.Pointer(p), values)
}

// setValue runs the column's Set handlers and converts the result.
func setValue[T any](m *registry.Model, c *registry.Column, p *T, v any) (reflect.Value, error) {
	if meta.Handlers(m).HasSet(c.Name) {
		var err error
		v, err = meta.Handlers(m).FireSet(p, c.Name, v, plainValue(c, unsafe.Pointer(p)))
		if err != nil {
			return reflect.Value{}, &FieldError{Model: m.Name, Field: c.Field, Column: c.Name, Err: err}
		}
	}
	return convertColumn(m, c, v)
}

// String names the record by its model and primary key, as
// User{id: 3} or Membership{tenant_id: 1, code: "a"} (strings quoted,
// NULL as nil), so that a *T prints usefully with fmt's %v and %s. A new
// record whose key is still unset prints as User{new}. Define String on
// the model to print more.
func (b *Base[T]) String() string {
	m, p, err := b.self()
	if err != nil {
		var zero T
		return fmt.Sprintf("%T{}", zero)
	}
	up := unsafe.Pointer(p)
	var s strings.Builder
	s.WriteString(m.Name)
	s.WriteByte('{')
	if b.saved() == nil {
		unset := true
		for _, c := range m.PK {
			unset = unset && meta.IsZero(c, up)
		}
		if unset {
			s.WriteString("new}")
			return s.String()
		}
	}
	for i, c := range m.PK {
		if i > 0 {
			s.WriteString(", ")
		}
		s.WriteString(c.Name)
		s.WriteString(": ")
		switch v := plainValue(c, up).(type) {
		case nil:
			s.WriteString("nil")
		case string:
			s.WriteString(strconv.Quote(v))
		case []byte:
			s.WriteString(strconv.Quote(string(v)))
		case time.Time:
			s.WriteString(v.Format(time.RFC3339Nano))
		default:
			fmt.Fprint(&s, v)
		}
	}
	s.WriteByte('}')
	return s.String()
}
