package record

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"unsafe"

	sq "github.com/Masterminds/squirrel"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/internal/sqlgen"
	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

// Saving a record with relations (the rules Base.Save documents):
//
//   - belongs-to: the related record is saved first (inserted when new,
//     updated when changed) and the owner's foreign key is set from it; a
//     relation cleared through Update (or emptied after it was loaded) sets
//     the foreign key to NULL, or is an error when the column is NOT NULL;
//   - the record's own row;
//   - has-one, has-many: every related record gets the owner's key in its
//     foreign key and is saved; a record that left the relation since it was
//     loaded or saved (or, when the relation was replaced through Update
//     without having been loaded, every other row that references the
//     owner) is detached: its foreign key is set to NULL, or with
//     rel:"orphans=delete" it is destroyed; detaching from a NOT NULL key
//     without orphans=delete is an error, so no orphan is left silently;
//   - many-to-many: every related record is saved, then join rows are
//     inserted for the records added and deleted for the records removed.
//
// A relation takes part when it holds something or was loaded, assigned or
// saved; a nil or empty field that never was is left alone. The whole graph
// is saved in one transaction (the caller's, or one of its own), each
// record once, following cycles no further than a record already being
// saved.

// inGraph reports whether saving the record of m at p must go through its
// relations.
func inGraph(m *registry.Model, p unsafe.Pointer) bool {
	if st := relStateOf(m, p); st != nil && st.loaded|st.replaced != 0 {
		return true
	}
	for _, r := range m.Relations {
		if present(r, p) {
			return true
		}
	}
	return false
}

// takesPart reports whether relation r of the record at p is saved.
func takesPart(r *registry.Relation, p unsafe.Pointer, st *relState) bool {
	return st.has(r) || st.isKnown(r) || present(r, p)
}

type graphState uint8

const (
	visiting graphState = iota + 1 // its row is not written yet
	written
)

// graph saves the records reachable from one record, each once.
type graph struct {
	c     *session.Client
	state map[unsafe.Pointer]graphState
	root  unsafe.Pointer                  // the record the save started from
	write func(ctx context.Context) error // writes root's own row instead of saveRow (Insert); nil for Save
}

func saveGraph(ctx context.Context, m *registry.Model, p unsafe.Pointer) error {
	return saveGraphRoot(ctx, m, p, nil)
}

// saveGraphRoot saves the graph of the record at p, its own row written by
// write when not nil.
func saveGraphRoot(ctx context.Context, m *registry.Model, p unsafe.Pointer, write func(ctx context.Context) error) error {
	c, err := session.FromContext(ctx)
	if err != nil {
		return err
	}
	return inTx(ctx, c, func(ctx context.Context) error {
		g := &graph{c: c, state: map[unsafe.Pointer]graphState{}, root: p, write: write}
		return g.save(ctx, m, p)
	})
}

func (g *graph) save(ctx context.Context, m *registry.Model, p unsafe.Pointer) error {
	if _, seen := g.state[p]; seen {
		return nil
	}
	g.state[p] = visiting
	st := relStateOf(m, p)
	for _, r := range m.Relations {
		if r.Kind == registry.BelongsTo && takesPart(r, p, st) {
			if err := g.saveParent(ctx, m, r, p, st); err != nil {
				return err
			}
		}
	}
	wasNew := m.HasBase && snapAt(m, p) == nil
	var err error
	if p == g.root && g.write != nil {
		err = g.write(ctx)
	} else {
		err = opsOf(m).saveRow(ctx, p)
	}
	if err != nil {
		return err
	}
	g.state[p] = written
	saved := make(map[*registry.Relation][]unsafe.Pointer, len(m.Relations))
	for _, r := range m.Relations {
		if !takesPart(r, p, st) {
			continue
		}
		items := itemsOf(r, p)
		var err error
		switch r.Kind {
		case registry.HasOne, registry.HasMany:
			err = g.saveChildren(ctx, m, r, p, st, items, wasNew)
		case registry.ManyToMany:
			err = g.saveLinks(ctx, m, r, p, st, items, wasNew)
		}
		if err != nil {
			return err
		}
		saved[r] = items
	}
	updateRelState(m, p, func(s *relState) {
		for r, items := range saved {
			s.withKnown(m, r, items)
		}
	})
	return nil
}

func relErr(m *registry.Model, r *registry.Relation, err error) error {
	var re *RelationError
	if errors.As(err, &re) && re.Model == m.Name {
		return err
	}
	return &RelationError{Model: m.Name, Path: r.Field, Err: err}
}

// saveParent saves the record a belongs-to relation points at and sets the
// owner's foreign key from it, or clears the key when the relation was
// cleared.
func (g *graph) saveParent(ctx context.Context, m *registry.Model, r *registry.Relation, p unsafe.Pointer, st *relState) error {
	items := itemsOf(r, p)
	if len(items) == 0 {
		cleared := st.isReplaced(r) || len(st.previous(r)) > 0
		if !cleared || meta.Reflect(r.FK, p).IsZero() {
			return nil
		}
		if r.FK.NotNull {
			return relErr(m, r, fmt.Errorf("the relation was cleared, but %s.%s cannot be NULL: set another %s, or destroy the %s", m.Table, r.FK.Name, r.Related.Name, m.Name))
		}
		meta.Reflect(r.FK, p).SetZero()
		return nil
	}
	parent := items[0]
	if err := g.save(ctx, r.Related, parent); err != nil {
		return relErr(m, r, err)
	}
	if g.state[parent] == visiting && snapAt(r.Related, parent) == nil {
		return relErr(m, r, fmt.Errorf("the %s is new and waits for this %s to be saved first (a cycle of belongs-to relations): save one of them on its own first", r.Related.Name, m.Name))
	}
	if err := setColumn(m, r.FK, p, meta.Value(r.Ref, parent)); err != nil {
		return relErr(m, r, err)
	}
	return nil
}

// saveChildren sets the owner's key in the foreign key of each record of a
// has-one or has-many relation, saves them, and detaches the records that
// left the relation.
func (g *graph) saveChildren(ctx context.Context, m *registry.Model, r *registry.Relation, p unsafe.Pointer, st *relState, items []unsafe.Pointer, wasNew bool) error {
	rm := r.Related
	ref := meta.Value(r.Ref, p)
	current := make(map[registry.RowKey]bool, len(items))
	for i, it := range items {
		if err := setColumn(rm, r.FK, it, ref); err != nil {
			return relErr(m, r, err)
		}
		if err := g.save(ctx, rm, it); err != nil {
			path := r.Field
			if r.Many {
				path = fmt.Sprintf("%s[%d]", r.Field, i)
			}
			return &RelationError{Model: m.Name, Path: path, Err: err}
		}
		current[pkKey(pkArgs(rm, it))] = true
	}
	var removed [][]any
	switch {
	case st.isKnown(r):
		for _, old := range st.previous(r) {
			if snapAt(rm, old) == nil {
				continue // never stored
			}
			if args := pkArgs(rm, old); !current[pkKey(args)] {
				removed = append(removed, args)
				current[pkKey(args)] = true // once
			}
		}
	case st.isReplaced(r) && !wasNew:
		// Replaced without having been loaded: the rows that reference the
		// owner now are the old collection.
		rows, err := opsOf(rm).load(ctx, builder.Eq{r.FK.Name: ref}, nil, 0)
		if err != nil {
			return relErr(m, r, err)
		}
		for _, old := range rows {
			if args := pkArgs(rm, old); !current[pkKey(args)] {
				removed = append(removed, args)
			}
		}
	}
	if len(removed) == 0 {
		return nil
	}
	where := builder.And{keysWhere(rm, removed), builder.Eq{r.FK.Name: ref}}
	if r.DeleteOrphans {
		if err := destroyWhere(ctx, g.c, rm, where); err != nil {
			return relErr(m, r, err)
		}
		return nil
	}
	if r.FK.NotNull {
		return relErr(m, r, fmt.Errorf("%d %s record(s) left the relation, but %s.%s cannot be NULL: tag the relation rel:\"orphans=delete\" to delete them, or destroy them yourself (key %v)",
			len(removed), rm.Name, rm.Table, r.FK.Name, keyFromArgs(removed[0])))
	}
	d := g.c.Dialect()
	w, err := sqlgen.Resolve(d, rm, where)
	if err != nil {
		return err
	}
	b := sq.Update(d.Quote(rm.Table)).Set(d.Quote(r.FK.Name), nil)
	if stamps := autoTimeValues(rm); stamps != nil {
		for _, c := range autoUpdated(rm, func(c *registry.Column) bool { return c == r.FK }) {
			b = b.Set(d.Quote(c.Name), stamps[meta.Pos(c)])
		}
	}
	text, args, err := b.Where(w).PlaceholderFormat(d.Placeholders()).ToSql()
	if err != nil {
		return err
	}
	if _, err := g.c.Exec(ctx, text, args...); err != nil {
		return relErr(m, r, wrapDB(rm, "update", err))
	}
	return nil
}

// saveLinks saves the records of a many-to-many relation and brings the
// join rows in line with them. A join table the registry synthesized gets
// plain INSERT ... DO NOTHING and DELETE statements; a registered join
// model's rows are written as records of that model (insertLinks,
// unlinkRows), with its hooks.
func (g *graph) saveLinks(ctx context.Context, m *registry.Model, r *registry.Relation, p unsafe.Pointer, st *relState, items []unsafe.Pointer, wasNew bool) error {
	rm, t := r.Related, r.Through()
	current := make(map[registry.RowKey]any, len(items)) // related key → value
	var order []registry.RowKey
	for i, it := range items {
		if err := g.save(ctx, rm, it); err != nil {
			return &RelationError{Model: m.Name, Path: fmt.Sprintf("%s[%d]", r.Field, i), Err: err}
		}
		v := meta.Value(r.RelatedRef, it)
		if k, ok := normKey(v); ok {
			if _, dup := current[k]; !dup {
				current[k] = v
				order = append(order, k)
			}
		}
	}
	ownerKey := meta.Value(r.Ref, p)
	var old map[registry.RowKey]any
	exact := true // old is what the join table holds
	switch {
	case st.isKnown(r):
		old = map[registry.RowKey]any{}
		for _, it := range st.previous(r) {
			src := it
			if s := snapAt(rm, it); s != nil {
				src = s
			} else {
				continue // never stored, so never linked
			}
			v := meta.Value(r.RelatedRef, src)
			if k, ok := normKey(v); ok {
				old[k] = v
			}
		}
	case (st.isReplaced(r) || !t.Join.IsJoin()) && !wasNew:
		// A join model's rows are inserted as records, which fail on a row
		// that exists: read which do.
		var err error
		if old, err = g.joinRows(ctx, r, ownerKey); err != nil {
			return relErr(m, r, err)
		}
		exact = st.isReplaced(r)
	case wasNew:
		old = map[registry.RowKey]any{}
	default:
		exact = false // added to an unloaded relation: insert what is missing
	}
	var added []any
	for _, k := range order {
		if _, linked := old[k]; !linked || !exact && t.Join.IsJoin() {
			added = append(added, current[k])
		}
	}
	var gone []any
	if exact {
		for k, v := range old {
			if _, keep := current[k]; !keep {
				gone = append(gone, v)
			}
		}
	}
	if err := g.insertLinks(ctx, r, t, ownerKey, added); err != nil {
		return relErr(m, r, err)
	}
	if len(gone) == 0 {
		return nil
	}
	if !t.Join.IsJoin() {
		if err := destroyWhere(ctx, g.c, t.Join, builder.Eq{t.FK.Name: ownerKey, t.JoinRef.Name: gone}); err != nil {
			return relErr(m, r, err)
		}
		return nil
	}
	q := g.c.Dialect().Quote
	if _, _, err := deleting(ctx, g.c, t.Join).where(ctx, sq.And{sq.Eq{q(t.FK.Name): ownerKey}, sq.Eq{q(t.JoinRef.Name): gone}}); err != nil {
		return relErr(m, r, err)
	}
	return nil
}

// insertLinks writes a join row linking ownerKey to each of related: into
// a synthesized join table with INSERT ... DO NOTHING; as a new record of
// a registered join model otherwise, through Insert with its hooks (the
// model's other columns hold what its hooks set, else their zero values).
func (g *graph) insertLinks(ctx context.Context, r *registry.Relation, t *registry.Through, ownerKey any, related []any) error {
	if len(related) == 0 {
		return nil
	}
	if !t.Join.IsJoin() {
		if t.Join.SoftDelete != nil && keyedByLink(t) {
			var err error
			if related, err = g.restoreLinks(ctx, t, ownerKey, related); err != nil {
				return err
			}
		}
		o := opsOf(t.Join)
		for _, v := range related {
			jp := reflect.New(t.Join.Type).UnsafePointer()
			if err := setColumn(t.Join, t.FK, jp, ownerKey); err != nil {
				return err
			}
			if err := setColumn(t.Join, t.JoinRef, jp, v); err != nil {
				return err
			}
			if err := o.insert(ctx, jp); err != nil {
				return err
			}
		}
		return nil
	}
	ins := sqlgen.For(g.c.Dialect(), t.Join).Upsert(registry.ColumnSet{})
	for _, v := range related {
		args := make([]any, len(ins.Columns))
		for i, col := range ins.Columns {
			cv := v
			if col == t.FK {
				cv = ownerKey
			}
			rv, err := convertColumn(t.Join, col, cv)
			if err != nil {
				return err
			}
			args[i] = rv.Interface()
		}
		if _, err := execOn(g.c, ctx, true, ins.SQL, args); err != nil {
			return wrapDB(t.Join, "insert", err)
		}
	}
	return nil
}

// keyedByLink reports whether the primary key of t's join model is made of
// its two link columns, so that a row, soft-deleted or not, holds the key
// of its link.
func keyedByLink(t *registry.Through) bool {
	for _, col := range t.Join.PK {
		if col != t.FK && col != t.JoinRef {
			return false
		}
	}
	return true
}

// restoreLinks brings back the soft-deleted rows of a join model keyed by
// its link columns (keyedByLink) that link ownerKey to any of related:
// such a row is a removed link that still holds the link's key, so
// linking again clears its softdelete column instead of inserting a row
// whose key is taken. Each is saved as a record of the join model (its
// update hooks run; its other columns keep what they held). It returns the
// related keys that still need a new join row. A join model with a key of
// its own gets a new row per link instead, and keeps the old ones.
func (g *graph) restoreLinks(ctx context.Context, t *registry.Through, ownerKey any, related []any) ([]any, error) {
	o, sd := opsOf(t.Join), t.Join.SoftDelete
	where := builder.And{builder.Eq{t.FK.Name: ownerKey, t.JoinRef.Name: related}, builder.NotEq{sd.Name: nil}}
	rows, err := o.load(context.WithValue(ctx, purgeKey{}, true), where, nil, 0)
	if err != nil || len(rows) == 0 {
		return related, err
	}
	restored := make(map[registry.RowKey]bool, len(rows))
	for _, jp := range rows {
		meta.Reflect(sd, jp).SetZero()
		if err := o.saveRow(ctx, jp); err != nil {
			return nil, err
		}
		if k, ok := normKey(meta.Value(t.JoinRef, jp)); ok {
			restored[k] = true
		}
	}
	rest := make([]any, 0, len(related))
	for _, v := range related {
		if k, ok := normKey(v); !ok || !restored[k] {
			rest = append(rest, v)
		}
	}
	return rest, nil
}

// joinRows returns the related keys the join table links to ownerKey.
func (g *graph) joinRows(ctx context.Context, r *registry.Relation, ownerKey any) (map[registry.RowKey]any, error) {
	out := map[registry.RowKey]any{}
	err := scanJoin(ctx, g.c, r, []any{ownerKey}, func(_, related any) {
		if k, ok := normKey(related); ok {
			out[k] = related
		}
	})
	return out, err
}

// scanJoin reads the join rows of r whose owner column is one of owners and
// calls fn with each row's owner and related key, ordered by both. Only the
// two link columns are read, whatever else a join model has. The rows of a
// join model that were soft-deleted (removed links) are skipped, unless ctx
// is a Purge's, as every query skips them.
func scanJoin(ctx context.Context, c *session.Client, r *registry.Relation, owners []any, fn func(owner, related any)) error {
	t := r.Through()
	d := c.Dialect()
	fk, ref := d.Quote(t.FK.Name), d.Quote(t.JoinRef.Name)
	b := sq.Select(fk, ref).From(d.Quote(t.Join.Table)).Where(sq.Eq{fk: owners})
	if soft(ctx, t.Join) {
		// A soft-deleted join row is a removed link.
		b = b.Where(sq.Expr(d.Quote(t.Join.SoftDelete.Name) + " IS NULL"))
	}
	text, args, err := b.OrderBy(fk, ref).PlaceholderFormat(d.Placeholders()).ToSql()
	if err != nil {
		return err
	}
	rows, err := c.Query(ctx, text, args...)
	if err != nil {
		return wrapDB(t.Join, "select", err)
	}
	defer rows.Close()
	scratch := reflect.New(t.Join.Type).UnsafePointer()
	dest := []any{meta.ScanDest(t.FK, scratch), meta.ScanDest(t.JoinRef, scratch)}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return wrapDB(t.Join, "scan", err)
		}
		fn(meta.Value(t.FK, scratch), meta.Value(t.JoinRef, scratch))
	}
	return wrapDB(t.Join, "select", rows.Err())
}
