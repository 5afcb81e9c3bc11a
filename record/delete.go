package record

import (
	"context"
	"fmt"
	"reflect"
	"time"
	"unsafe"

	sq "github.com/Masterminds/squirrel"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/events"
	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

// destroyKey is Destroy of one primary key value of a model without delete
// hooks or cascades: the fixed, prepared DELETE by key. done is false when items is not
// such a key, and Destroy goes the general way.
func destroyKey(ctx context.Context, c *session.Client, m *registry.Model, items any) (n int64, done bool, err error) {
	args, ok := scalarKey(m, items)
	if !ok || hasWriteHooks(ctx, m, events.KindBeforeDelete, events.KindAfterDelete) || destroysRelated(m) {
		return 0, false, nil
	}
	if soft(ctx, m) {
		return 0, false, nil // deleteKeys sets the column
	}
	res, err := c.Exec(ctx, true, builder.For(c.Dialect(), m).Delete, args...)
	if err != nil {
		return 0, true, wrapDelete(m, keyFromArgs(args), err)
	}
	if n, err = res.RowsAffected(); err != nil {
		return 0, true, wrapDB(m, "delete", err)
	}
	if s := session.Current(ctx); s != nil {
		forgetDeleted(s, m, registry.RowKeyOf(args...), nil, time.Time{})
	}
	return n, true, nil
}

func destroyOne[T any](ctx context.Context, m *registry.Model, p *T) error {
	c, err := session.FromContext(ctx)
	if err != nil {
		return err
	}
	hooks := hasWriteHooks(ctx, m, events.KindBeforeDelete, events.KindAfterDelete)
	related := destroysRelated(m)
	if !hooks && !related {
		return deleteRow(ctx, c, m, p)
	}
	return inTx(ctx, c, func(ctx context.Context) error {
		if hooks {
			if err := fire(ctx, m, p, events.KindBeforeDelete); err != nil {
				return err
			}
		}
		if related {
			if err := destroyRelated(ctx, c, m, unsafe.Pointer(p)); err != nil {
				return err
			}
		}
		if err := deleteRow(ctx, c, m, p); err != nil {
			return err
		}
		if !hooks {
			return nil
		}
		return fire(ctx, m, p, events.KindAfterDelete)
	})
}

func deleteRow[T any](ctx context.Context, c *session.Client, m *registry.Model, p *T) error {
	up := unsafe.Pointer(p)
	b := baseOf(m, p)
	keySrc := up
	if b != nil && b.snap != nil {
		keySrc = unsafe.Pointer(b.snap) // the row as loaded, even if the key field was edited
	}
	args := make([]any, len(m.PK), len(m.PK)+1)
	for i, col := range m.PK {
		args[i] = col.Value(keySrc)
	}
	st := builder.For(c.Dialect(), m)
	text := st.Delete
	versioned := m.Version != nil && keySrc != up // a loaded record: its version is known
	if soft(ctx, m) {
		n, at, err := softDeleteRow(ctx, c, m, keySrc, versioned)
		if err != nil {
			return err
		}
		if n == 0 {
			if versioned {
				return &StaleError{Model: m.Name, Key: keyOf(m, keySrc), Version: m.Version.Value(keySrc)}
			}
			return &NotFoundError{Model: m.Name, Key: keyOf(m, keySrc)}
		}
		forgetDeleted(session.Current(ctx), m, m.KeyAt(keySrc), up, at)
		return nil
	}
	if versioned {
		text = st.VersionedDelete
		args = append(args, m.Version.Value(keySrc))
	}
	res, err := c.Exec(ctx, true, text, args...)
	if err != nil {
		return wrapDelete(m, keyOf(m, keySrc), err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		if versioned {
			return &StaleError{Model: m.Name, Key: keyOf(m, keySrc), Version: m.Version.Value(keySrc)}
		}
		return &NotFoundError{Model: m.Name, Key: keyOf(m, keySrc)}
	}
	forgetDeleted(session.Current(ctx), m, m.KeyAt(keySrc), up, time.Time{})
	return nil
}

// forgetDeleted is what every delete path does for a row it deleted: the
// record given (rec; nil when only the key was) and the record the session
// holds for key become new, so that saving them inserts them again, and the
// session forgets key. For a soft delete, softAt is the time written into
// the row's softdelete column, and rec's field gets it too (zero for a
// real delete). Inside a transaction it registers the undo of all it did
// to the records: when the transaction (or an enclosing savepoint) rolls
// back, the row is back as it was, and so are the records' snapshots and
// rec's softdelete field, so that the record holds what the row holds and
// a later Save does not write the rolled-back deletion time (the session
// undoes its own entry).
func forgetDeleted(s *session.Session, m *registry.Model, key registry.RowKey, rec unsafe.Pointer, softAt time.Time) {
	recs := [2]unsafe.Pointer{rec}
	if s != nil {
		if v, ok := s.Identity(m, key); ok {
			if hp := reflect.ValueOf(v).UnsafePointer(); hp != rec {
				recs[1] = hp
			}
		}
		s.Forget(m, key)
	}
	var prevSoft, setSoft reflect.Value // rec's softdelete field before and after
	if rec != nil && !softAt.IsZero() {
		f := m.SoftDelete.Reflect(rec)
		prevSoft = reflect.New(f.Type()).Elem()
		prevSoft.Set(f)
		setTime(m.SoftDelete, rec, softAt)
		setSoft = reflect.New(f.Type()).Elem()
		setSoft.Set(f)
	}
	var prev [2]unsafe.Pointer
	cleared := false
	if m.HasBase {
		for i, r := range recs {
			if r == nil {
				continue
			}
			slot := (*unsafe.Pointer)(unsafe.Add(r, m.BaseOffset)) // Base.snap
			prev[i], *slot = *slot, nil
			cleared = cleared || prev[i] != nil
		}
	}
	if s == nil || !s.InTransaction() || !cleared && !prevSoft.IsValid() {
		return
	}
	s.Undo(func() {
		for i, r := range recs {
			if r == nil || prev[i] == nil {
				continue
			}
			if slot := (*unsafe.Pointer)(unsafe.Add(r, m.BaseOffset)); *slot == nil { // not saved again since
				*slot = prev[i]
			}
		}
		if prevSoft.IsValid() {
			if f := m.SoftDelete.Reflect(rec); reflect.DeepEqual(f.Interface(), setSoft.Interface()) { // not set again since
				f.Set(prevSoft)
			}
		}
	})
}

func keyMap(m *registry.Model, args []any) Key {
	k := make(Key, len(args))
	for i, col := range m.PK {
		k[col.Name] = args[i]
	}
	return k
}

func deleteKeys(ctx context.Context, c *session.Client, m *registry.Model, keys [][]any) (int64, error) {
	d := c.Dialect()
	var where builder.Sqlizer
	if len(m.PK) == 1 {
		vals := make([]any, len(keys))
		for i, k := range keys {
			vals[i] = k[0]
		}
		where = sq.Eq{d.Quote(m.PK[0].Name): vals}
	} else {
		or := make(sq.Or, len(keys))
		for i, k := range keys {
			and := make(sq.And, len(m.PK))
			for j, col := range m.PK {
				and[j] = sq.Eq{d.Quote(col.Name): k[j]}
			}
			or[i] = and
		}
		where = or
	}
	if soft(ctx, m) {
		return softDeleteWhere(ctx, c, m, where)
	}
	q, args, err := builder.DeleteWhere(d, m).Where(where).ToSql()
	if err != nil {
		return 0, err
	}
	res, err := c.Exec(ctx, false, q, args...)
	if err != nil {
		return 0, wrapDelete(m, nil, err)
	}
	n, err := res.RowsAffected()
	return n, wrapDB(m, "delete", err)
}

// softDeleteRow sets the softdelete column of the record's row (checking
// and counting up its version when it was loaded with one); the row must
// not be soft-deleted already. It returns how many rows it changed and the
// time it wrote; the record itself is left to forgetDeleted, which sets
// its field and undoes that with the rest of the delete.
func softDeleteRow(ctx context.Context, c *session.Client, m *registry.Model, keySrc unsafe.Pointer, versioned bool) (int64, time.Time, error) {
	st := builder.For(c.Dialect(), m)
	t := now()
	args := make([]any, 0, len(m.PK)+2)
	args = append(args, t)
	for _, col := range m.PK {
		args = append(args, col.Value(keySrc))
	}
	text := st.SoftDelete
	if versioned {
		text = st.VersionedSoftDelete
		args = append(args, m.Version.Value(keySrc))
	}
	res, err := c.Exec(ctx, true, text, args...)
	if err != nil {
		return 0, t, wrapDB(m, "update", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, t, wrapDB(m, "update", err)
	}
	return n, t, nil
}

// softDeleteWhere sets the softdelete column of the rows matching where
// (quoted names) that are not soft-deleted yet, counting up their version.
func softDeleteWhere(ctx context.Context, c *session.Client, m *registry.Model, where sq.Sqlizer) (int64, error) {
	d := c.Dialect()
	sd := d.Quote(m.SoftDelete.Name)
	b := sq.Update(d.Quote(m.Table)).Set(sd, now()).PlaceholderFormat(d.Placeholders())
	if v := m.Version; v != nil {
		b = b.Set(d.Quote(v.Name), sq.Expr(d.Quote(v.Name)+" + 1"))
	}
	if where != nil {
		b = b.Where(where)
	}
	text, args, err := b.Where(sq.Expr(sd + " IS NULL")).ToSql()
	if err != nil {
		return 0, fmt.Errorf("record: soft delete of %s: %w", m.Name, err)
	}
	res, err := c.Exec(ctx, false, text, args...)
	if err != nil {
		return 0, wrapDB(m, "update", err)
	}
	n, err := res.RowsAffected()
	return n, wrapDB(m, "update", err)
}

// destroysRelated reports whether destroying a record of m must first
// destroy related rows: has-one and has-many relations tagged cascade, and
// the join rows of many-to-many relations.
func destroysRelated(m *registry.Model) bool {
	for _, r := range m.Relations {
		if r.Cascade || r.Kind == registry.ManyToMany {
			return true
		}
	}
	return false
}

// destroyRelated destroys what destroysRelated promises, before the row of
// the record at p is deleted in ctx: soft or for real as dependentsCtx
// decides.
func destroyRelated(ctx context.Context, c *session.Client, m *registry.Model, p unsafe.Pointer) error {
	src := p
	if s := snapAt(m, p); s != nil {
		src = s // the row as loaded
	}
	d := c.Dialect()
	for _, r := range m.Relations {
		if r.Kind != registry.ManyToMany && !r.Cascade {
			continue
		}
		ctx, cascades := dependentsCtx(ctx, m, r)
		if !cascades {
			continue
		}
		ref := r.Ref.Value(src)
		switch {
		case r.Kind == registry.ManyToMany && !r.Through().Join.IsJoin():
			// The join model's rows are records: destroyed with its hooks.
			t := r.Through()
			if err := destroyWhere(ctx, c, t.Join, builder.Eq{t.FK.Name: ref}); err != nil {
				return relErr(m, r, err)
			}
		case r.Kind == registry.ManyToMany:
			t := r.Through()
			text, args, err := builder.DeleteWhere(d, t.Join).Where(sq.Eq{d.Quote(t.FK.Name): ref}).ToSql()
			if err != nil {
				return err
			}
			if _, err := c.Exec(ctx, false, text, args...); err != nil {
				return relErr(m, r, wrapDB(t.Join, "delete", err))
			}
		case r.Cascade:
			if err := destroyWhere(ctx, c, r.Related, builder.Eq{r.FK.Name: ref}); err != nil {
				return relErr(m, r, err)
			}
		}
	}
	return nil
}

// destroyWhere destroys the rows of m matching where (in column names):
// one by one, with hooks and cascades, when m has either; else in one
// DELETE. The session forgets them either way.
func destroyWhere(ctx context.Context, c *session.Client, m *registry.Model, where builder.Sqlizer) error {
	o := opsOf(m)
	rows, err := o.load(ctx, where, nil, 0)
	if err != nil || len(rows) == 0 {
		return err
	}
	if hasWriteHooks(ctx, m, events.KindBeforeDelete, events.KindAfterDelete) || destroysRelated(m) {
		for _, row := range rows {
			if err := o.destroy(ctx, row); err != nil {
				return err
			}
		}
		return nil
	}
	keys := make([][]any, len(rows))
	for i, row := range rows {
		keys[i] = pkArgs(m, row)
	}
	for start := 0; start < len(keys); start += maxKeys(c, m) {
		batch := keys[start:min(start+maxKeys(c, m), len(keys))]
		w, err := builder.Resolve(c.Dialect(), m, keysWhere(m, batch))
		if err != nil {
			return err
		}
		if soft(ctx, m) {
			if _, err := softDeleteWhere(ctx, c, m, w); err != nil {
				return err
			}
			continue
		}
		text, args, err := builder.DeleteWhere(c.Dialect(), m).Where(w).ToSql()
		if err != nil {
			return err
		}
		if _, err := c.Exec(ctx, false, text, args...); err != nil {
			return wrapDelete(m, nil, err)
		}
	}
	s := session.Current(ctx)
	for i, row := range rows {
		forgetDeleted(s, m, pkKey(keys[i]), row, time.Time{})
	}
	return nil
}

// maxKeys is how many primary keys of m fit one statement.
func maxKeys(c *session.Client, m *registry.Model) int {
	return max(1, min(c.Dialect().MaxParams()/len(m.PK), 5000))
}
