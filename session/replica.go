package session

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Read replicas.
//
// A client with Config.Replicas sends a statement to a replica when all of
// these hold:
//
//   - it is a query (Query or QueryRow, never Exec) whose text starts with
//     SELECT: INSERT ... RETURNING, WITH (which may modify data on
//     PostgreSQL) and anything else go to the primary;
//   - the context carries no session of the client: every statement of a
//     Transaction or of a session opened by Begin runs on the primary, in
//     its transaction;
//   - the context is not marked by Primary.
//
// Replicas take turns (round-robin). One whose statement fails because the
// server cannot be reached (see serverDown) is taken out and the statement
// runs again on the next replica, or on the primary when none is left, so
// that the caller does not see the failure; a warning says so once until a
// replica is back. A replica that is out is pinged again after
// ReplicaRetry, doubling after each failed ping up to ReplicaRetryMax; the
// ping runs in a goroutine of its own, started by the first read that finds
// the replica due, and Close waits for it. A read that fails for any other
// reason (a syntax error, a constraint, the caller's context) returns its
// error as the primary's would.
//
// A replica that answers but refuses queries because it is not ready (a
// Galera node outside the Primary component: error 1047; a PostgreSQL
// server starting up: 57P03) is taken out the same way, and its health
// check runs a query, not only a ping.
//
// Replication lag is not hidden: a read on a replica may miss what the
// primary committed a moment ago. Use Primary for read-your-writes.
// Config.MaxReplicaLag bounds how far behind a replica may be and still
// take reads; the lag is measured in the background (replica_lag.go).

const (
	primaryServer        = "primary"
	defaultReplicaRetry  = time.Second
	defaultReplicaMax    = 30 * time.Second
	replicaProbeTimeout  = 5 * time.Second
	replicaServerPrefix  = "replica:"
	replicasConfigKey    = "SQL_DATABASE_REPLICAS"
	replicaRetryKeys     = "SQL_REPLICA_RETRY/SQL_REPLICA_RETRY_MAX"
	replicaWarnAllDown   = "sqlservice: no healthy replica: reads go to the primary"
	replicaWarnDown      = "sqlservice: replica does not answer: its reads go elsewhere"
	replicaInfoRecovered = "sqlservice: replica answers again"
)

// replica is one read replica: its pool, its prepared statements and its
// health.
type replica struct {
	name   string // "replica:1", the server attribute of echo logs and QueryEvent
	masked string // its URI with the password masked
	addr   string // its host:port, for QueryEvent.Addr
	db     *sql.DB

	stmts *stmtCache // the statements prepared on db, bounded as the primary's

	healthy atomic.Bool
	lagging atomic.Bool  // its measured lag exceeds MaxReplicaLag (replica_lag.go)
	lag     atomic.Int64 // the last measured lag in nanoseconds; -1 when unknown
	probing atomic.Bool  // a health check is running
	retryAt atomic.Int64 // UnixNano of the next health check while out

	mu      sync.Mutex // guards the transitions and the fields below
	backoff time.Duration
	lastErr error
}

// replicaSet is a client's replicas.
type replicaSet struct {
	list          []*replica
	next          atomic.Uint32
	warned        atomic.Bool // the all-down warning was logged
	retry, maxRet time.Duration
	now           func() time.Time // the clock of the back-off; tests set it
	maxLag        time.Duration    // Config.MaxReplicaLag; zero: lag is not measured

	mu     sync.Mutex // guards closed against probes starting
	closed bool
	stop   context.Context // cancelled by Close: ends running probes
	cancel context.CancelFunc
	probes sync.WaitGroup
	lagger sync.WaitGroup // the lag measuring goroutine (replica_lag.go)
}

// openReplicas opens a pool per replica URI of c's configuration.
func openReplicas(c *Client) (*replicaSet, error) {
	cfg := c.cfg
	if cfg.ReplicaRetry < 0 || cfg.ReplicaRetryMax < 0 {
		return nil, &ConfigError{Key: replicaRetryKeys, Reason: "must not be negative"}
	}
	if cfg.MaxReplicaLag < 0 {
		return nil, &ConfigError{Key: maxReplicaLagKey, Reason: "must not be negative"}
	}
	rs := &replicaSet{retry: cfg.ReplicaRetry, maxRet: cfg.ReplicaRetryMax, now: time.Now}
	if rs.retry == 0 {
		rs.retry = defaultReplicaRetry
	}
	if rs.maxRet == 0 {
		rs.maxRet = defaultReplicaMax
	}
	rs.maxRet = max(rs.maxRet, rs.retry)
	for i, uri := range cfg.Replicas {
		t, err := parseURI(uri, cfg.Encoding)
		if err == nil && t.dialect != c.dialect {
			err = &ConfigError{Key: replicasConfigKey, Reason: fmt.Sprintf("%s is a %s database but DatabaseURI is %s",
				t.masked, t.dialect.Name(), c.dialect.Name())}
		}
		if err == nil && t.memory {
			err = &ConfigError{Key: replicasConfigKey, Reason: "an in-memory SQLite database cannot be a replica"}
		}
		var db *sql.DB
		if err == nil {
			if db, err = t.db.open(t); err != nil {
				err = &URIError{URI: t.masked, Reason: err.Error()}
			}
		}
		if err != nil {
			rs.closeAll()
			return nil, fmt.Errorf("session: replica %d: %w", i+1, err)
		}
		replicaPool(db, cfg)
		r := &replica{name: replicaServerPrefix + strconv.Itoa(i+1), masked: t.masked, db: db,
			stmts: newStmtCache(cfg.StatementCacheSize), addr: serverAddr(t.masked)}
		r.stmts.observe(c, r.name, r.addr)
		r.healthy.Store(true)
		r.lag.Store(-1)
		rs.list = append(rs.list, r)
	}
	rs.stop, rs.cancel = context.WithCancel(context.Background())
	if cfg.MaxReplicaLag > 0 {
		rs.maxLag = cfg.MaxReplicaLag
		rs.lagger.Go(func() { rs.watchLag(c) })
	}
	return rs, nil
}

// replicaPool applies the pool settings of cfg to a replica's pool, as
// configurePool does to the primary's.
func replicaPool(db *sql.DB, cfg Config) {
	if cfg.PoolSize > 0 {
		db.SetMaxIdleConns(cfg.PoolSize)
		if cfg.MaxOverflow >= 0 {
			db.SetMaxOpenConns(cfg.PoolSize + cfg.MaxOverflow)
		}
	}
	if cfg.PoolRecycle > 0 {
		db.SetConnMaxLifetime(cfg.PoolRecycle)
	}
}

// close stops the health checks, waits for those running, and closes the
// replicas' statements and pools.
func (rs *replicaSet) close() error {
	rs.mu.Lock()
	rs.closed = true
	rs.mu.Unlock()
	rs.cancel()
	rs.lagger.Wait()
	rs.probes.Wait()
	return rs.closeAll()
}

func (rs *replicaSet) closeAll() error {
	var errs []error
	for _, r := range rs.list {
		errs = append(errs, r.stmts.close())
		errs = append(errs, r.db.Close())
	}
	return errors.Join(errs...)
}

type primaryKey struct{}

// Primary returns a copy of ctx whose reads run on the primary even when
// the client has replicas: read what was just written (read-your-writes),
// or run a SELECT that writes (a function with side effects, setval,
// SELECT ... FOR UPDATE). Statements in a Transaction run on the primary
// without it.
func Primary(ctx context.Context) context.Context {
	if ctx.Value(primaryKey{}) != nil {
		return ctx
	}
	return context.WithValue(ctx, primaryKey{}, true)
}

// onReplica reports whether a query of ctx may run on a replica.
func (c *Client) onReplica(ctx context.Context, query string) bool {
	return isSelect(query) && !c.closed.Load() && ctx.Value(primaryKey{}) == nil && sessionFor(ctx, c) == nil
}

// isSelect reports whether query starts with the keyword SELECT, after
// white space and opening parentheses.
func isSelect(query string) bool {
	i := 0
	for i < len(query) && (query[i] == ' ' || query[i] == '\t' || query[i] == '\n' || query[i] == '\r' || query[i] == '(') {
		i++
	}
	if len(query)-i < 6 || !strings.EqualFold(query[i:i+6], "select") {
		return false
	}
	if i+6 == len(query) {
		return true
	}
	ch := query[i+6]
	return !(ch == '_' || ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z')
}

// queryReplica runs a query on a replica when the routing rules allow it.
// It returns ok false when the query is the primary's: not a replica's by
// the rules, or no replica could run it. With evOut set it runs QueryRow
// and returns its row instead of rows, and the statement's event, unended
// when it returned no error, in *evOut (see run).
func (c *Client) queryReplica(ctx context.Context, cached bool, query string, args []any, evOut **QueryEvent) (rows *sql.Rows, row *sql.Row, ok bool, err error) {
	if !c.onReplica(ctx, query) {
		return nil, nil, false, nil
	}
	rs := c.replicas
	if args, err = c.bindArgs(args, false); err != nil {
		return nil, nil, true, err
	}
	for range rs.list { // each replica at most once
		r := rs.pick(c)
		if r == nil {
			break
		}
		c.spillStarved(r.db)
		for attempt := 0; ; attempt++ {
			rows, row, err = r.query(c, ctx, cached, query, args, evOut)
			// A connection the server closed while idle in the pool (a
			// restart): once more on a fresh one, as on the primary.
			if err == nil || attempt > 0 || !retrySafe(err, false, query) {
				break
			}
		}
		if err == nil || ctx.Err() != nil || !serverDown(err) {
			return rows, row, true, TranslateError(err)
		}
		rs.down(c, r, err)
	}
	return nil, nil, false, nil
}

// query runs one query on the replica, on its prepared statement when
// cached, as one statement for c's hooks (evOut: see queryReplica).
func (r *replica) query(c *Client, ctx context.Context, cached bool, query string, args []any, evOut **QueryEvent) (*sql.Rows, *sql.Row, error) {
	var st *cachedStmt
	var err error
	if cached && r.stmts.enabled() {
		st, err = r.stmts.prepare(context.WithoutCancel(ctx), r.db, query)
		defer st.release() // the rows keep what they still need
	}
	var ev *QueryEvent
	if c.hooks != nil {
		ctx, ev = c.before(ctx, OpQuery, r.name, r.addr, r.db, query, len(args))
	}
	if err != nil { // the query fails with its prepare, as on the primary
		c.after(ev, err)
		return nil, nil, err
	}
	if evOut != nil {
		var row *sql.Row
		if st != nil {
			row = st.st.QueryRowContext(ctx, args...)
		} else {
			row = r.db.QueryRowContext(ctx, query, args...)
		}
		err := row.Err()
		if ev != nil && err == nil {
			*evOut = ev
		} else {
			c.after(ev, err)
		}
		return nil, row, err
	}
	var rows *sql.Rows
	if st != nil {
		rows, err = st.st.QueryContext(ctx, args...)
	} else {
		rows, err = r.db.QueryContext(ctx, query, args...)
	}
	c.after(ev, err)
	return rows, nil, err
}

// pick returns the next healthy replica in turn, or nil when none is
// healthy. A replica that is out and due for its health check gets one.
func (rs *replicaSet) pick(c *Client) *replica {
	n := uint32(len(rs.list))
	i := rs.next.Add(1)
	for k := range n {
		r := rs.list[(i+k)%n]
		if r.healthy.Load() {
			if !r.lagging.Load() {
				return r
			}
			continue
		}
		if rs.now().UnixNano() >= r.retryAt.Load() {
			rs.probe(c, r)
		}
	}
	if rs.warned.CompareAndSwap(false, true) {
		c.log.LogAttrs(context.Background(), slog.LevelWarn, replicaWarnAllDown, slog.Int("replicas", len(rs.list)))
	}
	return nil
}

// down takes r out after err showed that its server does not answer.
func (rs *replicaSet) down(c *Client, r *replica, err error) {
	r.mu.Lock()
	if !r.healthy.Load() {
		r.mu.Unlock()
		return
	}
	r.backoff = rs.retry
	r.lastErr = err
	// retryAt before healthy: a reader that sees the replica out sees when
	// it is due.
	r.retryAt.Store(rs.now().Add(r.backoff).UnixNano())
	r.healthy.Store(false)
	r.mu.Unlock()
	c.log.LogAttrs(context.Background(), slog.LevelWarn, replicaWarnDown,
		slog.String("server", r.name), slog.String("uri", r.masked),
		slog.String("error", err.Error()), slog.Duration("retry_in", rs.retry))
}

// probe starts r's health check unless one is running or the client is
// closing.
func (rs *replicaSet) probe(c *Client, r *replica) {
	if !r.probing.CompareAndSwap(false, true) {
		return
	}
	rs.mu.Lock()
	if rs.closed {
		rs.mu.Unlock()
		r.probing.Store(false)
		return
	}
	rs.probes.Add(1)
	rs.mu.Unlock()
	go func() {
		defer rs.probes.Done()
		defer r.probing.Store(false)
		rs.check(rs.stop, c, r)
	}()
}

// check pings r and records the result. A ping cut short by ctx or by
// Close says nothing about the replica and changes nothing.
func (rs *replicaSet) check(ctx context.Context, c *Client, r *replica) error {
	pctx, cancel := context.WithTimeout(ctx, replicaProbeTimeout)
	err := r.ready(pctx, c.database)
	cancel()
	if err != nil && (ctx.Err() != nil || rs.stop.Err() != nil) {
		return fmt.Errorf("session: ping %s (%s): %w", r.name, r.masked, err)
	}
	r.mu.Lock()
	if err == nil {
		wasOut := !r.healthy.Load()
		r.backoff, r.lastErr = 0, nil
		r.healthy.Store(true)
		r.mu.Unlock()
		rs.warned.Store(false)
		if wasOut {
			c.log.LogAttrs(context.Background(), slog.LevelInfo, replicaInfoRecovered,
				slog.String("server", r.name), slog.String("uri", r.masked))
		}
		return nil
	}
	err = fmt.Errorf("session: ping %s (%s): %w", r.name, r.masked, err)
	if r.healthy.Load() {
		r.mu.Unlock()
		rs.down(c, r, err)
		return err
	}
	r.backoff = min(2*r.backoff, rs.maxRet)
	r.lastErr = err
	r.retryAt.Store(rs.now().Add(r.backoff).UnixNano())
	r.mu.Unlock()
	c.log.LogAttrs(context.Background(), slog.LevelDebug, "sqlservice: replica still does not answer",
		slog.String("server", r.name), slog.String("error", err.Error()), slog.Duration("retry_in", r.backoff))
	return err
}

// ready checks that the replica serves queries: a ping proves only that
// it answers, and a Galera node outside the Primary component answers
// pings but refuses every query (error 1047).
func (r *replica) ready(ctx context.Context, db Database) error {
	if err := ping(ctx, r.db); err != nil {
		return err
	}
	return db.ready(ctx, r.db)
}

// serverDown reports whether err says that the server could not be reached
// or went away, or that it does not serve queries yet, as
// opposed to refusing the statement: a failed dial, a connection reset or
// closed, a server shutting down, a node that is not ready.
func serverDown(err error) bool {
	if lostConn(err) {
		return true
	}
	c := classify(err)
	var ne net.Error
	return c.notReady || c.unreachable || errors.As(err, &ne)
}

// ReplicaStatus is the state of one read replica of a Client.
type ReplicaStatus struct {
	// Name is the replica's name in echo logs: "replica:1" for the first
	// of Config.Replicas.
	Name string
	// URI is the replica's URI with its password masked.
	URI string
	// DB is the replica's pool, for its statistics.
	DB *sql.DB
	// Healthy reports whether the replica answers and serves queries;
	// reads go to it when it is Healthy and not Lagging.
	Healthy bool
	// Lagging reports whether its last measured lag exceeded
	// Config.MaxReplicaLag, or could not be measured; always false without
	// MaxReplicaLag.
	Lagging bool
	// Lag is its last measured replication lag; -1 when it was not measured
	// (no MaxReplicaLag, not yet, or unknown: replication stopped).
	Lag time.Duration
	// Err is the failure that took the replica out, or of its last health
	// check, while it is out.
	Err error
	// RetryAt is when the replica is checked again, while it is out.
	RetryAt time.Time
}

// Replicas returns the state of the client's read replicas, in the order
// of Config.Replicas; nil when it has none.
func (c *Client) Replicas() []ReplicaStatus {
	if c.replicas == nil {
		return nil
	}
	out := make([]ReplicaStatus, len(c.replicas.list))
	for i, r := range c.replicas.list {
		r.mu.Lock()
		out[i] = ReplicaStatus{Name: r.name, URI: r.masked, DB: r.db, Healthy: r.healthy.Load(), Err: r.lastErr,
			Lagging: r.lagging.Load(), Lag: time.Duration(r.lag.Load())}
		if !out[i].Healthy {
			out[i].RetryAt = time.Unix(0, r.retryAt.Load())
		}
		r.mu.Unlock()
	}
	return out
}

// CheckReplicas checks every replica now, without waiting for its
// back-off: one that answers and serves queries takes reads again, one
// that does not is taken out; with MaxReplicaLag it measures their lag too. It
// returns the failures joined, each naming the replica with its URI masked;
// nil when every replica answers or there is none. Readiness checks and
// tools that know a replica is back use it.
func (c *Client) CheckReplicas(ctx context.Context) error {
	if c.closed.Load() {
		return ErrClosed
	}
	if c.replicas == nil {
		return nil
	}
	var errs []error
	for _, r := range c.replicas.list {
		errs = append(errs, c.replicas.check(ctx, c, r))
	}
	if c.replicas.maxLag > 0 {
		c.replicas.measureLag(ctx, c)
	}
	return errors.Join(errs...)
}

// maskURIs returns uris with their passwords masked, as a new slice.
func maskURIs(uris []string) []string {
	if uris == nil {
		return nil
	}
	out := make([]string, len(uris))
	for i, u := range uris {
		out[i] = MaskURI(u)
	}
	return out
}

// asStrings accepts a list of strings or one comma-separated string.
func asStrings(v any) ([]string, error) {
	switch x := v.(type) {
	case []string:
		return append([]string(nil), x...), nil
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("want strings, got %T at index %d", e, i)
			}
			out[i] = s
		}
		return out, nil
	case string:
		var out []string
		for _, s := range strings.Split(x, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("want a list of strings or a comma-separated string, got %T", v)
}
