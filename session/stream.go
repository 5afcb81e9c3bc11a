package session

import (
	"context"
	"database/sql"
	"sync"
)

// A stream is a result set that a caller reads row by row while its own
// code runs in between (record's Iter). Such a loop holds a connection: the
// session's transaction, or one of the pool's. A statement the loop body
// runs would need that connection (the transaction's, which can run one
// statement at a time on MySQL and PostgreSQL) or a free one (a pool of
// one connection has none), and would fail or wait forever. Instead the
// statement first asks the open streams in its way to spill: read the rest
// of their rows into memory and close them. The loop then goes on from
// memory, with the same rows: a result set is fixed when its query starts.
type stream struct {
	spill func()
	s     *Session // nil for a stream on the pool
	once  sync.Once
}

func (st *stream) doSpill() { st.once.Do(st.spill) }

func spill(streams []*stream) {
	for _, st := range streams {
		st.doSpill()
	}
}

// openStream registers an open result set of ctx's client that a caller reads
// across its own code, with the function that reads its remaining rows
// into memory and closes it (called at most once, from any goroutine:
// it must lock against the reader). Call the returned function when the
// result set is closed.
func (c *Client) openStream(ctx context.Context, spillFn func()) (end func()) {
	st := &stream{spill: spillFn}
	if s := sessionFor(ctx, c); s != nil {
		s.mu.Lock()
		if s.tx != nil {
			st.s = s
			s.streams = append(s.streams, st)
		}
		s.mu.Unlock()
		if st.s != nil {
			return func() { s.dropStream(st) }
		}
	}
	c.streamsMu.Lock()
	if c.streams == nil {
		c.streams = map[*stream]struct{}{}
	}
	c.streams[st] = struct{}{}
	c.nstreams.Add(1)
	c.streamsMu.Unlock()
	return func() {
		c.streamsMu.Lock()
		if _, ok := c.streams[st]; ok {
			delete(c.streams, st)
			c.nstreams.Add(-1)
		}
		c.streamsMu.Unlock()
	}
}

// takeStreams removes and returns the session's open streams. s.mu is held.
func (s *Session) takeStreams() []*stream {
	if len(s.streams) == 0 {
		return nil
	}
	st := s.streams
	s.streams = nil
	return st
}

func (s *Session) dropStream(st *stream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.streams {
		if x == st {
			s.streams = append(s.streams[:i], s.streams[i+1:]...)
			return
		}
	}
}

// spillStarved spills the pool's open streams when db has no free
// connection left: a statement or transaction that waited for one might
// wait for a loop that waits for it.
func (c *Client) spillStarved(db *sql.DB) {
	if c.nstreams.Load() == 0 {
		return
	}
	if st := db.Stats(); st.MaxOpenConnections == 0 || st.InUse < st.MaxOpenConnections {
		return
	}
	c.streamsMu.Lock()
	var all []*stream
	for st := range c.streams {
		all = append(all, st)
	}
	clear(c.streams)
	c.nstreams.Store(0)
	c.streamsMu.Unlock()
	spill(all)
}

// spillStreams spills the session's open streams: their transaction is
// about to end, and with it their result sets.
func (s *Session) spillStreams() {
	s.mu.Lock()
	streams := s.takeStreams()
	s.mu.Unlock()
	spill(streams)
}
