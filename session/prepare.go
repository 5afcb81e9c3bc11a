package session

import "context"

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
	if len(s.pending) == 0 || s.tx != nil {
		return
	}
	pending := s.pending
	s.pending = nil
	c := s.client
	ctx = context.WithoutCancel(ctx)
	for _, q := range pending {
		if c.closed.Load() {
			return
		}
		_, _ = c.prepared(ctx, q, nil)
	}
}
