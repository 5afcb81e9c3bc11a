package session

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
	"unsafe"
)

// DefaultStatementCacheSize is the number of prepared statements a client
// keeps per pool when Config.StatementCacheSize is zero.
const DefaultStatementCacheSize = 256

// stmtCache holds the statements prepared on one pool, at most max of them:
// when a new one is prepared beyond that, the least recently used one is
// evicted and closed. Every statement is prepared on each connection it
// runs on, so the server holds at most max statements per connection of the
// pool for the cache.
//
// Hits take no lock: the index is an immutable map behind an atomic
// pointer, replaced whole (under mu) when a statement is added or dropped,
// which is rare by design (the texts come from a bounded set); a hit is one
// atomic load and one lookup in a map keyed by the SQL text, cheaper than a
// sync.Map's boxed keys, and like it free of contention between readers.
// The index is looked up first by the address of the text's bytes: the
// record package passes the same string (a builder's fixed statement, a
// cached shape) every time, so a hit compares one pointer instead of
// hashing and comparing the whole text; the entry's own string having the
// same address and length proves the texts equal.
// Recency is a counter stamped into the entry. A statement is closed only when nobody runs it: a caller
// holds a reference from acquire to release, and an evicted statement is
// closed by whoever drops the last reference. A statement bound to an open
// transaction (Tx.StmtContext) survives its eviction: database/sql keeps the
// parent's driver statement until the transaction's statement is closed with
// the transaction, and closes it on the connection when that is released.
type stmtCache struct {
	max   int
	index atomic.Pointer[stmtIndex] // nil: none
	clock atomic.Uint64

	mu      sync.Mutex // serialises prepares, evictions and close
	entries []*cachedStmt
	closed  bool

	// The client whose hooks see the prepares, and the server the pool
	// belongs to (see observe).
	c            *Client
	server, addr string
}

// observe makes c's hooks see the cache's prepares as statements of
// server (at addr).
func (sc *stmtCache) observe(c *Client, server, addr string) {
	sc.c, sc.server, sc.addr = c, server, addr
}

type cachedStmt struct {
	st      *sql.Stmt
	query   string
	used    atomic.Uint64 // stamp of the last acquire
	refs    atomic.Int32
	evicted atomic.Bool
	done    atomic.Bool // closed, or being closed
}

func newStmtCache(max int) *stmtCache {
	if max == 0 {
		max = DefaultStatementCacheSize
	}
	return &stmtCache{max: max}
}

// enabled reports whether statements are prepared and kept at all.
func (sc *stmtCache) enabled() bool { return sc.max > 0 }

// acquire returns the cached statement of query with a reference the caller
// must release, or nil when there is none.
func (sc *stmtCache) acquire(query string) *cachedStmt {
	e := sc.index.Load().find(query)
	if e == nil {
		return nil
	}
	e.refs.Add(1)
	if e.evicted.Load() {
		// Evicted between Load and Add: not ours to run any more.
		e.release()
		return nil
	}
	e.used.Store(sc.clock.Add(1))
	return e
}

// release drops a reference taken by acquire or prepare; the last one of an
// evicted statement closes it. A nil e is a no-op.
func (e *cachedStmt) release() {
	if e == nil {
		return
	}
	if e.refs.Add(-1) == 0 && e.evicted.Load() {
		e.close()
	}
}

func (e *cachedStmt) close() error {
	if !e.done.CompareAndSwap(false, true) {
		return nil
	}
	return e.st.Close()
}

// prepare returns the statement of query, preparing it on db with ctx when
// the cache has none, with a reference the caller must release. A prepared
// statement beyond the bound evicts the least recently used one.
func (sc *stmtCache) prepare(ctx context.Context, db *sql.DB, query string) (*cachedStmt, error) {
	if e := sc.acquire(query); e != nil {
		return e, nil
	}
	sc.mu.Lock()
	if e := sc.acquire(query); e != nil {
		sc.mu.Unlock()
		return e, nil
	}
	if sc.closed {
		sc.mu.Unlock()
		return nil, ErrClosed
	}
	var ev *QueryEvent
	if sc.c != nil && sc.c.hooks != nil {
		ctx, ev = sc.c.before(ctx, OpPrepare, sc.server, sc.addr, db, query, 0)
	}
	st, err := db.PrepareContext(ctx, query)
	if ev != nil {
		sc.c.after(ev, err)
	}
	if err != nil {
		sc.mu.Unlock()
		return nil, err
	}
	e := &cachedStmt{st: st, query: query}
	e.refs.Store(1)
	e.used.Store(sc.clock.Add(1))
	var victim *cachedStmt
	if len(sc.entries) >= sc.max {
		victim = sc.evictLocked()
	}
	sc.entries = append(sc.entries, e)
	sc.publishLocked()
	sc.mu.Unlock()
	if victim != nil && victim.refs.Load() == 0 {
		// Whoever still runs it closes it at release instead.
		victim.close()
	}
	return e, nil
}

// evictLocked removes the least recently used entry and marks it evicted.
func (sc *stmtCache) evictLocked() *cachedStmt {
	oldest := 0
	for i, e := range sc.entries {
		if e.used.Load() < sc.entries[oldest].used.Load() {
			oldest = i
		}
	}
	e := sc.entries[oldest]
	last := len(sc.entries) - 1
	sc.entries[oldest] = sc.entries[last]
	sc.entries[last] = nil
	sc.entries = sc.entries[:last]
	e.evicted.Store(true)
	return e
}

// publishLocked replaces the index with one of the current entries. sc.mu
// is held.
func (sc *stmtCache) publishLocked() {
	if len(sc.entries) == 0 {
		sc.index.Store(nil)
		return
	}
	idx := &stmtIndex{
		byText: make(map[string]*cachedStmt, len(sc.entries)),
		byAddr: make(map[*byte]*cachedStmt, len(sc.entries)),
	}
	for _, e := range sc.entries {
		idx.byText[e.query] = e
		if p := unsafe.StringData(e.query); p != nil {
			idx.byAddr[p] = e
		}
	}
	sc.index.Store(idx)
}

// stmtIndex finds a cached statement by its SQL text (see stmtCache).
type stmtIndex struct {
	byAddr map[*byte]*cachedStmt // by the address of the text's bytes
	byText map[string]*cachedStmt
}

func (idx *stmtIndex) find(query string) *cachedStmt {
	if idx == nil {
		return nil
	}
	if e := idx.byAddr[unsafe.StringData(query)]; e != nil && len(e.query) == len(query) {
		return e // the same bytes: the same text
	}
	return idx.byText[query]
}

// len returns the number of statements cached.
func (sc *stmtCache) len() int {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return len(sc.entries)
}

// contains reports whether query has a cached statement.
func (sc *stmtCache) contains(query string) bool {
	return sc.index.Load().find(query) != nil
}

// purge drops every cached statement, to be prepared again on next use:
// after a schema change, PostgreSQL refuses a statement prepared before it
// whose result columns changed type ("cached plan must not change result
// type"). Statements still running are closed when released.
func (sc *stmtCache) purge() {
	sc.mu.Lock()
	entries := sc.entries
	sc.entries = nil
	sc.publishLocked()
	sc.mu.Unlock()
	for _, e := range entries {
		e.evicted.Store(true)
		if e.refs.Load() == 0 {
			e.close()
		}
	}
}

// close closes every cached statement; later prepares return ErrClosed.
// Statements still running are closed by database/sql once their calls
// return.
func (sc *stmtCache) close() error {
	sc.mu.Lock()
	entries := sc.entries
	sc.entries = nil
	sc.closed = true
	sc.publishLocked()
	sc.mu.Unlock()
	var errs []error
	for _, e := range entries {
		e.evicted.Store(true)
		errs = append(errs, e.close())
	}
	return errors.Join(errs...)
}
