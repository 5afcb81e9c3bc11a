package record

import (
	"database/sql"
	"database/sql/driver"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/registry"
)

// rowPlan is how rows scan into a plain struct (record.Scan, record.Raw
// of a type that is not a model): its fields by result column name,
// reflected once per type.
type rowPlan struct {
	typ    reflect.Type
	id     uint32 // in the shape keys of Scan's queries
	fields []plainField
	byName map[string]int // field name, db tag name and snake_case name, lower-cased
}

type plainField struct {
	name   string // the column name it matches: db tag, else snake_case
	field  string // Go field name (a path through embedded structs)
	offset uintptr
	dest   func(unsafe.Pointer) any
}

var (
	rowPlans   sync.Map // reflect.Type → *rowPlan
	rowPlanIDs atomic.Uint32
)

// planOf returns the plan of struct type t, building it on first use.
func planOf(t reflect.Type) (*rowPlan, error) {
	if v, ok := rowPlans.Load(t); ok {
		return v.(*rowPlan), nil
	}
	if t == nil || t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("record: cannot scan rows into %v: a struct type is needed", t)
	}
	p := &rowPlan{typ: t, byName: map[string]int{}}
	if err := p.collect(t, 0, ""); err != nil {
		return nil, err
	}
	p.id = rowPlanIDs.Add(1)
	v, _ := rowPlans.LoadOrStore(t, p)
	return v.(*rowPlan), nil
}

var basePkg = reflect.TypeFor[Base[struct{}]]().PkgPath()

func (p *rowPlan) collect(t reflect.Type, offset uintptr, prefix string) error {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, hasTag := f.Tag.Lookup("db")
		name, _, _ := strings.Cut(tag, ",")
		name = strings.TrimSpace(name)
		if name == "-" {
			continue
		}
		if f.Anonymous {
			ft := f.Type
			if ft.PkgPath() == basePkg && strings.HasPrefix(ft.Name(), "Base[") {
				continue // a model's Base holds no column
			}
			if ft.Kind() == reflect.Struct && name == "" && !scannable(ft) {
				if err := p.collect(ft, offset+f.Offset, prefix+f.Name+"."); err != nil {
					return err
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = registry.SnakeCase(f.Name)
		} else if hasTag && !registry.ValidIdentifier(name) {
			return fmt.Errorf("record: %s.%s: db tag name %q is not a valid identifier", p.typ, prefix+f.Name, name)
		}
		pf := plainField{name: name, field: prefix + f.Name, offset: offset + f.Offset, dest: meta.ScanDestOf(f.Type)}
		idx := len(p.fields)
		for _, k := range []string{strings.ToLower(name), strings.ToLower(f.Name)} {
			if prev, dup := p.byName[k]; dup && prev != idx {
				if p.fields[prev].name == name {
					return fmt.Errorf("record: %s: fields %s and %s both take column %q", p.typ, p.fields[prev].field, pf.field, name)
				}
				continue // the first field keeps a name both answer to
			}
			p.byName[k] = idx
		}
		p.fields = append(p.fields, pf)
	}
	return nil
}

// scannable reports whether a struct type is one value for database/sql
// (time.Time, sql.NullString, a Scanner) rather than fields to flatten.
func scannable(t reflect.Type) bool {
	return t == reflect.TypeFor[time.Time]() || reflect.PointerTo(t).Implements(reflect.TypeFor[sql.Scanner]()) ||
		t.Implements(reflect.TypeFor[driver.Valuer]())
}

// match maps result columns to fields: by exact name first, then ignoring
// case. A result column that matches no field, or a field that two result
// columns match, is an error naming them, before any row is read.
func (p *rowPlan) match(names []string, op string) ([]plainField, error) {
	out := make([]plainField, len(names))
	used := make([]bool, len(p.fields))
	var unknown []string
	for i, n := range names {
		idx, ok := p.byName[strings.ToLower(n)]
		if !ok {
			unknown = append(unknown, fmt.Sprintf("%q", n))
			continue
		}
		if used[idx] {
			return nil, fmt.Errorf("record: %s[%s]: result column %q maps to field %s a second time", op, p.typ, n, p.fields[idx].field)
		}
		used[idx] = true
		out[i] = p.fields[idx]
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("record: %s[%s]: result columns %s match no field of %s (by db tag or snake_case name; alias them, or leave them out): %w",
			op, p.typ, strings.Join(unknown, ", "), p.typ, registry.ErrUnknownColumn)
	}
	return out, nil
}
