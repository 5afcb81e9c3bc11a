package meta

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/sqlservice/sqlservice/internal/hooks"
)

// RelKind is how a relation is stored.
type RelKind uint8

// Relation kinds.
const (
	// BelongsTo: the owner holds the foreign key (UserRole.User through
	// user_role.user_id).
	BelongsTo RelKind = iota + 1
	// HasOne: the related model holds a foreign key to the owner; the field
	// is a single model or pointer.
	HasOne
	// HasMany: the related model holds a foreign key to the owner; the field
	// is a slice (User.Roles through user_role.user_id).
	HasMany
	// ManyToMany: a join table holds a key of each side (Relation.Through).
	ManyToMany
)

var relKindNames = [...]string{"", "belongs-to", "has-one", "has-many", "many-to-many"}

// String returns "belongs-to", "has-one", "has-many" or "many-to-many".
func (k RelKind) String() string {
	if int(k) < len(relKindNames) {
		return relKindNames[k]
	}
	return fmt.Sprintf("RelKind(%d)", uint8(k))
}

// MaxRelations is the largest number of relation fields one model may have.
const MaxRelations = 64

// RelationLink is the resolved storage of a relation: which columns link
// the owner and the related model. It is filled in at registration and
// never modified afterwards.
//
//	BelongsTo:          Owner.FK  → Related.Ref
//	HasOne, HasMany:    Related.FK → Owner.Ref
//	ManyToMany:         Through().Join.FK → Owner.Ref, Through().JoinRef → Related.RelatedRef
type RelationLink struct {
	Kind    RelKind
	pos     int     // position in Owner.Relations
	Owner   *Model  // the model declaring the field
	Related *Model  // the model of Target
	FK      *Column // nil for ManyToMany: the join's columns are in Through
	Ref     *Column
	// ManyToMany only: the column of Related that the join references.
	RelatedRef *Column
	// Cascade (rel:"cascade"): destroying the owner first destroys the
	// related records (HasOne, HasMany).
	Cascade bool
	// DeleteOrphans (rel:"orphans=delete"): a record removed from the
	// relation is deleted when the owner is saved, instead of having its
	// foreign key set to NULL (HasOne, HasMany).
	DeleteOrphans bool
	// Inverse is the relation on Related that is stored in the same columns
	// and points back (UserRole.User for User.Roles), or nil.
	Inverse *Relation

	through atomic.Pointer[Through] // ManyToMany only
	m2m     relTag                  // ManyToMany only: the rel tag, to adopt a join model registered later
}

// Through is how a many-to-many relation is stored: the join model and its
// two columns holding the key of each side.
type Through struct {
	// Join is a registered model (rel:"m2m=PlaylistTrack" naming a model
	// or its table), or a join table the registry synthesized (IsJoin).
	Join    *Model
	FK      *Column // Join's column holding the owner's key (Relation.Ref)
	JoinRef *Column // Join's column holding the related model's key (Relation.RelatedRef)
}

// Through returns the join of a many-to-many relation, or nil for other
// kinds. It may change once, when a model registered later turns out to be
// the join table that the relation's m2m= names: the registry had
// synthesized a plain join table for it until then, and hands the table
// over to the model (see resolveM2M); callers read Through once per use.
func (r *Relation) Through() *Through { return r.through.Load() }

// Key returns the relation's key in maps: the snake_case of the field name
// ("Roles" → "roles").
func (r *Relation) Key() string { return SnakeCase(r.Field) }

// String returns "Owner.Field".
func (r *Relation) String() string {
	if r.Owner != nil {
		return r.Owner.Name + "." + r.Field
	}
	return r.Field
}

// IsJoin reports whether m is a join table that the registry synthesized
// for a many-to-many relation; it has no Go type of its own to load.
func (m *Model) IsJoin() bool { return m.Type.Name() == "" }

// JoinModels returns the synthesized join tables of the many-to-many
// relations among models whose both sides are in models and which are not
// in models themselves, in a stable order: what CreateAll and DropAll add
// to an explicit list of models. A registered join model is not added: it
// is listed like any other model.
func JoinModels(models []*Model) []*Model {
	in := make(map[*Model]bool, len(models))
	for _, m := range models {
		in[m] = true
	}
	var out []*Model
	for _, m := range models {
		for _, r := range m.Relations {
			if r.Kind != ManyToMany {
				continue
			}
			if j := r.Through().Join; j.IsJoin() && in[r.Related] && !in[j] {
				in[j] = true
				out = append(out, j)
			}
		}
	}
	return out
}

// relTag is the parsed form of a `rel:"..."` struct tag.
type relTag struct {
	fk, m2m, ref  string
	cascade       bool
	deleteOrphans bool
}

func parseRelTag(s string) (relTag, error) {
	var t relTag
	seen := map[string]bool{}
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		key, val, hasVal := strings.Cut(p, "=")
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if seen[key] {
			return t, fmt.Errorf("option %q given twice", key)
		}
		seen[key] = true
		ident := func() (string, error) {
			if !hasVal || !ValidIdentifier(val) {
				return "", fmt.Errorf("option %s needs a valid identifier (%s=name)", key, key)
			}
			return val, nil
		}
		var err error
		switch key {
		case "fk":
			t.fk, err = ident()
		case "m2m":
			t.m2m, err = ident()
		case "ref":
			t.ref, err = ident()
		case "cascade":
			if hasVal {
				err = errors.New("option cascade takes no value")
			}
			t.cascade = true
		case "orphans":
			if val != "delete" {
				err = fmt.Errorf("orphans=%s: the only value is orphans=delete", val)
			}
			t.deleteOrphans = true
		default:
			err = fmt.Errorf("unknown option %q (want fk=column, m2m=join_table, ref=column, cascade, orphans=delete)", key)
		}
		if err != nil {
			return t, err
		}
	}
	return t, nil
}

// resolveRelations resolves the relations of every model built in one
// registration (and synthesizes the join tables of many-to-many
// relations, adding them to pending). Related models are pending or
// already registered: build registers relation targets recursively, so a
// relation and its inverse are always resolved in the same call.
func resolveRelations(pending map[reflect.Type]*Model) error {
	models := make([]*Model, 0, len(pending))
	for _, m := range pending {
		models = append(models, m)
	}
	sort.Slice(models, func(i, j int) bool {
		if models[i].Name != models[j].Name {
			return models[i].Name < models[j].Name
		}
		return models[i].Type.String() < models[j].Type.String()
	})
	lookup := func(t reflect.Type) *Model {
		if m, ok := pending[t]; ok {
			return m
		}
		if m, ok := registered(t); ok {
			return m
		}
		return nil
	}
	for _, m := range models {
		if len(m.Relations) > MaxRelations {
			return &ModelError{Model: m.Name, Kind: ErrRelation,
				Err: fmt.Errorf("%d relation fields; at most %d are supported", len(m.Relations), MaxRelations)}
		}
		for i, r := range m.Relations {
			r.pos, r.Owner, r.Related = i, m, lookup(r.Target)
			if r.Related == nil {
				return &ModelError{Model: m.Name, Field: r.Field, Kind: ErrRelation, Err: fmt.Errorf("related model %s is not registered", r.Target)}
			}
			if err := resolveOne(r, pending); err != nil {
				return err
			}
		}
	}
	for _, m := range models {
		for _, r := range m.Relations {
			r.Inverse = findInverse(r)
		}
	}
	return nil
}

func resolveOne(r *Relation, pending map[reflect.Type]*Model) error {
	owner, rel := r.Owner, r.Related
	fail := func(kind error, format string, args ...any) error {
		return &ModelError{Model: owner.Name, Field: r.Field, Kind: kind, Err: fmt.Errorf(format, args...)}
	}
	tg, err := parseRelTag(r.Tag)
	if err != nil {
		return fail(ErrBadTag, "rel:%q: %v", r.Tag, err)
	}
	switch {
	case tg.m2m != "":
		if !r.Many {
			return fail(ErrBadTag, "rel:%q: m2m needs a slice field ([]%s or []*%s)", r.Tag, rel.Name, rel.Name)
		}
		if tg.deleteOrphans {
			return fail(ErrBadTag, "rel:%q: orphans=delete does not apply to a many-to-many relation; removing a record deletes only its join row", r.Tag)
		}
		if tg.cascade {
			return fail(ErrBadTag, "rel:%q: cascade does not apply to a many-to-many relation; the join rows of a destroyed record are always deleted, the related records never", r.Tag)
		}
		return resolveM2M(r, tg, pending)
	case tg.ref != "":
		return fail(ErrBadTag, "rel:%q: ref= names the join column of the related model and needs m2m=", r.Tag)
	case r.Many:
		err = resolveHasMany(r, tg.fk)
	default:
		err = resolveSingle(r, tg.fk)
	}
	if err != nil {
		return err
	}
	if r.Kind == BelongsTo && (tg.cascade || tg.deleteOrphans) {
		return fail(ErrBadTag, "rel:%q: cascade and orphans=delete belong on the parent's side (%s has the foreign key %s, so %s is its parent)", r.Tag, owner.Name, r.FK.Name, rel.Name)
	}
	r.Cascade, r.DeleteOrphans = tg.cascade, tg.deleteOrphans
	return nil
}

// singlePK returns the one primary key column of m, or an error for a
// composite key.
func singlePK(m *Model) (*Column, error) {
	if len(m.PK) != 1 {
		return nil, fmt.Errorf("%s has a composite primary key; relations need a single-column key or an fk= that names its column", m.Name)
	}
	return m.PK[0], nil
}

// reference reports whether column c (of some model) references model to,
// by its fk= tag option or, without one, by the name <snake(to)>_id, and
// returns the referenced column.
func reference(from *Model, c *Column, to *Model) (*Column, bool) {
	if c.FK != nil {
		if c.FK.Table != to.Table {
			return nil, false
		}
		ref, ok := to.byName[c.FK.Column]
		return ref, ok
	}
	if c.Name != from.naming().ForeignKey(to.Name) || len(to.PK) != 1 {
		return nil, false
	}
	return to.PK[0], true
}

// refColumn returns the column that the foreign key column fk (of model
// from) references in model to: the target of its fk= option, which must be
// to's table, or to's primary key.
func refColumn(from *Model, fk *Column, to *Model) (*Column, error) {
	if fk.FK != nil {
		if fk.FK.Table != to.Table {
			return nil, fmt.Errorf("column %s.%s references table %q, not %s's table %q", from.Table, fk.Name, fk.FK.Table, to.Name, to.Table)
		}
		ref, ok := to.byName[fk.FK.Column]
		if !ok {
			return nil, fmt.Errorf("column %s.%s references %s.%s, which %s does not have", from.Table, fk.Name, fk.FK.Table, fk.FK.Column, to.Name)
		}
		return ref, nil
	}
	return singlePK(to)
}

// compatible reports whether a foreign key column can hold the values of
// the column it references.
func compatible(fk, ref *Column) bool {
	isInt := func(k Kind) bool { return k == KindInt || k == KindUint }
	return fk.Kind == ref.Kind || (isInt(fk.Kind) && isInt(ref.Kind))
}

func link(r *Relation, kind RelKind, fkModel *Model, fk *Column, refModel *Model) error {
	ref, err := refColumn(fkModel, fk, refModel)
	if err != nil {
		return &ModelError{Model: r.Owner.Name, Field: r.Field, Kind: ErrRelation, Err: err}
	}
	if !compatible(fk, ref) {
		return &ModelError{Model: r.Owner.Name, Field: r.Field, Kind: ErrRelation,
			Err: fmt.Errorf("foreign key %s.%s (%s) cannot hold values of %s.%s (%s)", fkModel.Table, fk.Name, fk.Type, refModel.Table, ref.Name, ref.Type)}
	}
	r.Kind, r.FK, r.Ref = kind, fk, ref
	return nil
}

func columnNames(cs []*Column) string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// resolveSingle resolves a Model or *Model field: belongs-to when the owner
// has the foreign key, has-one when the related model has it.
func resolveSingle(r *Relation, fk string) error {
	owner, rel := r.Owner, r.Related
	fail := func(format string, args ...any) error {
		return &ModelError{Model: owner.Name, Field: r.Field, Kind: ErrRelation, Err: fmt.Errorf(format, args...)}
	}
	if fk != "" {
		if c, ok := owner.byName[fk]; ok {
			return link(r, BelongsTo, owner, c, rel)
		}
		if c, ok := rel.byName[fk]; ok {
			return link(r, HasOne, rel, c, owner)
		}
		return fail("fk=%s: neither %s nor %s has a column %q", fk, owner.Name, rel.Name, fk)
	}
	// The field's own name: Author *User is stored in author_id.
	if c, ok := owner.byName[owner.naming().ForeignKey(r.Field)]; ok && (c.FK == nil || c.FK.Table == rel.Table) {
		return link(r, BelongsTo, owner, c, rel)
	}
	var mine, theirs []*Column
	for _, c := range owner.Columns {
		if _, ok := reference(owner, c, rel); ok {
			mine = append(mine, c)
		}
	}
	if rel != owner {
		for _, c := range rel.Columns {
			if _, ok := reference(rel, c, owner); ok {
				theirs = append(theirs, c)
			}
		}
	}
	switch {
	case len(mine) == 1 && len(theirs) == 0:
		return link(r, BelongsTo, owner, mine[0], rel)
	case len(mine) == 0 && len(theirs) == 1:
		return link(r, HasOne, rel, theirs[0], owner)
	case len(mine) == 0 && len(theirs) == 0:
		return fail("no foreign key links %s and %s: give %s a column %s (or one tagged fk=%s.<column>), or %s a column %s, or name the column with rel:\"fk=column\"",
			owner.Name, rel.Name, owner.Name, owner.naming().ForeignKey(r.Field), rel.Table, rel.Name, rel.naming().ForeignKey(owner.Name))
	}
	var cands []string
	for _, c := range mine {
		cands = append(cands, owner.Table+"."+c.Name)
	}
	for _, c := range theirs {
		cands = append(cands, rel.Table+"."+c.Name)
	}
	return fail("ambiguous: %s and %s are linked by %s; name the column with rel:\"fk=column\"", owner.Name, rel.Name, strings.Join(cands, " and "))
}

// resolveHasMany resolves a []Model or []*Model field: the related model
// holds the foreign key.
func resolveHasMany(r *Relation, fk string) error {
	owner, rel := r.Owner, r.Related
	fail := func(format string, args ...any) error {
		return &ModelError{Model: owner.Name, Field: r.Field, Kind: ErrRelation, Err: fmt.Errorf(format, args...)}
	}
	if fk != "" {
		c, ok := rel.byName[fk]
		if !ok {
			return fail("fk=%s: %s has no column %q (the foreign key of a collection is a column of the related model)", fk, rel.Name, fk)
		}
		return link(r, HasMany, rel, c, owner)
	}
	var cands []*Column
	for _, c := range rel.Columns {
		if _, ok := reference(rel, c, owner); ok {
			cands = append(cands, c)
		}
	}
	switch len(cands) {
	case 1:
		return link(r, HasMany, rel, cands[0], owner)
	case 0:
		return fail("no foreign key from %s to %s: give %s a column %s or one tagged fk=%s.<column>, name it with rel:\"fk=column\", or declare a many-to-many relation with rel:\"m2m=join_table\"",
			rel.Name, owner.Name, rel.Name, rel.naming().ForeignKey(owner.Name), owner.Table)
	}
	return fail("ambiguous: %s has several foreign keys to %s (%s); name one with rel:\"fk=column\"", rel.Name, owner.Name, columnNames(cands))
}

// resolveM2M resolves a many-to-many relation through tg.m2m: a registered
// model of that Go name, or whose table it is (the join model), else a join
// table the registry synthesizes (or that the other side synthesized).
//
// A join model registered after the relation was resolved takes over the
// synthesized table (adoptJoins), so that models can be registered in any
// order.
func resolveM2M(r *Relation, tg relTag, pending map[reflect.Type]*Model) error {
	owner, rel := r.Owner, r.Related
	fail := func(format string, args ...any) error {
		return &ModelError{Model: owner.Name, Field: r.Field, Kind: ErrRelation, Err: fmt.Errorf(format, args...)}
	}
	join, err := findJoin(tg.m2m, pending)
	if err != nil {
		return fail("%v", err)
	}
	r.Kind, r.m2m = ManyToMany, tg
	if join != nil && !join.IsJoin() {
		t, ownerRef, relRef, err := throughModel(owner, rel, join, tg)
		if err != nil {
			return fail("m2m=%s: %v", tg.m2m, err)
		}
		r.Ref, r.RelatedRef = ownerRef, relRef
		r.through.Store(t)
		return nil
	}
	ownerRef, err := singlePK(owner)
	if err != nil {
		return fail("%v", err)
	}
	relRef, err := singlePK(rel)
	if err != nil {
		return fail("%v", err)
	}
	fkName, refName := tg.fk, tg.ref
	if fkName == "" {
		fkName = owner.naming().ForeignKey(owner.Name)
	}
	if refName == "" {
		refName = owner.naming().ForeignKey(rel.Name)
	}
	if fkName == refName {
		return fail("m2m=%s: both join columns would be named %q; name them with rel:\"m2m=%s,fk=<our column>,ref=<their column>\"", tg.m2m, fkName, tg.m2m)
	}
	if join != nil {
		a, aok := join.byName[fkName]
		b, bok := join.byName[refName]
		if !aok || !bok || a.FK.Table != owner.Table || b.FK.Table != rel.Table {
			return fail("m2m=%s: the join table is already declared with columns %s, which do not link %s (%s) and %s (%s)",
				tg.m2m, columnNames(join.Columns), owner.Name, fkName, rel.Name, refName)
		}
		r.through.Store(&Through{Join: join, FK: a, JoinRef: b})
	} else {
		join = joinModel(tg.m2m, owner, ownerRef, fkName, rel, relRef, refName)
		pending[join.Type] = join
		r.through.Store(&Through{Join: join, FK: join.Columns[0], JoinRef: join.Columns[1]})
	}
	r.Ref, r.RelatedRef = ownerRef, relRef
	return nil
}

// findJoin returns the model that a relation's m2m=name names: a model
// whose Go type name is name, else the model (or synthesized join table)
// whose table is name; nil when there is none. The registry's lock is held.
func findJoin(name string, pending map[reflect.Type]*Model) (*Model, error) {
	var byName []*Model
	var byTable *Model
	consider := func(m *Model) {
		if !m.IsJoin() && m.Name == name && !slices.Contains(byName, m) {
			byName = append(byName, m)
		}
		if m.Table == name && (byTable == nil || byTable.IsJoin()) {
			byTable = m
		}
	}
	for _, m := range pending {
		consider(m)
	}
	for _, m := range reg.order {
		consider(m)
	}
	switch {
	case len(byName) > 1:
		return nil, fmt.Errorf("m2m=%s: several registered types are named %s (%s and %s); name the join model's table instead", name, name, byName[0].Type, byName[1].Type)
	case len(byName) == 1 && byTable != nil && byTable != byName[0] && !byTable.IsJoin():
		return nil, fmt.Errorf("m2m=%s: ambiguous: it names model %s and is the table of model %s", name, byName[0].Name, byTable.Name)
	case len(byName) == 1:
		return byName[0], nil
	}
	return byTable, nil
}

// throughModel finds the columns of join model j that link owner and rel:
// the ones named by the tag's fk= (owner's side) and ref= (rel's side), or
// else the one column referencing each side, by its fk= tag option or by
// j's naming (PlaylistId for Playlist). It returns the join and the columns
// of owner and rel that the join's columns reference.
func throughModel(owner, rel, j *Model, tg relTag) (*Through, *Column, *Column, error) {
	if !j.HasBase {
		return nil, nil, nil, fmt.Errorf("join model %s must embed record.Base[%s]: its rows are written as its records", j.Name, j.Name)
	}
	hint := func(side *Model, opt string) string {
		return fmt.Sprintf("give %s a column %s (or one tagged fk=%s.<column>), or name it with rel:\"m2m=%s,%s=<column>\"",
			j.Name, j.naming().ForeignKey(side.Name), side.Table, tg.m2m, opt)
	}
	pick := func(side *Model, name, opt string, not *Column) (*Column, *Column, error) {
		var c *Column
		if name != "" {
			col, ok := j.Column(name)
			if !ok {
				return nil, nil, fmt.Errorf("%s=%s: join model %s has no column %q", opt, name, j.Name, name)
			}
			c = col
		} else {
			var cands []*Column
			for _, col := range j.Columns {
				if _, ok := reference(j, col, side); ok && col != not {
					cands = append(cands, col)
				}
			}
			switch len(cands) {
			case 0:
				return nil, nil, fmt.Errorf("join model %s has no column linking it to %s: %s", j.Name, side.Name, hint(side, opt))
			case 1:
				c = cands[0]
			default:
				return nil, nil, fmt.Errorf("join model %s has several columns linking it to %s (%s): name one with rel:\"m2m=%s,%s=<column>\"",
					j.Name, side.Name, columnNames(cands), tg.m2m, opt)
			}
		}
		ref, err := refColumn(j, c, side)
		if err != nil {
			return nil, nil, err
		}
		if !compatible(c, ref) {
			return nil, nil, fmt.Errorf("join column %s.%s (%s) cannot hold values of %s.%s (%s)", j.Table, c.Name, c.Type, side.Table, ref.Name, ref.Type)
		}
		return c, ref, nil
	}
	var fk, fkRef, jr, jrRef *Column
	var err error
	if tg.fk == "" && tg.ref != "" {
		if jr, jrRef, err = pick(rel, tg.ref, "ref", nil); err == nil {
			fk, fkRef, err = pick(owner, tg.fk, "fk", jr)
		}
	} else if fk, fkRef, err = pick(owner, tg.fk, "fk", nil); err == nil {
		jr, jrRef, err = pick(rel, tg.ref, "ref", fk)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	if fk == jr {
		return nil, nil, nil, fmt.Errorf("join model %s links both sides through one column %s; name them with rel:\"m2m=%s,fk=<our column>,ref=<their column>\"", j.Name, fk.Name, tg.m2m)
	}
	return &Through{Join: j, FK: fk, JoinRef: jr}, fkRef, jrRef, nil
}

// joinModel synthesizes the model of a join table: two key columns, each
// referencing one side, together the primary key; the second is indexed
// for lookups from the other side. Its struct type is unnamed and carries
// the table name in a tag, so that it is unique.
func joinModel(table string, a *Model, aRef *Column, aName string, b *Model, bRef *Column, bName string) *Model {
	base := func(t reflect.Type) reflect.Type {
		if t.Kind() == reflect.Pointer {
			return t.Elem()
		}
		return t
	}
	st := reflect.StructOf([]reflect.StructField{
		{Name: "A", Type: base(aRef.Type), Tag: reflect.StructTag(`join:"` + table + "." + aName + `"`)},
		{Name: "B", Type: base(bRef.Type), Tag: reflect.StructTag(`join:"` + table + "." + bName + `"`)},
	})
	m := &Model{Type: st, Name: table, Table: table, handlers: &hooks.Handlers{},
		byName: map[string]*Column{}, byField: map[string]*Column{}}
	for i, side := range []struct {
		name string
		to   *Model
		ref  *Column
	}{{aName, a, aRef}, {bName, b, bRef}} {
		f := st.Field(i)
		c := &Column{
			Name: side.name, Field: side.name, index: []int{i}, offset: f.Offset, Type: f.Type,
			Kind: side.ref.Kind, Bits: side.ref.Bits, PK: true, NotNull: true, Size: side.ref.Size,
			SQLType: side.ref.SQLType, FK: &ForeignKey{Table: side.to.Table, Column: side.ref.Name},
			Indexed: i == 1, pos: i, pkOrder: i + 1,
		}
		c.setAccessors(f.Type)
		m.byName[c.Name] = c
		m.byField[c.Field] = c
		m.Columns = append(m.Columns, c)
	}
	m.PK = append([]*Column(nil), m.Columns...)
	m.setDeep()
	return m
}

// findInverse returns the one relation of r.Related that is stored in the
// same columns as r and points back at r.Owner, or nil.
func findInverse(r *Relation) *Relation {
	var found *Relation
	for _, o := range r.Related.Relations {
		if o == r || o.Related != r.Owner {
			continue
		}
		ok := false
		switch r.Kind {
		case BelongsTo:
			ok = (o.Kind == HasOne || o.Kind == HasMany) && o.FK == r.FK
		case HasOne, HasMany:
			ok = o.Kind == BelongsTo && o.FK == r.FK
		case ManyToMany:
			a, b := r.Through(), o.Through()
			ok = o.Kind == ManyToMany && a.Join == b.Join && a.FK == b.JoinRef && a.JoinRef == b.FK
		}
		if ok {
			if found != nil {
				return nil // ambiguous: no back-reference
			}
			found = o
		}
	}
	return found
}
