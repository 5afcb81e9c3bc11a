package record

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"unsafe"

	"github.com/sqlservice/sqlservice/events"
	"github.com/sqlservice/sqlservice/internal/meta"
	"github.com/sqlservice/sqlservice/internal/sqlgen"
	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

type skipHooksKey struct{}

// SkipHooks returns a context in which writes and loads run no model event
// handlers or hook methods: for bulk maintenance jobs that must not, say,
// send an e-mail per row.
func SkipHooks(ctx context.Context) context.Context {
	return context.WithValue(ctx, skipHooksKey{}, true)
}

func hooksOff(ctx context.Context) bool {
	v, _ := ctx.Value(skipHooksKey{}).(bool)
	return v
}

var writeKinds = []events.Kind{
	events.KindBeforeSave, events.KindBeforeInsert, events.KindBeforeUpdate, events.KindBeforeDelete,
	events.KindAfterInsert, events.KindAfterUpdate, events.KindAfterDelete, events.KindAfterSave,
}

// hasWriteHooks reports whether a write of m must run handlers (and so needs
// a transaction of its own to roll them back with the row).
func hasWriteHooks(ctx context.Context, m *registry.Model, kinds ...events.Kind) bool {
	if meta.Handlers(m).Empty() || hooksOff(ctx) {
		return false
	}
	for _, k := range kinds {
		if meta.Handlers(m).Has(k) {
			return true
		}
	}
	return false
}

func fire(ctx context.Context, m *registry.Model, p any, kinds ...events.Kind) error {
	some := false
	for _, k := range kinds {
		some = some || meta.Handlers(m).Has(k)
	}
	if !some {
		return nil
	}
	if purging(ctx) {
		// A Purge (or a real delete's cascade) is what the library does to
		// these rows; what a hook writes or reads is the hook's own, with
		// soft delete as everywhere else.
		ctx = context.WithValue(ctx, purgeKey{}, false)
	}
	for _, k := range kinds {
		if err := meta.Handlers(m).Fire(ctx, k, p); err != nil {
			return fmt.Errorf("record: %s: %w", m.Name, err)
		}
	}
	return nil
}

// inTx runs fn in the context's transaction, or in a transaction of its own
// when the context has none, so that a row and its hooks commit or roll
// back together.
func inTx(ctx context.Context, c *session.Client, fn func(ctx context.Context) error) error {
	return c.Transaction(ctx, fn)
}

// KeyOf returns the registry.RowKey of the record's primary key, as it was
// loaded or last saved (as the record now holds it when it is new): the
// key the session's identity map files the record under, equal to
// registry.RowKeyOf of the key values in key order, whatever Go types hold
// them. Generic code uses it to match records by key, in maps or with
// session.Session.Forget. It returns the zero RowKey (not Valid) for a nil
// record or a T that is not a model, and a RowKey that is not Valid when a
// key value is NULL.
func KeyOf[T any](rec *T) registry.RowKey {
	m, err := registry.Of[T]()
	if err != nil || rec == nil {
		return registry.RowKey{}
	}
	return meta.KeyAt(m, keySource(m, unsafe.Pointer(rec)))
}

// keySource is where the key of the record of m at p is read: its
// snapshot when it has one (the row as loaded, even if the key field was
// edited since), else the record.
func keySource(m *registry.Model, p unsafe.Pointer) unsafe.Pointer {
	if s := snapAt(m, p); s != nil {
		return s
	}
	return p
}

// keyOf returns the primary key of the row at p for an error message: the
// key field's value, or the registry.RowKey of a composite key.
func keyOf(m *registry.Model, p unsafe.Pointer) any {
	if len(m.PK) == 1 {
		return meta.Value(m.PK[0], p)
	}
	return meta.KeyAt(m, p)
}

// keyFromArgs returns primary key values for an error message, as keyOf.
func keyFromArgs(args []any) any {
	if len(args) == 1 {
		return args[0]
	}
	return registry.RowKeyOf(args...)
}

func save[T any](ctx context.Context, m *registry.Model, p *T) error {
	if len(m.Relations) > 0 && inGraph(m, unsafe.Pointer(p)) {
		return saveGraph(ctx, m, unsafe.Pointer(p))
	}
	return saveRow(ctx, m, p)
}

// saveRow writes the record's own row, without its relations.
func saveRow[T any](ctx context.Context, m *registry.Model, p *T) error {
	c, s, err := resolve(ctx)
	if err != nil {
		return err
	}
	b := baseOf(m, p)
	isUpdate := b != nil && b.saved() != nil
	if !hasWriteHooks(ctx, m, writeKinds...) {
		switch {
		case isUpdate:
			_, err = update(ctx, c, s, m, p, b)
		case m.AutoIncrement != nil && meta.IsZero(m.AutoIncrement, unsafe.Pointer(p)):
			err = insert(ctx, c, s, m, p, b, false)
		default:
			err = insert(ctx, c, s, m, p, b, true)
		}
		return err
	}
	return inTx(ctx, c, func(ctx context.Context) error {
		s := session.Current(ctx) // the transaction's
		if !isUpdate && !(m.AutoIncrement != nil && meta.IsZero(m.AutoIncrement, unsafe.Pointer(p))) {
			// A new record with its key set: the hooks to run depend on
			// whether the row exists.
			exists, err := rowExists(ctx, c, m, unsafe.Pointer(p))
			if err != nil {
				return err
			}
			if exists {
				return saveHooked(ctx, c, s, m, p, b, true, true)
			}
		}
		return saveHooked(ctx, c, s, m, p, b, isUpdate, false)
	})
}

func saveHooked[T any](ctx context.Context, c *session.Client, s *session.Session, m *registry.Model, p *T, b *Base[T], isUpdate, overwrite bool) error {
	before, after := events.KindBeforeInsert, events.KindAfterInsert
	if isUpdate {
		before, after = events.KindBeforeUpdate, events.KindAfterUpdate
	}
	if err := fire(ctx, m, p, events.KindBeforeSave, before); err != nil {
		return err
	}
	var err error
	switch {
	case overwrite:
		err = insert(ctx, c, s, m, p, b, true)
	case isUpdate:
		_, err = update(ctx, c, s, m, p, b)
	default:
		err = insert(ctx, c, s, m, p, b, !(m.AutoIncrement != nil && meta.IsZero(m.AutoIncrement, unsafe.Pointer(p))))
	}
	if err != nil {
		return err
	}
	return fire(ctx, m, p, after, events.KindAfterSave)
}

func rowExists(ctx context.Context, c *session.Client, m *registry.Model, p unsafe.Pointer) (bool, error) {
	st := sqlgen.For(c.Dialect(), m)
	args := make([]any, len(m.PK))
	for i, col := range m.PK {
		args[i] = meta.Value(col, p)
	}
	rows, err := queryOn(c, ctx, true, st.Exists, args)
	if err != nil {
		return false, wrapDB(m, "select", err)
	}
	defer rows.Close()
	found := rows.Next()
	return found, wrapDB(m, "select", rows.Err())
}

// insert writes a new row. upsert makes it overwrite an existing row with
// the same primary key. The autoincrement key is left to the database when
// zero, and nil pointer fields with a default are left to their default.
// s is the session of c that ctx carries (nil: none).
func insert[T any](ctx context.Context, c *session.Client, s *session.Session, m *registry.Model, p *T, b *Base[T], upsert bool) (err error) {
	up := unsafe.Pointer(p)
	// nil unless the insert stamps times: a func literal in a generic
	// function captures its dictionary, and allocates.
	var restore func()
	if len(m.AutoTimes) > 0 {
		_, restore = stampTimes(m, up, true, nil)
		defer func() {
			if err != nil {
				restore()
			}
		}()
	}
	var omit registry.ColumnSet
	autoOmitted := false
	for _, col := range m.Columns {
		switch {
		case col.AutoIncrement && meta.IsZero(col, up):
			omit.Add(meta.Pos(col))
			autoOmitted = true
		case col.HasDefault && col.Nullable && meta.IsZero(col, up):
			omit.Add(meta.Pos(col))
		}
	}
	if vc := m.Version; vc != nil && meta.IsZero(vc, up) {
		// A row's first version is 1, so that 0 always means "never
		// stored"; undone if the INSERT fails.
		if err := setInt(vc, up, 1); err != nil {
			return err
		}
		defer func() {
			if err != nil {
				meta.Reflect(vc, up).SetZero()
			}
		}()
	}
	st := sqlgen.For(c.Dialect(), m)
	if upsert && !st.UpsertIsExact() {
		// Two statements: one transaction, so that a failed INSERT leaves
		// no UPDATE behind.
		return inTx(ctx, c, func(ctx context.Context) error { return updateOrInsert(ctx, c, m, p, b, omit) })
	}
	ins := st.Insert(omit)
	if upsert {
		ins = st.Upsert(omit)
	}
	ap := takeArgs()
	defer dropArgs(ap)
	args := *ap
	for _, col := range ins.Columns {
		args = append(args, meta.Value(col, up))
	}
	*ap = args
	if autoOmitted && c.Dialect().Returning() {
		if err := queryRowIn(c, s, ctx, ins.SQL, args).Scan(meta.ScanDest(m.AutoIncrement, up)); err != nil {
			return wrapArgs(m, "insert", ins.Columns, nil, err)
		}
	} else {
		res, err := execIn(c, s, ctx, ins.SQL, args)
		if err != nil {
			return wrapArgs(m, "insert", ins.Columns, nil, err)
		}
		if autoOmitted {
			id, err := res.LastInsertId()
			if err != nil {
				return wrapDB(m, "insert", err)
			}
			if err := setInt(m.AutoIncrement, up, id); err != nil {
				return err
			}
		}
	}
	if !autoOmitted && m.AutoIncrement != nil {
		if err := advanceSequence(ctx, c, m, up); err != nil {
			return err
		}
	}
	stored(s, m, p, b, autoOmitted, restore)
	return nil
}

// argsPool holds argument slices for the statements of single-row writes
// (insert, update): a statement's arguments are read while it runs and
// not kept after, so the slice goes back for the next write instead of
// being allocated for each.
var argsPool = sync.Pool{New: func() any { a := make([]any, 0, 16); return &a }}

// takeArgs returns an empty argument slice from argsPool; the caller
// stores what it appended back through the pointer and hands it to
// dropArgs once the statement has run.
func takeArgs() *[]any { return argsPool.Get().(*[]any) }

// dropArgs clears the slice (so that it holds no values of the write) and
// returns it to argsPool; one grown beyond 64 arguments is left to the
// collector.
func dropArgs(ap *[]any) {
	if cap(*ap) > 64 {
		return
	}
	clear(*ap)
	*ap = (*ap)[:0]
	argsPool.Put(ap)
}

// stored marks the record as matching its row: a new snapshot, and the
// session's identity map pointing at it. Inside a transaction it also
// registers how to undo that if the transaction (or the savepoint) rolls
// back: the previous snapshot, a zero key if the database generated it,
// and, through restore, the fields the write itself set in the record (a
// counted-up version, stamped times), so that the record holds no value
// its row never kept. restore may be nil. s is the session the write ran
// in (nil: none).
func stored[T any](s *session.Session, m *registry.Model, p *T, b *Base[T], generated bool, restore func()) {
	var prev, snap *T
	var u *storedUndo[T]
	if b != nil {
		prev = b.saved()
		switch {
		case s != nil && prev == nil:
			// A new record in a session: its snapshot and its undo in one
			// allocation. Not with a previous snapshot, which the undo
			// holds: each snapshot would keep the one before it alive.
			both := new(struct {
				snap T
				u    storedUndo[T]
			})
			snap, u = &both.snap, &both.u
		case s != nil:
			snap, u = new(T), new(storedUndo[T])
		default:
			snap = new(T)
		}
		snapshot(m, p, snap)
		b.setSaved(snap)
	}
	if s == nil {
		return
	}
	// The session undoes its identity entry with the level that made it.
	remember(s, m, meta.KeyAt(m, unsafe.Pointer(p)), p)
	if b == nil {
		return
	}
	*u = storedUndo[T]{m: m, p: p, b: b, prev: prev, snap: snap, generated: generated, restore: restore}
	undo(s, u)
}

// storedUndo is what stored registers with the session: how to undo a
// write in the record.
type storedUndo[T any] struct {
	m          *registry.Model
	p          *T
	b          *Base[T]
	prev, snap *T // the snapshot before the write, and the one it made
	generated  bool
	restore    func() // nil: nothing
}

// Undo restores the record's state before the write, unless it was saved
// again since: its previous snapshot, a zero key if the database
// generated it, and through restore the fields the write set.
func (u *storedUndo[T]) Undo() {
	if u.b.saved() == u.snap { // not saved again since
		u.b.setSaved(u.prev)
		if u.generated {
			meta.Reflect(u.m.AutoIncrement, unsafe.Pointer(u.p)).SetZero()
		}
		if u.restore != nil {
			u.restore()
		}
	}
}

// undoFunc is a function registered as an undo with the session.
type undoFunc func()

// Undo calls f.
func (f undoFunc) Undo() { f() }

func setInt(col *registry.Column, p unsafe.Pointer, id int64) error {
	if ip := meta.Int64At(col, p); ip != nil { // every int64 fits
		*ip = id
		return nil
	}
	f := meta.Reflect(col, p)
	if col.Kind == registry.KindUint {
		if id < 0 || f.OverflowUint(uint64(id)) {
			return fmt.Errorf("record: generated key %d does not fit %s", id, col.Type)
		}
		f.SetUint(uint64(id))
		return nil
	}
	if f.OverflowInt(id) {
		return fmt.Errorf("record: generated key %d does not fit %s", id, col.Type)
	}
	f.SetInt(id)
	return nil
}

// update writes the columns that differ from the snapshot. It reports
// whether any SQL ran. s is the session of c that ctx carries (nil: none).
func update[T any](ctx context.Context, c *session.Client, s *session.Session, m *registry.Model, p *T, b *Base[T]) (ran bool, err error) {
	up, sp := unsafe.Pointer(p), unsafe.Pointer(b.saved())
	for _, col := range m.PK {
		if !meta.Equal(col, up, sp) {
			return false, &FieldError{Model: m.Name, Field: col.Field, Column: col.Name,
				Err: errors.New("the primary key of a saved record cannot change; destroy it and save a new one")}
		}
	}
	vc := m.Version
	var set registry.ColumnSet
	meta.Dirty(m, up, sp, vc, &set)
	for _, col := range meta.Deep(m) {
		if meta.SnapOf(col) == meta.SnapDriver && !col.PK && col != vc && !unchanged(m, col, up, sp) {
			set.Add(meta.Pos(col))
		}
	}
	if set.Empty() {
		return false, nil
	}
	var restoreTimes func() // nil unless the update stamps times (see insert)
	if len(m.AutoTimes) > 0 {
		var stamped []*registry.Column
		stamped, restoreTimes = stampTimes(m, up, false, func(col *registry.Column) bool { return set.Has(meta.Pos(col)) })
		for _, col := range stamped {
			set.Add(meta.Pos(col))
		}
		defer func() {
			if err != nil {
				restoreTimes()
			}
		}()
	}
	st := sqlgen.For(c.Dialect(), m)
	var u *sqlgen.Update
	if vc != nil {
		u = st.VersionedUpdateOf(set)
	} else {
		u = st.UpdateOf(set)
	}
	sqlText, cols := u.SQL, u.Columns
	ap := takeArgs()
	defer dropArgs(ap)
	args := *ap
	for _, col := range cols {
		args = append(args, meta.Value(col, up))
	}
	for _, col := range m.PK {
		args = append(args, meta.Value(col, up))
	}
	if vc != nil {
		args = append(args, meta.Value(vc, sp)) // the version it was read with
	}
	*ap = args
	res, err := execIn(c, s, ctx, sqlText, args)
	if err != nil {
		return false, wrapArgs(m, "update", cols, m.PK, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		if vc != nil {
			return false, &StaleError{Model: m.Name, Key: keyOf(m, up), Version: meta.Value(vc, sp)}
		}
		return false, &NotFoundError{Model: m.Name, Key: keyOf(m, up)}
	}
	restore := restoreTimes
	if vc != nil {
		oldVersion := reflect.New(vc.Type).Elem()
		oldVersion.Set(meta.Reflect(vc, up))
		bumpVersion(vc, up, sp)
		restore = func() {
			if restoreTimes != nil {
				restoreTimes()
			}
			meta.Reflect(vc, up).Set(oldVersion)
		}
	}
	stored(s, m, p, b, false, restore)
	return true, nil
}

// bumpVersion sets the version field of the record at up to the one after
// the version of its snapshot at sp, as the UPDATE did in the row.
func bumpVersion(vc *registry.Column, up, sp unsafe.Pointer) {
	f, old := meta.Reflect(vc, up), meta.Reflect(vc, sp)
	if vc.Kind == registry.KindUint {
		f.SetUint(old.Uint() + 1)
	} else {
		f.SetInt(old.Int() + 1)
	}
}

// wrapArgs is wrapDB for a statement whose arguments are rows of cols
// followed by keys: an argument the database cannot store (a
// *session.ValueError) is a *FieldError naming its field.
func wrapArgs(m *registry.Model, op string, cols, keys []*registry.Column, err error) error {
	var ve *session.ValueError
	if !errors.As(err, &ve) || len(cols)+len(keys) == 0 {
		return wrapDB(m, op, err)
	}
	var col *registry.Column
	switch i := ve.Arg; {
	case len(cols) == 0:
		col = keys[i%len(keys)]
	case keys != nil && i >= len(cols):
		col = keys[(i-len(cols))%len(keys)]
	default:
		col = cols[i%len(cols)]
	}
	return &FieldError{Model: m.Name, Field: col.Field, Column: col.Name, Err: ve}
}

func wrapDB(m *registry.Model, op string, err error) error {
	if err == nil {
		return nil
	}
	var dbe *DBError
	var nf *NotFoundError
	if errors.As(err, &dbe) || errors.As(err, &nf) {
		return err
	}
	err = session.TranslateError(err) // errors that surfaced at rows.Next or rows.Err
	describeConstraint(m, err)
	return &DBError{Model: m.Name, Op: op, Err: err}
}
