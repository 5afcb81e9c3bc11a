package record

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"
	"unsafe"

	sq "github.com/Masterminds/squirrel"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/events"
	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/internal/sqlgen"
	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

// Every delete goes through a deletion: Base.Destroy, Destroy and Purge
// (of keys, records or slices of them), the cascades of a destroy, the
// orphans a save deletes (rel:"orphans=delete"), QuerySet.Delete and
// QuerySet.Purge. The entry points say what to delete; a deletion says how:
//
//   - soft or real: a model with a softdelete column gets that column set,
//     outside a Purge (soft);
//   - every soft delete is an UPDATE, and sets the autoupdate columns as
//     every UPDATE does, to the same time as the softdelete column; a
//     version column is counted up;
//   - a loaded record is deleted by the key it was loaded with, checking
//     the version it was loaded with (ErrStale), and then holds what its
//     row holds (the times a soft delete wrote);
//   - with delete hooks or cascades, each row is a record, destroyed in
//     one transaction with its hooks and its dependent rows (dependentsCtx
//     says soft or real); without, rows go by key in as few statements as
//     fit;
//   - every deleted row is forgotten: the records become new, the session
//     drops them (forgetDeleted), undone when the transaction rolls back.

// deletion is how rows of one model are deleted in one context.
type deletion struct {
	c       *session.Client
	m       *registry.Model
	soft    bool // set the softdelete column instead of deleting
	hooks   bool // BeforeDelete and AfterDelete handlers run
	related bool // cascades and join rows go first (destroysRelated)
}

// deleting returns how rows of m are deleted in ctx.
func deleting(ctx context.Context, c *session.Client, m *registry.Model) deletion {
	return deletion{c: c, m: m, soft: soft(ctx, m),
		hooks:   hasWriteHooks(ctx, m, events.KindBeforeDelete, events.KindAfterDelete),
		related: destroysRelated(m)}
}

// oneByOne reports whether each row must be loaded and destroyed as a
// record: for its hooks, or for the rows that go with it.
func (d deletion) oneByOne() bool { return d.hooks || d.related }

// key deletes the row of one primary key of a model that deletes by key
// (not oneByOne, not soft) with the fixed, prepared DELETE: the fast path
// of Destroy. s is the session of c that ctx carries (nil: none).
func (d deletion) key(ctx context.Context, s *session.Session, args []any) (int64, error) {
	c, m := d.c, d.m
	res, err := execIn(c, s, ctx, sqlgen.For(c.Dialect(), m).Delete, args)
	if err != nil {
		return 0, wrapDelete(m, keyFromArgs(args), err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, wrapDB(m, "delete", err)
	}
	if s != nil {
		forgetDeleted(s, m, registry.RowKeyOf(args...), nil, time.Time{})
	}
	return n, nil
}

// destroyOne destroys the row of the record at p, as Base.Destroy says.
func destroyOne[T any](ctx context.Context, m *registry.Model, p *T) error {
	c, err := session.FromContext(ctx)
	if err != nil {
		return err
	}
	_, err = destroyRecord(ctx, deleting(ctx, c, m), p)
	return err
}

// destroyRecord destroys the row of the record at p: with its hooks and
// dependent rows in one transaction when it has them. It returns the time
// a soft delete wrote.
func destroyRecord[T any](ctx context.Context, d deletion, p *T) (at time.Time, err error) {
	if !d.oneByOne() {
		return d.row(ctx, unsafe.Pointer(p))
	}
	err = inTx(ctx, d.c, func(ctx context.Context) error {
		if d.hooks {
			if err := fire(ctx, d.m, p, events.KindBeforeDelete); err != nil {
				return err
			}
		}
		if d.related {
			if err := destroyRelated(ctx, d.c, d.m, unsafe.Pointer(p)); err != nil {
				return err
			}
		}
		var err error
		if at, err = d.row(ctx, unsafe.Pointer(p)); err != nil || !d.hooks {
			return err
		}
		return fire(ctx, d.m, p, events.KindAfterDelete)
	})
	return at, err
}

// destroyAll destroys the rows of keys, as Destroy says; recs[i] is the
// record keys[i] came from, or nil. A loaded record is destroyed as
// Base.Destroy destroys it, except that a row already gone counts 0.
func destroyAll[T any](ctx context.Context, d deletion, keys [][]any, recs []unsafe.Pointer) (int64, error) {
	var total int64
	if d.oneByOne() {
		err := inTx(ctx, d.c, func(ctx context.Context) error {
			for i, k := range keys {
				done, err := destroyGiven[T](ctx, d, k, recs[i])
				if err != nil {
					return err
				}
				if done {
					total++
				}
			}
			return nil
		})
		return total, err
	}
	// A loaded record whose delete depends on the record (its version is
	// checked; a soft delete writes its times into it) is deleted alone;
	// the other keys together, as many to a statement as fit.
	var alone []unsafe.Pointer
	if d.soft || d.m.Version != nil {
		n := 0
		for i, r := range recs {
			if r != nil && snapAt(d.m, r) != nil {
				alone = append(alone, r)
				continue
			}
			keys[n], recs[n] = keys[i], recs[i]
			n++
		}
		keys, recs = keys[:n], recs[:n]
	}
	run := func(ctx context.Context) error {
		for _, r := range alone {
			_, err := d.row(ctx, r)
			if errors.Is(err, ErrStale) {
				// Stale, or gone: a row gone counts 0, as for a key.
				live, xerr := Query[T](ctx).Where(keysWhere(d.m, [][]any{pkArgs(d.m, r)})).Exists()
				if xerr != nil {
					return xerr
				}
				if !live {
					continue
				}
			}
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			total++
		}
		n, err := d.keys(ctx, keys, recs)
		total += n
		return err
	}
	var err error
	if len(alone)+(len(keys)+maxKeys(d.c, d.m)-1)/maxKeys(d.c, d.m) > 1 {
		err = inTx(ctx, d.c, run)
	} else {
		err = run(ctx)
	}
	if err != nil {
		return 0, err
	}
	return total, nil
}

// destroyGiven destroys the row of key k as a record, given rec (nil when
// only the key was given): rec itself when it was loaded, else the row
// loaded by key. It reports false when there is no such row.
func destroyGiven[T any](ctx context.Context, d deletion, k []any, rec unsafe.Pointer) (bool, error) {
	var p *T
	if rec != nil && snapAt(d.m, rec) != nil {
		ok, err := Query[T](ctx).Where(keysWhere(d.m, [][]any{k})).Exists()
		if err != nil || !ok {
			return false, err
		}
		p = (*T)(rec)
	} else {
		got, err := Get[T](ctx, keyMap(d.m, k))
		if errors.Is(err, ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		p = got
	}
	at, err := destroyRecord(ctx, d, p)
	if err != nil {
		return false, err
	}
	if rec != nil && rec != unsafe.Pointer(p) {
		forgetDeleted(session.Current(ctx), d.m, pkKey(k), rec, at)
	}
	return true, nil
}

// row deletes the row of the record at p alone, by the key it was loaded
// with (its snapshot's) and, when it was loaded, the version it was loaded
// with: a *StaleError when that version is gone, a *NotFoundError when the
// row is. It returns the time a soft delete wrote.
func (d deletion) row(ctx context.Context, p unsafe.Pointer) (time.Time, error) {
	c, m := d.c, d.m
	keySrc := keySource(m, p)
	versioned := m.Version != nil && keySrc != p // a loaded record: its version is known
	st := sqlgen.For(c.Dialect(), m)
	args := make([]any, 0, len(st.SoftDeleteSets)+len(m.PK)+1)
	var at time.Time
	text, op := st.Delete, "delete"
	switch {
	case d.soft && versioned:
		text, op = st.VersionedSoftDelete, "update"
	case d.soft:
		text, op = st.SoftDelete, "update"
	case versioned:
		text = st.VersionedDelete
	}
	if d.soft {
		at = now()
		for range st.SoftDeleteSets {
			args = append(args, at)
		}
	}
	for _, col := range m.PK {
		args = append(args, meta.Value(col, keySrc))
	}
	if versioned {
		args = append(args, meta.Value(m.Version, keySrc))
	}
	res, err := execOn(c, ctx, true, text, args)
	if err != nil {
		if d.soft {
			return at, wrapDB(m, op, err)
		}
		return at, wrapDelete(m, keyOf(m, keySrc), err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return at, wrapDB(m, op, err)
	}
	if n == 0 {
		if versioned {
			return at, &StaleError{Model: m.Name, Key: keyOf(m, keySrc), Version: meta.Value(m.Version, keySrc)}
		}
		return at, &NotFoundError{Model: m.Name, Key: keyOf(m, keySrc)}
	}
	forgetDeleted(session.Current(ctx), m, meta.KeyAt(m, keySrc), p, at)
	return at, nil
}

// keys deletes the rows of keys, as many to a statement as fit, without
// loading them, and forgets them; recs[i] is the record keys[i] came from,
// or nil. It returns how many rows it deleted.
func (d deletion) keys(ctx context.Context, keys [][]any, recs []unsafe.Pointer) (int64, error) {
	c, m := d.c, d.m
	q := c.Dialect().Quote
	var total int64
	batch := maxKeys(c, m)
	s := session.Current(ctx)
	if d.soft && s == nil && slices.ContainsFunc(recs, notNil) {
		// Records to stamp: which rows the soft delete stamps is read in
		// the transaction that stamps them (see live).
		err := inTx(ctx, c, func(ctx context.Context) error {
			var err error
			total, err = d.keys(ctx, keys, recs)
			return err
		})
		return total, err
	}
	for start := 0; start < len(keys); start += batch {
		part := keys[start:min(start+batch, len(keys))]
		var where sq.Sqlizer
		if len(m.PK) == 1 {
			vals := make([]any, len(part))
			for i, k := range part {
				vals[i] = k[0]
			}
			where = sq.Eq{q(m.PK[0].Name): vals}
		} else {
			or := make(sq.Or, len(part))
			for i, k := range part {
				and := make(sq.And, len(m.PK))
				for j, col := range m.PK {
					and[j] = sq.Eq{q(col.Name): k[j]}
				}
				or[i] = and
			}
			where = or
		}
		// A soft delete stamps the records given (recs) only for the
		// rows it soft-deletes, not those of rows gone or soft-deleted
		// before: in a transaction it reads them first, locked. When it changed
		// a row for every key given, every key's record is stamped, also
		// one whose key the database returns spelled otherwise (a CHAR
		// key padded by PostgreSQL); otherwise only those whose keys it
		// read back as they were given: a record it cannot match keeps
		// what it held rather than claim a time its row may not hold.
		var live map[registry.RowKey]bool
		if d.soft && s != nil && slices.ContainsFunc(recs[start:start+len(part)], notNil) {
			var err error
			if live, err = d.live(ctx, where); err != nil {
				return total, err
			}
		}
		n, at, err := d.where(ctx, where)
		if err != nil {
			return total, err
		}
		total += n
		if live != nil && n == int64(differentKeys(part)) {
			live = nil // every key's row: stamp them all
		}
		for i, k := range part {
			key := pkKey(k)
			if live != nil && !live[key] {
				continue
			}
			if s != nil || recs[start+i] != nil {
				forgetDeleted(s, m, key, recs[start+i], at)
			}
		}
	}
	return total, nil
}

func notNil(r unsafe.Pointer) bool { return r != nil }

// differentKeys is how many different primary keys keys holds.
func differentKeys(keys [][]any) int {
	seen := make(map[registry.RowKey]struct{}, len(keys))
	for _, k := range keys {
		seen[pkKey(k)] = struct{}{}
	}
	return len(seen)
}

// live returns the keys of the rows matching where (in quoted names) that
// are not soft-deleted, locked until the transaction of ctx ends (FOR
// UPDATE; SQLite's transactions hold the write lock from BEGIN): the rows a
// soft delete of where in that transaction then stamps, no other.
func (d deletion) live(ctx context.Context, where sq.Sqlizer) (map[registry.RowKey]bool, error) {
	c, m := d.c, d.m
	dia := c.Dialect()
	cols := make([]string, len(m.PK))
	for i, col := range m.PK {
		cols[i] = dia.Quote(col.Name)
	}
	b := sq.Select(cols...).From(dia.Quote(m.Table)).Where(where).
		Where(sq.Expr(dia.Quote(m.SoftDelete.Name) + " IS NULL")).PlaceholderFormat(dia.Placeholders())
	if lock := dia.LockClause(builder.Lock{}); lock != "" {
		b = b.Suffix(lock)
	}
	text, args, err := b.ToSql()
	if err != nil {
		return nil, fmt.Errorf("record: update of %s: %w", m.Name, err)
	}
	rows, err := c.Query(ctx, text, args...)
	if err != nil {
		return nil, wrapDB(m, "select", err)
	}
	defer rows.Close()
	rec := reflect.New(m.Type).UnsafePointer()
	dest := make([]any, len(m.PK))
	for i, col := range m.PK {
		dest[i] = meta.ScanDest(col, rec)
	}
	keys := make(map[registry.RowKey]bool)
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, wrapDB(m, "select", err)
		}
		keys[meta.KeyAt(m, rec)] = true
	}
	if err := rows.Err(); err != nil {
		return nil, wrapDB(m, "select", err)
	}
	return keys, nil
}

// where deletes the rows matching where (in quoted names; nil for every
// row), not soft-deleted ones when the delete is soft, in one statement,
// without loading them or forgetting them. It returns how many rows it
// deleted and the time a soft delete wrote.
func (d deletion) where(ctx context.Context, where sq.Sqlizer) (int64, time.Time, error) {
	c, m := d.c, d.m
	dia := c.Dialect()
	var at time.Time
	var text string
	var args []any
	var err error
	op := "delete"
	if d.soft {
		op = "update"
		at = now()
		sd := dia.Quote(m.SoftDelete.Name)
		b := sq.Update(dia.Quote(m.Table)).Set(sd, at).PlaceholderFormat(dia.Placeholders())
		for _, col := range autoUpdated(m, func(col *registry.Column) bool { return col == m.SoftDelete }) {
			b = b.Set(dia.Quote(col.Name), at)
		}
		if v := m.Version; v != nil {
			b = b.Set(dia.Quote(v.Name), sq.Expr(dia.Quote(v.Name)+" + 1"))
		}
		if where != nil {
			b = b.Where(where)
		}
		text, args, err = b.Where(sq.Expr(sd + " IS NULL")).ToSql()
	} else {
		b := sqlgen.DeleteWhere(dia, m)
		if where != nil {
			b = b.Where(where)
		}
		text, args, err = b.ToSql()
	}
	if err != nil {
		return 0, at, fmt.Errorf("record: %s of %s: %w", op, m.Name, err)
	}
	res, err := c.Exec(ctx, text, args...)
	if err != nil {
		if d.soft {
			return 0, at, wrapDB(m, op, err)
		}
		return 0, at, wrapDelete(m, nil, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, at, wrapDB(m, op, err)
	}
	return n, at, nil
}

// softDeleteSets are the columns a soft delete of m sets to its time: the
// softdelete column and the autoupdate columns, as autoUpdated says for an
// UPDATE setting the softdelete column (sqlgen.Statements.SoftDeleteSets
// holds the same for the prepared statements).
func softDeleteSets(m *registry.Model) []*registry.Column {
	return append([]*registry.Column{m.SoftDelete}, autoUpdated(m, func(c *registry.Column) bool { return c == m.SoftDelete })...)
}

// forgetDeleted is what every delete does for a row it deleted: the record
// given (rec; nil when only the key was) and the record the session holds
// for key become new, so that saving them inserts them again, and the
// session forgets key. For a soft delete, at is the time written into the
// row's softdelete and autoupdate columns, and rec's fields get it too
// (zero for a real delete). Inside a transaction it registers the undo of
// all it did to the records: when the transaction (or an enclosing
// savepoint) rolls back, the row is back as it was, and so are the
// records' snapshots and rec's time fields, so that the record holds what
// the row holds and a later Save does not write the rolled-back deletion
// time (the session undoes its own entry).
func forgetDeleted(s *session.Session, m *registry.Model, key registry.RowKey, rec unsafe.Pointer, at time.Time) {
	recs := [2]unsafe.Pointer{rec}
	if s != nil {
		if v, ok := identityOf(s, m, key); ok {
			if hp := reflect.ValueOf(v).UnsafePointer(); hp != rec {
				recs[1] = hp
			}
		}
		s.Forget(m, key)
	}
	type stamp struct {
		col       *registry.Column
		prev, set reflect.Value // rec's field before and after
	}
	var stamps []stamp
	if rec != nil && !at.IsZero() {
		for _, col := range softDeleteSets(m) {
			f := meta.Reflect(col, rec)
			st := stamp{col: col, prev: reflect.New(f.Type()).Elem(), set: reflect.New(f.Type()).Elem()}
			st.prev.Set(f)
			setTime(col, rec, at)
			st.set.Set(f)
			stamps = append(stamps, st)
		}
	}
	var prev [2]unsafe.Pointer
	cleared := false
	for i, r := range recs {
		if r == nil {
			continue
		}
		if slot := snapSlot(m, r); slot != nil {
			prev[i], *slot = *slot, nil
			cleared = cleared || prev[i] != nil
		}
	}
	if s == nil || !s.InTransaction() || !cleared && len(stamps) == 0 {
		return
	}
	undo(s, undoFunc(func() {
		for i, r := range recs {
			if r == nil || prev[i] == nil {
				continue
			}
			if slot := snapSlot(m, r); *slot == nil { // not saved again since
				*slot = prev[i]
			}
		}
		for _, st := range stamps {
			if f := meta.Reflect(st.col, rec); reflect.DeepEqual(f.Interface(), st.set.Interface()) { // not set again since
				f.Set(st.prev)
			}
		}
	}))
}

// destroyWhere destroys the rows of m matching where (in column names):
// loaded, then as records one by one when m has delete hooks or cascades,
// else by key.
func destroyWhere(ctx context.Context, c *session.Client, m *registry.Model, where builder.Sqlizer) error {
	o := opsOf(m)
	rows, err := o.load(ctx, where, nil, 0)
	if err != nil || len(rows) == 0 {
		return err
	}
	d := deleting(ctx, c, m)
	if d.oneByOne() {
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
	_, err = d.keys(ctx, keys, rows)
	return err
}

// maxKeys is how many primary keys of m fit one statement.
func maxKeys(c *session.Client, m *registry.Model) int {
	return max(1, min(c.Dialect().MaxParams()/len(m.PK), 5000))
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
		ref := meta.Value(r.Ref, src)
		switch {
		case r.Kind == registry.ManyToMany && !r.Through().Join.IsJoin():
			// The join model's rows are records: destroyed with its hooks.
			t := r.Through()
			if err := destroyWhere(ctx, c, t.Join, builder.Eq{t.FK.Name: ref}); err != nil {
				return relErr(m, r, err)
			}
		case r.Kind == registry.ManyToMany:
			// The join table's rows are not records: deleted by criteria.
			t := r.Through()
			if _, _, err := deleting(ctx, c, t.Join).where(ctx, sq.Eq{d.Quote(t.FK.Name): ref}); err != nil {
				return relErr(m, r, err)
			}
		case r.Cascade:
			if err := destroyWhere(ctx, c, r.Related, builder.Eq{r.FK.Name: ref}); err != nil {
				return relErr(m, r, err)
			}
		}
	}
	return nil
}

// keyMap is the Key of primary key values.
func keyMap(m *registry.Model, args []any) Key {
	k := make(Key, len(args))
	for i, col := range m.PK {
		k[col.Name] = args[i]
	}
	return k
}
