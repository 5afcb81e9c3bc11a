package session

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
)

// ErrConcurrentUse is returned when two goroutines use one Session at the
// same time. A Session belongs to the goroutine whose context carries it;
// start a Transaction per goroutine instead.
var ErrConcurrentUse = errors.New("session: a Session is used by two goroutines at once")

// ErrRolledBack is matched by the error Transaction returns when a nested
// level failed and the caller went on as if it had not: the whole
// transaction was rolled back although the outermost function returned nil.
var ErrRolledBack = errors.New("session: transaction rolled back")

// RollbackError is returned by the outermost Transaction when an inner
// level failed but its error was swallowed; Cause is that error.
type RollbackError struct{ Cause error }

func (e *RollbackError) Error() string {
	return "session: transaction rolled back because an inner level failed: " + e.Cause.Error()
}

// Unwrap returns ErrRolledBack and the inner failure.
func (e *RollbackError) Unwrap() []error { return []error{ErrRolledBack, e.Cause} }

// Session is the unit of work a context carries down one goroutine's calls:
// its transaction, the nesting depth of Transaction calls, and the hooks to
// run after commit or rollback. It is not safe for concurrent use; using one
// from two goroutines at once returns ErrConcurrentUse.
type Session struct {
	client   *Client
	tx       *sql.Tx
	conn     *sql.Conn // held when PoolTimeout bounded the checkout
	depth    int
	failed   error // first failure of a nested level; dooms the transaction
	spSeq    int
	explicit bool     // opened by Begin: outlives one Transaction call
	outer    *Session // another client's session current when this one was attached
	ended    bool
	busy     atomic.Int32

	afterCommit   []func(context.Context)
	afterRollback []func(context.Context)
	undo          []func() // restore in-memory state of work that is rolled back
	undoBuf       [2]func()

	// The identity map: the first rows inline, the rest in ident.
	small  [identInline]identEntry
	nsmall int
	ident  map[identKey]any

	pending []string // cached statements to prepare when the transaction ends
	bound   [8]boundStmt
	nbound  int
}

type sessionKey struct{}

// Current returns the Session that ctx carries, or nil.
func Current(ctx context.Context) *Session {
	s, _ := ctx.Value(sessionKey{}).(*Session)
	return s
}

// sessionFor returns the session of c that ctx carries, or nil: the
// current session, or one of another client's sessions it was opened in.
func sessionFor(ctx context.Context, c *Client) *Session {
	for s := Current(ctx); s != nil; s = s.outer {
		if s.client == c {
			return s
		}
	}
	return nil
}

// attach returns ctx carrying s as the current session. A session of
// another client that ctx already carries stays reachable through s.outer,
// so work on two databases can nest.
func (s *Session) attach(ctx context.Context) context.Context {
	cur := Current(ctx)
	if cur == s {
		return ctx
	}
	if s.outer == nil && cur != nil && cur.client != s.client {
		s.outer = cur
	}
	return context.WithValue(ctx, sessionKey{}, s)
}

// Client returns the client the session belongs to.
func (s *Session) Client() *Client { return s.client }

// InTransaction reports whether the session has begun a database
// transaction that has not ended.
func (s *Session) InTransaction() bool { return s.tx != nil }

// Begin opens an explicit session and returns a context carrying it. Work
// done with that context is one transaction until Commit or Rollback; a
// Transaction call inside it commits at its end unless given NoCommit, as
// the original's scoped session does. Close the session when done.
func (c *Client) Begin(ctx context.Context) (context.Context, *Session, error) {
	if c.closed.Load() {
		return ctx, nil, ErrClosed
	}
	s := &Session{client: c, explicit: true}
	if err := s.begin(ctx); err != nil {
		return ctx, nil, err
	}
	return s.attach(ctx), s, nil
}

// begin starts the database transaction if there is none yet.
func (s *Session) begin(ctx context.Context) error {
	if s.tx != nil {
		return nil
	}
	if s.ended {
		return ErrTxDone
	}
	c := s.client
	if c.closed.Load() {
		return ErrClosed
	}
	opts := &sql.TxOptions{Isolation: c.isolation}
	var err error
	if c.cfg.PoolTimeout > 0 {
		// Bound the wait for a free connection without binding the
		// transaction itself to that deadline.
		wait, cancel := context.WithTimeout(ctx, c.cfg.PoolTimeout)
		s.conn, err = c.db.Conn(wait)
		cancel()
		if err != nil {
			return fmt.Errorf("session: no connection within SQL_POOL_TIMEOUT %s: %w", c.cfg.PoolTimeout, err)
		}
		s.tx, err = s.conn.BeginTx(ctx, opts)
	} else {
		s.tx, err = c.db.BeginTx(ctx, opts)
	}
	if err != nil {
		s.releaseConn()
		return fmt.Errorf("session: begin: %w", err)
	}
	if c.echo {
		c.log.InfoContext(ctx, "sqlservice: statement", "sql", "BEGIN", "db", c.dialect.Name(), "server", primaryServer)
	}
	return nil
}

func (s *Session) releaseConn() {
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}

// enter and leave bracket one statement so that overlapping use from two
// goroutines is reported rather than interleaved on one connection.
func (s *Session) enter() error {
	if !s.busy.CompareAndSwap(0, 1) {
		return ErrConcurrentUse
	}
	return nil
}

func (s *Session) leave() { s.busy.Store(0) }

// Commit commits the session's transaction and runs the AfterCommit hooks.
// The session stays open: the next statement begins a new transaction.
func (s *Session) Commit(ctx context.Context) error {
	if s.failed != nil {
		err := &RollbackError{Cause: s.failed}
		s.Rollback(ctx)
		return err
	}
	return s.commit(ctx)
}

func (s *Session) commit(ctx context.Context) error {
	if s.tx == nil {
		s.finish(ctx, true)
		return nil
	}
	err := s.tx.Commit()
	s.tx = nil
	s.releaseConn()
	if s.client.echo {
		s.client.log.InfoContext(ctx, "sqlservice: statement", "sql", "COMMIT", "db", s.client.dialect.Name(), "server", primaryServer, "error", err)
	}
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		s.finish(ctx, false)
		return fmt.Errorf("session: commit: %w", TranslateError(err))
	}
	s.finish(ctx, true)
	return nil
}

// Rollback rolls the session's transaction back and runs the AfterRollback
// hooks.
func (s *Session) Rollback(ctx context.Context) error {
	var err error
	if s.tx != nil {
		err = s.tx.Rollback()
		if errors.Is(err, sql.ErrTxDone) {
			// database/sql already rolled back for a cancelled context.
			err = nil
		}
		s.tx = nil
		s.releaseConn()
		if s.client.echo {
			s.client.log.InfoContext(ctx, "sqlservice: statement", "sql", "ROLLBACK", "db", s.client.dialect.Name(), "server", primaryServer, "error", err)
		}
	}
	s.failed = nil
	s.finish(ctx, false)
	if err != nil {
		return fmt.Errorf("session: rollback: %w", err)
	}
	return nil
}

// finish runs the hooks of the ended transaction once and resets them.
func (s *Session) finish(ctx context.Context, committed bool) {
	s.unbind()
	s.preparePending(ctx)
	hooks := s.afterRollback
	if committed {
		hooks = s.afterCommit
	}
	s.afterCommit, s.afterRollback = nil, nil
	undo := s.undo
	s.undo = nil
	if !committed {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	clear(undo) // drop the closures, which may be in undoBuf
	if !committed || s.client.cfg.ExpireOnCommit == nil || *s.client.cfg.ExpireOnCommit {
		s.forgetAll()
	}
	if len(hooks) == 0 {
		return
	}
	ctx = context.WithoutCancel(ctx)
	for _, h := range hooks {
		h(ctx)
	}
}

// Close rolls back work that was neither committed nor rolled back and ends
// the session. Closing twice is not an error.
func (s *Session) Close() error {
	if s.ended {
		return nil
	}
	err := s.Rollback(context.Background())
	s.ended = true
	return err
}

// Undo registers fn to restore in-memory state (a record's key and
// snapshot, say) if the work done so far in the session's transaction is
// rolled back, by a rollback or by the rollback of an enclosing savepoint.
// Undo functions run in reverse order, before the AfterRollback hooks; they
// are dropped at commit.
func (s *Session) Undo(fn func()) {
	if s != nil && s.tx != nil {
		if s.undo == nil {
			s.undo = s.undoBuf[:0]
		}
		s.undo = append(s.undo, fn)
	}
}

// AfterCommit registers fn to run once after the outermost commit of the
// session that ctx carries. It is dropped if the transaction rolls back
// instead. Without a session, fn runs at once: there is nothing to wait for.
func AfterCommit(ctx context.Context, fn func(ctx context.Context)) {
	s := Current(ctx)
	if s == nil {
		fn(ctx)
		return
	}
	s.afterCommit = append(s.afterCommit, fn)
}

// AfterRollback registers fn to run once after the session that ctx carries
// rolls back. Without a session it is never called.
func AfterRollback(ctx context.Context, fn func(ctx context.Context)) {
	if s := Current(ctx); s != nil {
		s.afterRollback = append(s.afterRollback, fn)
	}
}

// TxOption changes how one Transaction level behaves.
type TxOption func(*txOptions)

type txOptions struct {
	noCommit     bool
	rollbackOnly bool
	savepoint    bool
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
// this level's work and leaves the enclosing transaction usable. At the
// outermost level it has no effect.
func Savepoint() TxOption { return func(o *txOptions) { o.savepoint = true } }

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
	for _, opt := range opts {
		opt(&o)
	}
	s := sessionFor(ctx, c)
	switch {
	case s == nil:
		s = &Session{client: c}
		ctx = s.attach(ctx)
		defer func() { s.ended = true }()
	case s.depth > 0 && o.savepoint:
		return s.savepoint(ctx, fn)
	case s.depth > 0:
		return s.nested(ctx, fn)
	default:
		ctx = s.attach(ctx)
	}
	return s.outermost(ctx, fn, o)
}

func (s *Session) outermost(ctx context.Context, fn func(context.Context) error, o txOptions) (err error) {
	if err := s.begin(ctx); err != nil {
		return err
	}
	s.depth = 1
	s.failed = nil
	returned := false
	defer func() {
		s.depth = 0
		if !returned {
			// fn panicked or called runtime.Goexit: roll back, and let the
			// panic continue.
			s.Rollback(ctx)
		}
	}()
	err = fn(ctx)
	returned = true
	switch {
	case err != nil:
		s.Rollback(ctx)
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			// The context ended the transaction under fn, whose error
			// ("statement is closed", say) is only a consequence.
			return errors.Join(cerr, err)
		}
		return err
	case s.failed != nil:
		cause := s.failed
		s.Rollback(ctx)
		return &RollbackError{Cause: cause}
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
	s.depth++
	returned := false
	defer func() {
		s.depth--
		if !returned && s.failed == nil {
			s.failed = errors.New("session: a nested transaction panicked")
		}
	}()
	err := fn(ctx)
	returned = true
	if err != nil && s.failed == nil {
		s.failed = err
	}
	return err
}

func (s *Session) savepoint(ctx context.Context, fn func(context.Context) error) error {
	if s.failed != nil {
		return &RollbackError{Cause: s.failed}
	}
	s.spSeq++
	name := "sqlservice_sp_" + strconv.Itoa(s.spSeq)
	d := s.client.dialect
	if _, err := s.client.Exec(ctx, false, d.Savepoint(name)); err != nil {
		return fmt.Errorf("session: savepoint: %w", err)
	}
	commitHooks, rollbackHooks, undos := len(s.afterCommit), len(s.afterRollback), len(s.undo)
	s.depth++
	returned := false
	defer func() {
		s.depth--
		if !returned && s.failed == nil {
			// A panic passes through: the outermost level rolls back
			// everything, so ROLLBACK TO would be a second rollback.
			s.failed = errors.New("session: a savepoint level panicked")
		}
	}()
	err := fn(ctx)
	returned = true
	if err == nil && s.failed != nil {
		err = &RollbackError{Cause: s.failed}
	}
	if err != nil {
		s.failed = nil // contained by the savepoint
		s.afterCommit = s.afterCommit[:commitHooks]
		s.afterRollback = s.afterRollback[:rollbackHooks]
		for i := len(s.undo) - 1; i >= undos; i-- {
			s.undo[i]()
		}
		clear(s.undo[undos:])
		s.undo = s.undo[:undos]
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if _, rerr := s.client.Exec(ctx, false, d.RollbackTo(name)); rerr != nil {
			return errors.Join(err, fmt.Errorf("session: rollback to savepoint: %w", rerr))
		}
		if _, rerr := s.client.Exec(ctx, false, d.Release(name)); rerr != nil {
			return errors.Join(err, fmt.Errorf("session: release savepoint: %w", rerr))
		}
		return err
	}
	if _, err := s.client.Exec(ctx, false, d.Release(name)); err != nil {
		return fmt.Errorf("session: release savepoint: %w", err)
	}
	return nil
}
