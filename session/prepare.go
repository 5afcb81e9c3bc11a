package session

import (
	"context"
	"database/sql"
	"time"
)

// maxPending bounds the statements one transaction remembers for preparing
// after it ends; more are simply prepared the next time they run outside a
// transaction.
const maxPending = 32

// deferPrepare remembers a cached statement that ran unprepared inside the
// session's transaction (preparing it there could wait forever for a pool
// connection that the transaction itself holds). It is prepared on the pool
// when the transaction ends, so a statement that only ever runs inside
// transactions is prepared from its second transaction on.
func (s *Session) deferPrepare(query string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) >= maxPending {
		return
	}
	for _, q := range s.pending {
		if q == query {
			return
		}
	}
	s.pending = append(s.pending, query)
}

// preparePending prepares the statements deferPrepare remembered, now that
// the transaction has given its connection back. A statement that fails to
// prepare (its table was created by a transaction that rolled back, say) is
// skipped: it runs unprepared again next time, which reports any real error.
func (s *Session) preparePending(ctx context.Context) {
	s.mu.Lock()
	pending := s.pending
	if s.tx != nil {
		pending = nil
	} else {
		s.pending = nil
	}
	s.mu.Unlock()
	if len(pending) == 0 {
		return
	}
	c := s.client
	if st := c.db.Stats(); st.MaxOpenConnections > 0 && st.InUse >= st.MaxOpenConnections {
		// Every connection is busy: rather than make the commit wait for
		// one, leave the statements to be prepared another time.
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), prepareWait)
	defer cancel()
	for _, q := range pending {
		if c.closed.Load() || ctx.Err() != nil {
			return
		}
		c.prepareWithin(ctx, q)
	}
}

// prepareWithin is prepared outside a transaction, except that ctx bounds
// the wait; a failure leaves the statement unprepared.
func (c *Client) prepareWithin(ctx context.Context, query string) {
	if st, err := c.stmts.prepare(ctx, c.db, query); err == nil {
		st.release()
	}
}

// prepareWait bounds how long preparePending may wait for a connection of
// the pool (or for the database), so that the end of a transaction is never
// held up for long by statements it only prepares for later.
const prepareWait = time.Second

// boundStmt is a client statement and its binding to the session's current
// transaction.
type boundStmt struct{ db, tx *sql.Stmt }

// txStmt returns st bound to the session's transaction. database/sql's
// Tx.StmtContext allocates and registers a new binding on every call; the
// session keeps the first few per transaction, so that a loop of writes in
// one transaction binds each statement once.
func (s *Session) txStmt(ctx context.Context, tx *sql.Tx, st *sql.Stmt) *sql.Stmt {
	s.mu.Lock()
	if tx == s.tx {
		for _, b := range s.bound[:s.nbound] {
			if b.db == st {
				s.mu.Unlock()
				return b.tx
			}
		}
	}
	s.mu.Unlock()
	// Binding may prepare on the transaction's connection: not under s.mu.
	ts := tx.StmtContext(ctx, st)
	s.mu.Lock()
	// A binding made as the context ended may have failed to prepare:
	// only keep one made with a live context, for the live transaction.
	if tx == s.tx && s.nbound < len(s.bound) && ctx.Err() == nil {
		s.bound[s.nbound] = boundStmt{st, ts}
		s.nbound++
	}
	s.mu.Unlock()
	return ts
}

// unbind forgets the bindings of the transaction that ended (database/sql
// closes them with it). s.mu is held.
func (s *Session) unbind() {
	clear(s.bound[:s.nbound])
	s.nbound = 0
}
