package session

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Session is the unit of work a context carries down one goroutine's calls:
// its transaction, the nesting depth of Transaction calls, and the hooks to
// run after commit or rollback. It is not safe for concurrent use: a
// statement started while another goroutine's statement runs on it returns
// ErrConcurrentUse, and every touch of its state is guarded, so misuse is
// reported, never a crash.
type Session struct {
	client   *Client
	explicit bool       // opened by Begin: outlives one Transaction call
	own      binding    // the context layer of its first attach (context.go)
	ownCtx   bindingCtx // the context carrying own

	mu     sync.Mutex // guards everything below
	busy   bool       // a statement runs on the session's transaction
	tx     *sql.Tx
	conn   *sql.Conn // held when PoolTimeout bounded the checkout
	depth  int
	failed error // first failure of a nested level; dooms the transaction
	alone  bool  // NestedSavepoints: levels directly inside run as on their own
	spSeq  int
	ended  bool

	ending  bool    // its COMMIT or ROLLBACK is on its way: undo entries still belong to it
	lastEnd outcome // how the last transaction ended

	afterCommit   []func(context.Context)
	afterRollback []func(context.Context)
	undo          []undoEntry // restore in-memory state of work that is rolled back
	undoBuf       [2]undoEntry

	// The identity map: the first rows inline, the rest in ident.
	small  [identInline]identEntry
	nsmall int
	ident  map[identKey]any

	pending []string // cached statements to prepare when the transaction ends
	bound   [8]boundStmt
	nbound  int
	streams []*stream // open Iter row sets on the transaction (stream.go)
}

// undoEntry restores one piece of in-memory state when the work done since
// it was registered rolls back: a record's state (fn), or an identity-map
// entry (the entry k had before, prev; nil when it had none).
type undoEntry struct {
	fn   undoer
	k    identKey
	prev any
}

// undoer is what the record package registers to restore a record's state
// (see addUndo): a value with an Undo method, so that the record package
// can keep it in an allocation it makes anyway (a new snapshot's) rather
// than in a closure of its own.
type undoer interface{ Undo() }

// Client returns the client the session belongs to.
func (s *Session) Client() *Client { return s.client }

// InTransaction reports whether the session has begun a database
// transaction that has not ended.
func (s *Session) InTransaction() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tx != nil
}

// Begin opens an explicit session and returns a context carrying it. Work
// done with that context is one transaction until Commit or Rollback; a
// Transaction call inside it commits at its end unless given NoCommit, as
// the original's scoped session does. Close the session when done;
// Client.Close rolls back and ends the sessions still open.
func (c *Client) Begin(ctx context.Context) (context.Context, *Session, error) {
	if c.closed.Load() {
		return ctx, nil, ErrClosed
	}
	s := &Session{client: c, explicit: true}
	if err := s.begin(ctx); err != nil {
		return ctx, nil, err
	}
	if !c.track(s) {
		s.Close()
		return ctx, nil, ErrClosed
	}
	return s.attach(ctx), s, nil
}

// begin starts the database transaction if there is none yet. The caller
// owns the session for the call (s.busy, or the session is not shared yet)
// and does not hold s.mu: the wait for a connection and BEGIN run unlocked,
// so that Close can always end the session meanwhile.
func (s *Session) begin(ctx context.Context) error {
	s.mu.Lock()
	has, ended := s.tx != nil, s.ended
	s.mu.Unlock()
	if has {
		return nil
	}
	if ended {
		return ErrTxDone
	}
	c := s.client
	if c.closed.Load() {
		return ErrClosed
	}
	c.spillStarved(c.db)
	opts := &sql.TxOptions{Isolation: c.isolation}
	var (
		conn *sql.Conn
		tx   *sql.Tx
		err  error
	)
	for attempt := 0; ; attempt++ {
		if c.cfg.PoolTimeout > 0 {
			// Bound the wait for a free connection without binding the
			// transaction itself to that deadline.
			wait, cancel := context.WithTimeout(ctx, c.cfg.PoolTimeout)
			conn, err = c.db.Conn(wait)
			cancel()
			if err != nil {
				return fmt.Errorf("session: no connection within SQL_POOL_TIMEOUT %s: %w", c.cfg.PoolTimeout, err)
			}
		}
		bctx := ctx
		var ev *QueryEvent
		if c.hooks != nil {
			bctx, ev = c.beforePrimary(ctx, OpBegin, "BEGIN", 0)
		}
		if conn != nil {
			tx, err = conn.BeginTx(bctx, opts)
		} else {
			tx, err = c.db.BeginTx(bctx, opts)
		}
		c.after(ev, err)
		if err == nil {
			break
		}
		if conn != nil {
			conn.Close()
		}
		// A primary that is not ready began nothing: once more, on a
		// connection to another (see primaries.go).
		if attempt > 0 || !c.refusedByPrimary(err) {
			return fmt.Errorf("session: begin: %w", TranslateError(err))
		}
	}
	s.mu.Lock()
	if s.ended {
		// Closed while it waited: give the connection back.
		s.mu.Unlock()
		tx.Rollback()
		if conn != nil {
			conn.Close()
		}
		return ErrTxDone
	}
	s.tx, s.conn = tx, conn
	s.mu.Unlock()
	return nil
}

func (s *Session) releaseConn() {
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}

// enter claims the session's transaction for one statement and returns it
// (beginning it for an explicit session), so that overlapping use from two
// goroutines is reported rather than interleaved on one connection; leave
// gives it back.
func (s *Session) enter(ctx context.Context) (*sql.Tx, error) {
	return s.claim(ctx, true)
}

// claim is enter; checkFailed false lets the savepoint control statements
// run in a transaction that a nested level has doomed (a Savepoint level
// contains such a failure by rolling back to its savepoint).
func (s *Session) claim(ctx context.Context, checkFailed bool) (*sql.Tx, error) {
	s.mu.Lock()
	if s.busy {
		s.mu.Unlock()
		return nil, ErrConcurrentUse
	}
	if checkFailed && s.failed != nil {
		failed := s.failed
		s.mu.Unlock()
		return nil, &RollbackError{Cause: failed}
	}
	if s.tx == nil && (!s.explicit || s.ended) {
		s.mu.Unlock()
		return nil, ErrTxDone
	}
	s.busy = true
	tx := s.tx
	var streams []*stream
	if tx != nil { // the common case: one lock for the whole claim
		streams = s.takeStreams()
		s.mu.Unlock()
	} else {
		s.mu.Unlock()
		if err := s.begin(ctx); err != nil {
			s.leave()
			return nil, err
		}
		s.mu.Lock()
		tx = s.tx
		streams = s.takeStreams()
		s.mu.Unlock()
	}
	if tx == nil {
		s.leave() // rolled back meanwhile (Close from another goroutine)
		return nil, ErrTxDone
	}
	// The statement needs the connection that open Iter loops read from:
	// let them read the rest of their rows first.
	spill(streams)
	return tx, nil
}

func (s *Session) leave() {
	s.mu.Lock()
	s.busy = false
	s.mu.Unlock()
}

// Commit commits the session's transaction and runs the AfterCommit hooks.
// The session stays open: the next statement begins a new transaction. It
// returns ErrConcurrentUse while another goroutine runs a statement on the
// session, and an error matching ErrCommitUnknown when the outcome of the
// COMMIT is unknown (see ErrCommitUnknown).
func (s *Session) Commit(ctx context.Context) error {
	s.mu.Lock()
	failed, busy, ended := s.failed, s.busy, s.ended
	s.mu.Unlock()
	if ended {
		return ErrTxDone // Close rolled its work back
	}
	if busy {
		return ErrConcurrentUse
	}
	if failed != nil {
		s.Rollback(ctx)
		return &RollbackError{Cause: failed}
	}
	return s.commit(ctx)
}

// outcome is how a transaction ended.
type outcome int

const (
	committed outcome = iota
	rolledBack
	unknown // the COMMIT's reply was lost
)

func (s *Session) commit(ctx context.Context) error {
	s.spillStreams() // Iter loops over the transaction go on from memory
	s.mu.Lock()
	tx := s.tx
	s.tx = nil
	s.ending = tx != nil
	s.mu.Unlock()
	if tx == nil {
		s.finish(ctx, committed)
		return nil
	}
	c := s.client
	var ev *QueryEvent
	if c.hooks != nil {
		_, ev = c.beforePrimary(ctx, OpCommit, "COMMIT", 0)
	}
	err := tx.Commit()
	s.mu.Lock()
	s.releaseConn()
	s.mu.Unlock()
	if ev != nil {
		if err != nil && commitOutcomeUnknown(err) {
			c.after(ev, fmt.Errorf("%w: %w", ErrCommitUnknown, err))
		} else {
			c.after(ev, err)
		}
	}
	switch {
	case err == nil:
		s.finish(ctx, committed)
		return nil
	case commitOutcomeUnknown(err):
		s.finish(ctx, unknown)
		return fmt.Errorf("session: commit: %w: %w", ErrCommitUnknown, err)
	}
	if errors.Is(err, sql.ErrTxDone) {
		if cerr := ctx.Err(); cerr != nil {
			err = cerr // database/sql rolled back when the context ended
		}
	}
	s.finish(ctx, rolledBack)
	return fmt.Errorf("session: commit: %w", TranslateError(err))
}

// Rollback rolls the session's transaction back and runs the AfterRollback
// hooks.
func (s *Session) Rollback(ctx context.Context) error {
	s.spillStreams()
	s.mu.Lock()
	tx := s.tx
	s.tx = nil
	s.ending = tx != nil
	s.failed = nil
	s.mu.Unlock()
	var err error
	if tx != nil {
		c := s.client
		var ev *QueryEvent
		if c.hooks != nil {
			_, ev = c.beforePrimary(ctx, OpRollback, "ROLLBACK", 0)
		}
		err = tx.Rollback()
		if errors.Is(err, sql.ErrTxDone) {
			// database/sql already rolled back for a cancelled context.
			err = nil
		}
		s.mu.Lock()
		s.releaseConn()
		s.mu.Unlock()
		c.after(ev, err)
	}
	s.finish(ctx, rolledBack)
	if err != nil {
		return fmt.Errorf("session: rollback: %w", err)
	}
	return nil
}

// finish runs the hooks of the ended transaction once and resets them. The
// hooks get a context that no longer carries the session, so that their
// statements run on the pool (an outbox row written after commit, say).
func (s *Session) finish(ctx context.Context, how outcome) {
	s.mu.Lock()
	s.unbind()
	hooks := s.afterRollback
	if how == committed {
		hooks = s.afterCommit
	} else if how == unknown {
		hooks = nil
	}
	s.afterCommit, s.afterRollback = nil, nil
	undo := s.undo
	s.undo = nil
	s.streams = nil
	s.lastEnd, s.ending = how, false
	s.mu.Unlock()
	s.preparePending(ctx)
	if how == rolledBack {
		s.runUndo(undo)
	}
	clear(undo) // drop the closures, which may be in undoBuf
	if how != committed || s.client.cfg.ExpireOnCommit == nil || *s.client.cfg.ExpireOnCommit {
		s.forgetAll()
	}
	if len(hooks) == 0 {
		return
	}
	ctx = s.detached(context.WithoutCancel(ctx))
	for _, h := range hooks {
		h(ctx)
	}
}

// runUndo restores, newest first, what the entries undo. Record state is
// restored without s.mu held: the functions may call back into the session.
func (s *Session) runUndo(undo []undoEntry) {
	for i := len(undo) - 1; i >= 0; i-- {
		u := undo[i]
		if u.fn != nil {
			u.fn.Undo()
			continue
		}
		s.mu.Lock()
		if u.prev == nil {
			s.forget(u.k)
		} else {
			s.remember(u.k, u.prev)
		}
		s.mu.Unlock()
	}
}

func (s *Session) isEnded() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended
}

// Close rolls back work that was neither committed nor rolled back and ends
// the session. Closing twice is not an error.
func (s *Session) Close() error {
	s.mu.Lock()
	ended := s.ended
	s.ended = true // first: nothing begins a new transaction from now on
	s.mu.Unlock()
	if ended {
		return nil
	}
	err := s.Rollback(context.Background())
	s.client.untrack(s)
	return err
}

// addUndo registers fn.Undo to restore in-memory state (a record's key and
// snapshot, say) if the work done so far in the session's transaction is
// rolled back, by a rollback or by the rollback of an enclosing savepoint.
// Undo functions run in reverse order, before the AfterRollback hooks; they
// are dropped at commit, and when the outcome of the commit is unknown.
func (s *Session) addUndo(fn undoer) {
	if s == nil {
		return
	}
	s.mu.Lock()
	late := s.pushUndo(undoEntry{fn: fn})
	s.mu.Unlock()
	if late != nil {
		late.fn.Undo()
	}
}

// pushUndo appends u while a transaction is open or ending. s.mu is held.
// An entry that arrives after the transaction ended belongs to a statement that ran
// in it just before another goroutine ended it (Client.Close, say): after
// a rollback it is returned, to be run at once; after a commit it is
// dropped, as at commit.
func (s *Session) pushUndo(u undoEntry) (late *undoEntry) {
	if s.tx == nil && !s.ending {
		if s.lastEnd == rolledBack && u.fn != nil {
			return &u
		}
		return nil
	}
	if s.undo == nil {
		s.undo = s.undoBuf[:0]
	}
	s.undo = append(s.undo, u)
	return nil
}

// AfterCommit registers fn to run once after the outermost commit of the
// session that ctx carries. It is dropped if the transaction rolls back
// instead, or if the commit's outcome is unknown. fn's context no longer
// carries the session: its statements run on the pool. Without a session,
// fn runs at once: there is nothing to wait for.
func AfterCommit(ctx context.Context, fn func(ctx context.Context)) {
	s := Current(ctx)
	if s == nil {
		fn(ctx)
		return
	}
	s.mu.Lock()
	s.afterCommit = append(s.afterCommit, fn)
	s.mu.Unlock()
}

// AfterRollback registers fn to run once after the work of the level that
// registers it rolls back: when the transaction rolls back, or, registered
// inside a Savepoint level, when that level rolls back to its savepoint
// (then fn's context still carries the enclosing transaction). Without a
// session it is never called.
func AfterRollback(ctx context.Context, fn func(ctx context.Context)) {
	if s := Current(ctx); s != nil {
		s.mu.Lock()
		s.afterRollback = append(s.afterRollback, fn)
		s.mu.Unlock()
	}
}

// TxOption changes how one Transaction level behaves.
type TxOption func(*txOptions)

type txOptions struct {
	noCommit     bool
	rollbackOnly bool
	savepoint    bool
	alone        bool // NestedSavepoints
	retries      int  // Retry(n): attempts after the first
}

// NoCommit leaves the work uncommitted for an enclosing caller (the
// original's commit=False). At the outermost level of a session opened by
// Client.Begin, the transaction stays open until Session.Commit; at the
// outermost level of a session that Transaction opened itself, nobody is
// left to commit, so the work is rolled back when it returns.
func NoCommit() TxOption { return func(o *txOptions) { o.noCommit = true } }

// RollbackOnly rolls the transaction back even when the function succeeds
// (the original's rollback=True): dry runs and tests.
func RollbackOnly() TxOption { return func(o *txOptions) { o.rollbackOnly = true } }

// Savepoint makes a nested level a real nested transaction: SAVEPOINT
// before, RELEASE after success, ROLLBACK TO on failure, which undoes only
// this level's work (rows, records' in-memory state, identity-map entries)
// and leaves the enclosing transaction usable; the level's AfterRollback
// hooks run then. The control statements run even when the level's own
// context has ended (on an uncancelled context bounded to a few seconds),
// so the database and the records always agree. At the outermost level it
// has no effect.
//
// A statement cancelled inside the level (its context's deadline passed):
// on PostgreSQL pgx cancels it with a cancel request and keeps the
// connection, and on SQLite an interrupted SELECT leaves the transaction
// open, so only the level rolls back. On MySQL and MariaDB the driver must
// close the connection, and on SQLite an interrupted write rolls back the
// whole transaction: the level cannot be rolled back alone, and it and
// every enclosing level fail with an error matching ErrTxAborted; nothing
// of the transaction is committed.
func Savepoint() TxOption { return func(o *txOptions) { o.savepoint = true } }

// NestedSavepoints, at the outermost level, makes every Transaction called
// directly inside fn behave as it would on its own, outside any
// transaction: it runs in a savepoint; its failure (or a swallowed failure
// of a level nested in it) rolls back its own work only and leaves the
// enclosing transaction usable; its RollbackOnly or NoCommit roll its work
// back when it returns. The enclosing transaction still decides whether
// anything is committed, and the AfterCommit hooks of those levels wait
// for its commit. Levels nested deeper join as usual. Retry has no effect
// on those levels. It is for running code that starts its own
// transactions inside one that is rolled back (sqlservicetest.Rollback) or
// committed as a whole (a batch of such units of work); elsewhere it has
// no effect.
//
// A write that runs directly in such a transaction, not inside a
// Transaction of its own (a Save of a model without hooks is one INSERT),
// behaves as the autocommit statement it would be on its own: it runs in
// a savepoint of its own, so that its failure (a duplicate key, say)
// undoes only itself and the transaction stays usable, on PostgreSQL too,
// which would otherwise abort the whole transaction. That covers Exec,
// Stmt.Exec, the record package's writes and a QueryRow whose text may write (INSERT ...
// RETURNING; its savepoint ends at Row.Scan), and costs each of them two
// more statements (SAVEPOINT and RELEASE; ROLLBACK TO and RELEASE when it
// fails). Reads, and Query (whose rows are read after it returns, so a
// savepoint could not be released around them), run directly: a read that
// fails there (a bad cast, say) still aborts the transaction on
// PostgreSQL, as it would any transaction.
func NestedSavepoints() TxOption { return func(o *txOptions) { o.alone = true } }

// Transaction runs fn with a context that carries a session of c, in one
// database transaction.
//
// A call nested in another (through the context) joins the enclosing
// transaction: only the outermost level commits, once, and only its options
// decide between commit and rollback, as in the original. An inner level
// that fails dooms the whole transaction even if its caller swallows the
// error: the outermost level then rolls back and returns a *RollbackError
// (the original's counter could drift and commit instead). Savepoint() makes
// a nested level independent.
//
// An error returned by fn, or a panic, rolls back exactly once; the panic is
// re-raised after the rollback. A context cancelled or past its deadline
// rolls back and Transaction returns the context's error.
func (c *Client) Transaction(ctx context.Context, fn func(ctx context.Context) error, opts ...TxOption) error {
	if c.closed.Load() {
		return ErrClosed
	}
	var o txOptions
	if len(opts) > 0 {
		o = txOptionsOf(opts)
	}
	s := sessionFor(ctx, c)
	if s != nil && !s.explicit && s.isEnded() {
		// ctx outlived the Transaction that made s (a goroutine it
		// started, say): a new Transaction starts afresh.
		s = nil
	}
	if s == nil {
		s = &Session{client: c}
		defer func() {
			s.mu.Lock()
			s.ended = true
			s.mu.Unlock()
		}()
	}
	ctx = s.attach(ctx)
	s.mu.Lock()
	depth, alone := s.depth, s.alone
	s.mu.Unlock()
	switch {
	case depth == 1 && alone:
		return s.savepoint(ctx, fn, o.rollbackOnly || o.noCommit)
	case depth > 0 && o.savepoint:
		return s.savepoint(ctx, fn, false)
	case depth > 0:
		return s.nested(ctx, fn)
	}
	if o.retries <= 0 {
		return s.outermost(ctx, fn, o)
	}
	return runRetrying(ctx, o, func() error { return s.outermost(ctx, fn, o) })
}

// txOptionsOf applies opts to the zero txOptions. Its own variable, which
// the options write through a pointer and so is on the heap: a Transaction
// without options allocates none.
func txOptionsOf(opts []TxOption) txOptions {
	var o txOptions
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

func (s *Session) outermost(ctx context.Context, fn func(context.Context) error, o txOptions) (err error) {
	if err := s.begin(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	s.depth = 1
	s.failed = nil
	s.alone = o.alone
	s.mu.Unlock()
	if o.alone {
		s.client.nested.Add(1)
	}
	returned := false
	defer func() {
		s.mu.Lock()
		s.depth = 0
		s.alone = false
		s.mu.Unlock()
		if o.alone {
			s.client.nested.Add(-1)
		}
		if !returned {
			// fn panicked or called runtime.Goexit: roll back, and let the
			// panic continue.
			s.Rollback(ctx)
		}
	}()
	err = fn(ctx)
	returned = true
	s.mu.Lock()
	failed, busy := s.failed, s.busy
	s.mu.Unlock()
	switch {
	case err != nil:
		s.Rollback(ctx)
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			// The context ended the transaction under fn, whose error
			// ("statement is closed", say) is only a consequence.
			return errors.Join(cerr, err)
		}
		return err
	case busy:
		// fn returned while a goroutine it started still runs a
		// statement in the transaction: nothing of it can be trusted.
		s.Rollback(ctx)
		return ErrConcurrentUse
	case failed != nil:
		s.Rollback(ctx)
		return &RollbackError{Cause: failed}
	case ctx.Err() != nil:
		s.Rollback(ctx)
		return ctx.Err()
	case o.rollbackOnly:
		return s.Rollback(ctx)
	case o.noCommit && s.explicit:
		return nil
	case o.noCommit:
		return s.Rollback(ctx)
	}
	return s.commit(ctx)
}

func (s *Session) nested(ctx context.Context, fn func(context.Context) error) error {
	s.mu.Lock()
	s.depth++
	s.mu.Unlock()
	returned := false
	defer func() {
		s.mu.Lock()
		s.depth--
		if !returned && s.failed == nil {
			s.failed = errors.New("session: a nested transaction panicked")
		}
		s.mu.Unlock()
	}()
	err := fn(ctx)
	returned = true
	if err != nil {
		s.doom(err)
	}
	return err
}

// doom makes the transaction fail at its outermost level with cause,
// unless an earlier failure already does.
func (s *Session) doom(cause error) {
	s.mu.Lock()
	if s.failed == nil {
		s.failed = cause
	}
	s.mu.Unlock()
}

// savepointWait bounds the SAVEPOINT control statements that run after the
// level's own context has ended: long enough for any healthy connection,
// short enough that a dead one fails the transaction quickly.
const savepointWait = 5 * time.Second

// level marks where one savepoint level's hooks and undo entries start.
type level struct{ commitHooks, rollbackHooks, undos int }

// savepoint runs fn as a Savepoint level; with rollback, its work is
// rolled back to the savepoint even when fn succeeds (a level under
// NestedSavepoints given RollbackOnly or NoCommit).
func (s *Session) savepoint(ctx context.Context, fn func(context.Context) error, rollback bool) error {
	name, mark, err := s.openLevel(ctx)
	if err != nil {
		return err
	}
	returned := false
	defer func() {
		if !returned {
			s.mu.Lock()
			s.depth--
			if s.failed == nil {
				// A panic passes through: the outermost level rolls back
				// everything, so ROLLBACK TO would be a second rollback.
				s.failed = errors.New("session: a savepoint level panicked")
			}
			s.mu.Unlock()
		}
	}()
	err = fn(ctx)
	returned = true
	return s.closeLevel(ctx, name, mark, err, rollback)
}

// openLevel begins a savepoint level: SAVEPOINT, then one level deeper,
// so that the work done until closeLevel joins it. It returns the
// savepoint's name and where the level's hooks and undo entries start.
func (s *Session) openLevel(ctx context.Context) (string, level, error) {
	s.mu.Lock()
	if failed := s.failed; failed != nil {
		s.mu.Unlock()
		return "", level{}, &RollbackError{Cause: failed}
	}
	s.spSeq++
	name := "sqlservice_sp_" + strconv.Itoa(s.spSeq)
	s.mu.Unlock()
	if err := s.control(ctx, s.client.dialect.Savepoint(name)); err != nil {
		return "", level{}, fmt.Errorf("session: savepoint: %w", err)
	}
	s.mu.Lock()
	mark := level{len(s.afterCommit), len(s.afterRollback), len(s.undo)}
	s.depth++
	s.mu.Unlock()
	return name, mark, nil
}

// closeLevel ends the level openLevel began, whose work returned err:
// RELEASE on success (unless rollback), else ROLLBACK TO and RELEASE,
// which undoes the level's in-memory state and runs its AfterRollback
// hooks. It returns err, or the error that made the whole transaction
// fail (ErrTxAborted) when the level could not be rolled back alone.
func (s *Session) closeLevel(ctx context.Context, name string, mark level, err error, rollback bool) error {
	s.mu.Lock()
	s.depth--
	if err == nil && s.failed != nil {
		err = &RollbackError{Cause: s.failed}
	}
	s.mu.Unlock()
	d := s.client.dialect
	// The level's own context may have ended (its deadline passed under
	// a statement, say): the control statements run without it, bounded,
	// so that the database and the records always agree.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), savepointWait)
	defer cancel()
	if err == nil && !rollback {
		rerr := s.control(cctx, d.Release(name))
		if rerr == nil {
			return nil
		}
		err = fmt.Errorf("session: release savepoint: %w", rerr)
	}
	rerr := s.control(cctx, d.RollbackTo(name))
	if rerr == nil {
		rerr = s.control(cctx, d.Release(name))
		if rerr != nil {
			rerr = fmt.Errorf("release savepoint: %w", rerr)
		}
	} else {
		rerr = fmt.Errorf("rollback to savepoint: %w", rerr)
	}
	if rerr != nil {
		// The level's work cannot be rolled back alone (its connection
		// is gone, or the database aborted the transaction): the whole
		// transaction rolls back, and with it the level's in-memory
		// state and hooks, at the outermost level.
		aborted := fmt.Errorf("session: %w: %w", ErrTxAborted, rerr)
		s.mu.Lock()
		s.failed = errors.Join(err, aborted)
		s.mu.Unlock()
		return errors.Join(err, aborted)
	}
	s.mu.Lock()
	s.failed = nil // contained by the savepoint
	s.afterCommit = s.afterCommit[:mark.commitHooks]
	hooks := slices.Clone(s.afterRollback[mark.rollbackHooks:])
	s.afterRollback = s.afterRollback[:mark.rollbackHooks]
	undo := slices.Clone(s.undo[mark.undos:])
	clear(s.undo[mark.undos:])
	s.undo = s.undo[:mark.undos]
	s.mu.Unlock()
	s.runUndo(undo)
	hctx := context.WithoutCancel(ctx)
	for _, h := range hooks {
		h(hctx)
	}
	return err
}

// control runs a savepoint statement on the session's transaction. Unlike
// a statement of the caller's, it runs when a nested level has doomed the
// transaction: rolling back to a savepoint is how a Savepoint level
// contains such a failure.
func (s *Session) control(ctx context.Context, query string) error {
	tx, err := s.claim(ctx, false)
	if err != nil {
		return err
	}
	defer s.leave()
	c := s.client
	var ev *QueryEvent
	if c.hooks != nil {
		ctx, ev = c.beforePrimary(ctx, OpSavepoint, query, 0)
	}
	_, err = tx.ExecContext(ctx, query)
	c.after(ev, err)
	return TranslateError(err)
}

// stmtLevel is the savepoint that one write runs in when it runs directly
// in a NestedSavepoints transaction, as an autocommit statement would on
// its own (see NestedSavepoints).
type stmtLevel struct {
	s    *Session
	name string
	mark level
}

// stmtLevel opens the savepoint for a statement about to run with ctx,
// when ctx's session of c is at the outermost level of a NestedSavepoints
// transaction; otherwise it returns nil, and the statement runs as usual.
func (c *Client) stmtLevel(ctx context.Context) (*stmtLevel, error) {
	if c.nested.Load() == 0 { // no NestedSavepoints transaction: nothing to look up
		return nil, nil
	}
	s := sessionFor(ctx, c)
	if s == nil {
		return nil, nil
	}
	s.mu.Lock()
	top := s.depth == 1 && s.alone && s.tx != nil
	s.mu.Unlock()
	if !top {
		return nil, nil
	}
	name, mark, err := s.openLevel(ctx)
	if err != nil {
		return nil, err
	}
	return &stmtLevel{s: s, name: name, mark: mark}, nil
}

// end ends the statement's savepoint: released when the statement
// succeeded (sql.ErrNoRows is a success), rolled back to when it failed.
// It returns err, or the error that the savepoint's end met.
func (l *stmtLevel) end(ctx context.Context, err error) error {
	if l == nil {
		return err
	}
	if err == nil || errors.Is(err, sql.ErrNoRows) {
		if lerr := l.s.closeLevel(ctx, l.name, l.mark, nil, false); lerr != nil {
			return lerr
		}
		return err
	}
	return l.s.closeLevel(ctx, l.name, l.mark, err, false)
}
