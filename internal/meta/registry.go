package meta

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"

	"github.com/sqlservice/sqlservice/internal/hooks"
)

// baseOf is package record's hand-off (see SetBase): the registry
// recognises an embedded record.Base[T] by type identity without importing
// record, which imports the registry.
var baseOf func(t reflect.Type) (model reflect.Type, ok bool)

// SetBase installs package record's hand-off; record calls it at init. of
// reports the model type T when t is exactly record.Base[T].
func SetBase(of func(t reflect.Type) (model reflect.Type, ok bool)) { baseOf = of }

// isBase returns T when t is exactly record.Base[T]. Without package record
// in the program no type is one.
func isBase(t reflect.Type) (model reflect.Type, ok bool) {
	if baseOf == nil || t.Kind() != reflect.Struct {
		return nil, false
	}
	return baseOf(t)
}

var reg = struct {
	mu     sync.Mutex
	order  []*Model // registration order
	tables map[string]*Model
	// m2m holds the published many-to-many relations whose join table the
	// registry synthesized: a join model registered later may adopt it.
	m2m []*Relation
}{tables: map[string]*Model{}}

// Register reflects each model (a struct value or pointer) once and caches
// its metadata. Registering a type again is a no-op. Related models found in
// relation fields are registered too. It returns a *ModelError naming the
// type and field for a bad definition; nothing is registered from a call
// that fails.
func Register(models ...any) error {
	types := make([]reflect.Type, 0, len(models))
	for _, m := range models {
		if m == nil {
			return &ModelError{Model: "<nil>", Kind: ErrNotModel, Err: errors.New("nil value")}
		}
		t := reflect.TypeOf(m)
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		types = append(types, t)
	}
	_, err := register(types...)
	return err
}

// Lookup returns the cached model of a struct type, registering it on first
// use.
func Lookup(t reflect.Type) (*Model, error) {
	if m, ok := registered(t); ok {
		return m, nil
	}
	ms, err := register(t)
	if err != nil {
		return nil, err
	}
	return ms[0], nil
}

// register builds every type not registered yet, with the models they
// relate to, and publishes all of them or none.
func register(types ...reflect.Type) ([]*Model, error) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	pending := map[reflect.Type]*Model{}
	out := make([]*Model, len(types))
	for i, t := range types {
		if m, ok := registered(t); ok {
			out[i] = m
			continue
		}
		m, err := build(t, pending)
		if err != nil {
			return nil, err
		}
		out[i] = m
	}
	if err := resolveRelations(pending); err != nil {
		return nil, err
	}
	// Check table names of everything built before publishing any of it.
	built := make([]*Model, 0, len(pending))
	for _, pm := range pending {
		built = append(built, pm)
	}
	sort.Slice(built, func(i, j int) bool { return built[i].Name < built[j].Name })
	adoptions, adopted, err := adoptJoins(built)
	if err != nil {
		return nil, err
	}
	seen := map[string]*Model{}
	for _, pm := range built {
		other := reg.tables[pm.Table]
		if other != nil && other.IsJoin() && adopted[other] {
			other = nil // the synthesized join table this model takes over
		}
		if other == nil {
			other = seen[pm.Table]
		}
		if other != nil {
			return nil, &ModelError{Model: pm.Name, Kind: ErrDuplicateTable,
				Err: fmt.Errorf("table %q is already used by %s", pm.Table, other.Type)}
		}
		seen[pm.Table] = pm
	}
	for _, pm := range built {
		reg.tables[pm.Table] = pm
		reg.order = append(reg.order, pm)
		for _, r := range pm.Relations {
			if r.Kind == ManyToMany && r.Through().Join.IsJoin() {
				reg.m2m = append(reg.m2m, r)
			}
		}
	}
	publishTypes(built, nil)
	publishAdoptions(adoptions, adopted)
	return out, nil
}

// adoption is a published many-to-many relation whose synthesized join
// table a model of this registration takes over.
type adoption struct {
	r *Relation
	t *Through
}

// adoptJoins finds the published many-to-many relations whose m2m= names a
// model among built (by Go name or table) although the registry had
// synthesized a join table for them, and resolves each through that model.
// The model must link both sides through the columns the relation already
// references. It returns the adoptions and the synthesized joins they
// replace; nothing is changed yet. The registry's lock is held.
func adoptJoins(built []*Model) ([]adoption, map[*Model]bool, error) {
	var out []adoption
	replaced := map[*Model]bool{}
	for _, pm := range built {
		if pm.IsJoin() {
			continue
		}
		for _, r := range reg.m2m {
			if r.m2m.m2m != pm.Name && r.m2m.m2m != pm.Table {
				continue
			}
			old := r.Through()
			t, ownerRef, relRef, err := throughModel(r.Owner, r.Related, pm, r.m2m)
			if err == nil && (ownerRef != r.Ref || relRef != r.RelatedRef) {
				err = fmt.Errorf("its columns reference %s.%s and %s.%s, not the keys %s.%s and %s.%s the relation was resolved to",
					r.Owner.Table, ownerRef.Name, r.Related.Table, relRef.Name, r.Owner.Table, r.Ref.Name, r.Related.Table, r.RelatedRef.Name)
			}
			if err != nil {
				return nil, nil, &ModelError{Model: pm.Name, Kind: ErrRelation,
					Err: fmt.Errorf("it is the join model of %s (rel:%q), registered before it: %w; or register %s together with %s", r, r.Tag, err, pm.Name, r.Owner.Name)}
			}
			out = append(out, adoption{r, t})
			replaced[old.Join] = true
		}
	}
	return out, replaced, nil
}

// publishAdoptions hands the join tables over to their models: each
// relation switches to its join model, and a synthesized join table that
// no relation uses any more leaves the registry (its table, if the model's
// too, is the model's now). The registry's lock is held.
func publishAdoptions(as []adoption, replaced map[*Model]bool) {
	if len(as) == 0 {
		return
	}
	for _, a := range as {
		a.r.through.Store(a.t)
	}
	still := map[*Model]bool{}
	m2m := reg.m2m[:0]
	for _, r := range reg.m2m {
		if j := r.Through().Join; j.IsJoin() {
			still[j] = true
			m2m = append(m2m, r)
		}
	}
	clear(reg.m2m[len(m2m):])
	reg.m2m = m2m
	order := reg.order[:0]
	dropped := map[*Model]bool{}
	for _, m := range reg.order {
		if replaced[m] && !still[m] {
			if reg.tables[m.Table] == m {
				delete(reg.tables, m.Table)
			}
			dropped[m] = true
			continue
		}
		order = append(order, m)
	}
	clear(reg.order[len(order):])
	reg.order = order
	if len(dropped) > 0 {
		publishTypes(nil, dropped)
	}
}

// Registered returns the model of t when t has been registered (by
// Register or a first use), without registering it.
func Registered(t reflect.Type) (*Model, bool) {
	return registered(t)
}

// Of returns the model of T, registering it on first use.
func Of[T any]() (*Model, error) { return Lookup(reflect.TypeFor[T]()) }

// Models returns every registered model in registration order.
func Models() []*Model {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	return append([]*Model(nil), reg.order...)
}

// ByTable returns the registered model stored in table.
func ByTable(table string) (*Model, bool) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	m, ok := reg.tables[table]
	return m, ok
}

// IsModelType reports whether t is a struct that embeds record.Base.
func IsModelType(t reflect.Type) bool {
	_, _, ok := baseField(t)
	return ok
}

// baseField returns the record.Base field that t embeds, and the model
// type it is the Base of.
func baseField(t reflect.Type) (reflect.StructField, reflect.Type, bool) {
	if t.Kind() != reflect.Struct {
		return reflect.StructField{}, nil, false
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.Anonymous {
			continue
		}
		if model, ok := isBase(f.Type); ok {
			return f, model, true
		}
	}
	return reflect.StructField{}, nil, false
}

type tableNamer interface{ TableName() string }

func build(t reflect.Type, pending map[reflect.Type]*Model) (*Model, error) {
	if m, ok := pending[t]; ok {
		return m, nil
	}
	name := t.String()
	if t.Kind() != reflect.Struct {
		return nil, &ModelError{Model: name, Kind: ErrNotModel, Err: fmt.Errorf("a model must be a struct, not %s", t.Kind())}
	}
	m := &Model{Type: t, Name: t.Name(), byName: map[string]*Column{}, byField: map[string]*Column{}}
	if m.Name == "" {
		return nil, &ModelError{Model: name, Kind: ErrNotModel, Err: errors.New("a model must be a named struct type")}
	}
	pending[t] = m
	fail := func(field string, kind, err error) (*Model, error) {
		return nil, &ModelError{Model: m.Name, Field: field, Kind: kind, Err: err}
	}

	if bf, model, ok := baseField(t); ok {
		if model != t {
			return fail(bf.Name, ErrNotModel, fmt.Errorf("embeds %s; a model must embed record.Base[%s]", bf.Type, t.Name()))
		}
		m.HasBase, m.baseOffset = true, bf.Offset
	}

	m.Naming = SnakeNaming
	if nm, ok := reflect.New(t).Interface().(namer); ok && nm.Naming() != nil {
		m.Naming = nm.Naming()
	}
	m.Table = m.Naming.Name(t.Name())
	if tn, ok := reflect.New(t).Interface().(tableNamer); ok {
		m.Table = tn.TableName()
	}
	if !ValidIdentifier(m.Table) {
		return fail("", ErrBadTag, fmt.Errorf("table name %q is not a valid identifier", m.Table))
	}

	if err := collectFields(m, t, nil, 0); err != nil {
		return nil, err
	}
	if len(m.Columns) == 0 {
		return fail("", ErrNotModel, errors.New("no mapped columns"))
	}
	m.setDeep()
	if err := collectPK(m); err != nil {
		return nil, err
	}

	h, err := collectEvents(m, t)
	if err != nil {
		return nil, err
	}
	m.handlers = h

	for _, r := range m.Relations {
		if _, done := registered(r.Target); done {
			continue
		}
		if _, err := build(r.Target, pending); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func collectFields(m *Model, t reflect.Type, index []int, offset uintptr) error {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		idx := append(append([]int(nil), index...), i)
		raw, tagged := f.Tag.Lookup("db")
		fail := func(kind, err error) error { return &ModelError{Model: m.Name, Field: f.Name, Kind: kind, Err: err} }
		if _, isB := isBase(f.Type); f.Anonymous && isB {
			continue
		}
		if f.Anonymous && !tagged && f.Type.Kind() == reflect.Struct && !IsModelType(f.Type) {
			if _, _, _, err := classify(f.Type); err != nil {
				// An embedded plain struct, exported or not: its exported
				// fields are promoted, so they are the model's fields.
				if err := collectFields(m, f.Type, idx, offset+f.Offset); err != nil {
					return err
				}
				continue
			}
		}
		if !f.IsExported() {
			if tagged && raw != "-" {
				return fail(ErrBadTag, errors.New("unexported fields cannot be mapped; export it or tag it db:\"-\""))
			}
			continue
		}
		if raw == "-" {
			continue
		}
		if rt, many, ptr, ok := relationType(f.Type); ok {
			if tagged {
				return fail(ErrBadTag, errors.New("a relation field takes a rel:\"...\" tag, not db:\"...\""))
			}
			m.Relations = append(m.Relations, &Relation{
				Field: f.Name, index: idx, offset: offset + f.Offset, Type: f.Type,
				Target: rt, Many: many, Pointer: ptr, Tag: f.Tag.Get("rel"),
			})
			continue
		}
		tg, err := parseTag(raw)
		if err != nil {
			return fail(ErrBadTag, fmt.Errorf("db:%q: %w", raw, err))
		}
		k, bits, nullable, err := classify(f.Type)
		if err != nil {
			return fail(ErrUnsupportedType, err)
		}
		c := &Column{
			Name: tg.name, Field: f.Name, index: idx, offset: offset + f.Offset, Type: f.Type,
			Kind: k, Bits: bits, PK: tg.pk, AutoIncrement: tg.autoIncrement, Version: tg.version, Nullable: nullable,
			AutoCreate: tg.autoCreate, AutoUpdate: tg.autoUpdate, SoftDelete: tg.softDelete,
			Unique: tg.unique, Indexed: tg.index, Size: tg.size, Default: tg.dflt, HasDefault: tg.hasDefault,
			SQLType: tg.sqlType, FK: tg.fk, pos: len(m.Columns), pkOrder: tg.pkOrder,
		}
		if c.Name == "" {
			c.Name = m.Naming.Name(f.Name)
			if !ValidIdentifier(c.Name) {
				return fail(ErrBadTag, fmt.Errorf("derived column name %q is not a valid identifier; name it in the tag", c.Name))
			}
		}
		c.NotNull = tg.notNull || tg.pk || !nullable
		if c.AutoIncrement && (!c.PK || (k != KindInt && k != KindUint) || nullable) {
			return fail(ErrBadTag, errors.New("autoincrement needs an integer, non-pointer primary key field"))
		}
		if c.Version && (c.PK || (k != KindInt && k != KindUint) || nullable) {
			return fail(ErrBadTag, errors.New("version needs an integer, non-pointer field that is not part of the primary key"))
		}
		if c.Version && m.Version != nil {
			return fail(ErrBadTag, fmt.Errorf("a second version column (the first is %s)", m.Version.Field))
		}
		if c.Version {
			m.Version = c
		}
		if (c.AutoCreate || c.AutoUpdate || c.SoftDelete) && (k != KindTime || c.PK) {
			return fail(ErrBadTag, errors.New("autocreate, autoupdate and softdelete need a time field (time.Time, *time.Time, sql.NullTime) that is not part of the primary key"))
		}
		if c.SoftDelete && (!nullable || c.AutoCreate || c.AutoUpdate) {
			return fail(ErrBadTag, errors.New("softdelete needs a nullable time field (*time.Time or sql.NullTime): NULL is a row that is not deleted"))
		}
		if c.SoftDelete && m.SoftDelete != nil {
			return fail(ErrBadTag, fmt.Errorf("a second softdelete column (the first is %s)", m.SoftDelete.Field))
		}
		if c.SoftDelete {
			m.SoftDelete = c
		}
		if c.AutoCreate || c.AutoUpdate {
			m.AutoTimes = append(m.AutoTimes, c)
		}
		if prev, dup := m.byName[c.Name]; dup {
			return fail(ErrBadTag, fmt.Errorf("column %q is already mapped by field %s", c.Name, prev.Field))
		}
		c.setAccessors(f.Type)
		m.byName[c.Name] = c
		m.byField[c.Field] = c
		m.Columns = append(m.Columns, c)
	}
	return nil
}

func collectPK(m *Model) error {
	var plain, ordered []*Column
	for _, c := range m.Columns {
		if !c.PK {
			continue
		}
		if c.pkOrder > 0 {
			ordered = append(ordered, c)
		} else {
			plain = append(plain, c)
		}
	}
	fail := func(field string, kind, err error) error {
		return &ModelError{Model: m.Name, Field: field, Kind: kind, Err: err}
	}
	switch {
	case len(plain) == 0 && len(ordered) == 0:
		return fail("", ErrNoPrimaryKey, errors.New(`no primary key: tag one field db:"...,pk" (or several db:"...,pk=1", db:"...,pk=2" for a composite key)`))
	case len(plain) > 1:
		return fail(plain[1].Field, ErrNoPrimaryKey, fmt.Errorf("two primary keys (%s and %s) without a composite declaration: use pk=1, pk=2, ... to declare a composite key", plain[0].Field, plain[1].Field))
	case len(plain) == 1 && len(ordered) > 0:
		return fail(plain[0].Field, ErrBadTag, errors.New("mixes pk with pk=N; a composite key numbers every column"))
	case len(plain) == 1:
		m.PK = plain
	default:
		sort.Slice(ordered, func(i, j int) bool { return ordered[i].pkOrder < ordered[j].pkOrder })
		for i, c := range ordered {
			if c.pkOrder != i+1 {
				return fail(c.Field, ErrBadTag, fmt.Errorf("composite key positions must be 1..%d without gaps or repeats", len(ordered)))
			}
		}
		m.PK = ordered
	}
	for _, c := range m.Columns {
		if c.AutoIncrement {
			if len(m.PK) != 1 {
				return fail(c.Field, ErrBadTag, errors.New("autoincrement is only allowed on a single-column primary key"))
			}
			m.AutoIncrement = c
		}
	}
	return nil
}

// relationType reports whether t is a model, *model, []model or []*model.
func relationType(t reflect.Type) (target reflect.Type, many, ptr, ok bool) {
	if t.Kind() == reflect.Slice {
		many = true
		t = t.Elem()
	}
	if t.Kind() == reflect.Pointer {
		ptr = true
		t = t.Elem()
	}
	if IsModelType(t) {
		return t, many, ptr, true
	}
	return nil, false, false, false
}

func collectEvents(m *Model, t reflect.Type) (*hooks.Handlers, error) {
	h := &hooks.Handlers{}
	fail := func(err error) (*hooks.Handlers, error) {
		return nil, &ModelError{Model: m.Name, Field: "Events", Kind: ErrBadTag, Err: err}
	}
	pv := reflect.New(t)
	if meth := pv.MethodByName("Events"); meth.IsValid() {
		mt := meth.Type()
		if mt.NumIn() != 1 || mt.NumOut() != 0 || mt.In(0).Kind() != reflect.Pointer {
			return fail(fmt.Errorf("Events must have the signature func (%s) Events(on *events.On[%s])", m.Name, m.Name))
		}
		if model, ok := hooks.OnModel(mt.In(0)); !ok || model != t {
			return fail(fmt.Errorf("Events takes *events.On[%s], not %s", m.Name, mt.In(0)))
		}
		on := reflect.New(mt.In(0).Elem())
		meth.Call([]reflect.Value{on})
		h = hooks.Collect(on.Interface())
	}
	// Key attribute handlers by column name, or by relation field name.
	err := h.Canonicalize(func(k hooks.Kind, attr string) (string, error) {
		if k == hooks.KindInitScalar || k == hooks.KindModified {
			if c, ok := m.Column(attr); ok {
				return c.Name, nil
			}
			return "", fmt.Errorf("%s handler for %q: no such column", k, attr)
		}
		if k == hooks.KindSet {
			if c, ok := m.Column(attr); ok {
				return c.Name, nil
			}
		}
		if r, ok := m.Relation(attr); ok {
			switch {
			case k == hooks.KindSet && r.Many:
				return "", fmt.Errorf("Set handler for %q: a collection relation fires Append and Remove, not Set", attr)
			case k == hooks.KindSet || r.Many:
				return r.Field, nil
			}
		}
		if k == hooks.KindSet {
			return "", fmt.Errorf("Set handler for %q: no such column or relation", attr)
		}
		return "", fmt.Errorf("%s handler for %q: no such collection relation", k, attr)
	})
	if err != nil {
		return fail(err)
	}
	h.AddInterfaceHooks(pv.Interface())
	return h, nil
}

// Detached returns the metadata of models (struct values or pointers) as
// Register would build it, without registering them: for schema tools that
// hold two releases of one table in one program, such as a diff between
// the models a database was created with and the current ones. A type that
// is registered already gives its registered model. Table names must be
// unique among the given models and the models they relate to, not among
// the registered ones. The many-to-many join models are built as well
// (see JoinModels).
func Detached(models ...any) ([]*Model, error) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	pending := map[reflect.Type]*Model{}
	out := make([]*Model, len(models))
	for i, v := range models {
		if v == nil {
			return nil, &ModelError{Model: "<nil>", Kind: ErrNotModel, Err: errors.New("nil value")}
		}
		t := reflect.TypeOf(v)
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if m, ok := registered(t); ok {
			out[i] = m
			continue
		}
		m, err := build(t, pending)
		if err != nil {
			return nil, err
		}
		out[i] = m
	}
	if err := resolveRelations(pending); err != nil {
		return nil, err
	}
	seen := map[string]*Model{}
	for _, m := range out {
		if other := seen[m.Table]; other != nil && other != m {
			return nil, &ModelError{Model: m.Name, Kind: ErrDuplicateTable,
				Err: fmt.Errorf("table %q is already used by %s", m.Table, other.Type)}
		}
		seen[m.Table] = m
	}
	return out, nil
}
