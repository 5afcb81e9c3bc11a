package session

import (
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Config configures a Client. The zero value (plus DatabaseURI) is a usable
// configuration; each field's comment says which SQL_* key of OpenMap sets
// it and what it does.
type Config struct {
	// DatabaseURI (SQL_DATABASE_URI) selects the database; see Open. Empty
	// means "sqlite://", a private in-memory database, as in the original.
	DatabaseURI string

	// Echo (SQL_ECHO) logs every statement with its duration through Logger.
	Echo bool
	// EchoPool (SQL_ECHO_POOL) adds the pool's statistics (open, in use,
	// idle, waits) to each echoed statement and logs them at Close.
	EchoPool bool
	// Logger receives echo output; nil means slog.Default().
	Logger *slog.Logger
	// Hooks see every statement the client sends, before and after it
	// runs: its operation, SQL text, argument count, server, duration and
	// error (see QueryHook). Logging, tracing and metrics go here; Echo is
	// such a hook. No SQL_* key sets it. A client without hooks pays
	// nothing for them.
	Hooks []QueryHook

	// PoolSize (SQL_POOL_SIZE) is the number of idle connections kept open
	// (sql.DB.SetMaxIdleConns). Zero keeps database/sql's default. With
	// MaxOverflow it bounds the open connections. An in-memory SQLite
	// database always uses exactly one connection.
	PoolSize int
	// MaxOverflow (SQL_MAX_OVERFLOW) is how many connections may be opened
	// beyond PoolSize (sql.DB.SetMaxOpenConns(PoolSize+MaxOverflow)); a
	// negative value means no limit. Ignored when PoolSize is zero.
	MaxOverflow int
	// PoolTimeout (SQL_POOL_TIMEOUT) bounds how long Transaction waits to
	// begin (which includes waiting for a free connection) when the caller's
	// context has no earlier deadline. database/sql has no separate
	// checkout timeout; single statements wait as long as their context
	// allows.
	PoolTimeout time.Duration
	// PoolRecycle (SQL_POOL_RECYCLE) closes connections older than this
	// (sql.DB.SetConnMaxLifetime).
	PoolRecycle time.Duration
	// PoolPrePing (SQL_POOL_PRE_PING) pings the server when the client opens
	// and makes Ping retry once on a connection the server dropped.
	// database/sql already discards broken connections on checkout through
	// the drivers' connection validation.
	PoolPrePing bool

	// Autocommit (SQL_AUTOCOMMIT) is accepted for compatibility. In Go every
	// statement outside Client.Transaction commits on its own already, and
	// a write that needs several statements (hooks, cascades) always gets a
	// short transaction of its own so that it is never half-written.
	Autocommit bool
	// Autoflush (SQL_AUTOFLUSH, default true) is accepted for compatibility:
	// writes are sent to the database when Save is called, never queued, so
	// every query already sees them.
	Autoflush *bool
	// ExpireOnCommit (SQL_EXPIRE_ON_COMMIT, default true): when true, a
	// session's identity map is dropped at commit, so later loads read the
	// committed rows again.
	ExpireOnCommit *bool
	// IsolationLevel (SQL_ISOLATION_LEVEL) is the isolation level of every
	// transaction begun by Transaction: "READ UNCOMMITTED", "READ
	// COMMITTED", "REPEATABLE READ" or "SERIALIZABLE" (underscores accepted).
	IsolationLevel string
	// Encoding (SQL_ENCODING) is the connection character set: MySQL's
	// charset; SQLite and PostgreSQL (pgx) accept only UTF-8 and refuse
	// anything else at Open.
	Encoding string
	// ConvertUnicode (SQL_CONVERT_UNICODE) is accepted for compatibility:
	// Go strings hold UTF-8 bytes and the drivers return them unchanged.
	ConvertUnicode bool

	// Replicas (SQL_DATABASE_REPLICAS) are the URIs of read replicas of the
	// database, of the same dialect as DatabaseURI, each with a pool of its
	// own with the settings above. A query whose SQL starts with SELECT, run
	// outside any session (Transaction, Begin) and not under Primary, goes
	// to the next healthy replica in turn; everything else runs on the
	// primary. Such reads may be stale: replication lag is not hidden. A
	// replica that does not answer is left out (see ReplicaRetry) and its
	// reads run on another one, or on the primary. OpenMap accepts a list of
	// strings or one comma-separated string.
	Replicas []string
	// ReplicaRetry (SQL_REPLICA_RETRY) is how long a replica that stopped
	// answering is left out before it is checked again; each failed check
	// doubles it, up to ReplicaRetryMax. Zero means one second.
	ReplicaRetry time.Duration
	// ReplicaRetryMax (SQL_REPLICA_RETRY_MAX) bounds ReplicaRetry's
	// doubling. Zero means 30 seconds.
	ReplicaRetryMax time.Duration
	// MaxReplicaLag (SQL_MAX_REPLICA_LAG) keeps reads away from a replica
	// whose replication lag exceeds it (or cannot be measured: replication
	// stopped). The lag is measured in the background, by one goroutine per
	// client at an interval of half the bound (between 100ms and 1s), never
	// per query: MariaDB's Seconds_Behind_Master (whole seconds; the account
	// needs the SLAVE MONITOR privilege), a PostgreSQL standby's age of its
	// last replayed transaction while WAL waits to be replayed. Zero (the
	// default) does not measure.
	MaxReplicaLag time.Duration

	// Primaries (SQL_DATABASE_PRIMARIES) are further URIs of the primary,
	// of the same dialect as DatabaseURI: the other nodes of a
	// multi-primary cluster (MariaDB Galera) or standby addresses. The
	// client's pool opens its connections to DatabaseURI and, when that
	// server cannot be reached (the connection is refused, reset or times
	// out while it is being opened, before any statement was sent), to the
	// next one in turn, and stays with the first that answers. A Galera
	// node that accepts connections but serves no statement (outside the
	// Primary component: error 1047) counts as not answering; a statement
	// or BEGIN it refused runs once more on another node (it ran nothing),
	// and a transaction it refused later is ErrRetryable. A statement
	// whose connection is lost after it was sent is never sent elsewhere:
	// its outcome is unknown (ErrCommitUnknown). OpenMap accepts a list of
	// strings or one comma-separated string.
	Primaries []string

	// StatementCacheSize (SQL_STATEMENT_CACHE_SIZE) bounds the prepared
	// statements the client keeps per pool (the primary's and each
	// replica's): the fixed statements of the models, one UPDATE per set of
	// changed columns, one SELECT per query shape. Beyond it the least
	// recently used statement is closed, on the server too. Each statement
	// is prepared on every connection it runs on, so a server holds up to
	// StatementCacheSize × open connections of the client's statements;
	// MySQL and MariaDB limit prepared statements server-wide
	// (max_prepared_stmt_count, 16,382 by default). Zero means
	// DefaultStatementCacheSize (256); a negative value prepares nothing and
	// runs every statement as plain text.
	StatementCacheSize int
}

// configKeys lists every key OpenMap accepts with its setter.
var configKeys = map[string]func(c *Config, v any) error{
	"SQL_DATABASE_URI":     func(c *Config, v any) (err error) { c.DatabaseURI, err = asString(v); return },
	"SQL_ECHO":             func(c *Config, v any) (err error) { c.Echo, err = asBool(v); return },
	"SQL_ECHO_POOL":        func(c *Config, v any) (err error) { c.EchoPool, err = asBool(v); return },
	"SQL_POOL_SIZE":        func(c *Config, v any) (err error) { c.PoolSize, err = asInt(v, 0); return },
	"SQL_MAX_OVERFLOW":     func(c *Config, v any) (err error) { c.MaxOverflow, err = asInt(v, math.MinInt); return },
	"SQL_POOL_TIMEOUT":     func(c *Config, v any) (err error) { c.PoolTimeout, err = asDuration(v); return },
	"SQL_POOL_RECYCLE":     func(c *Config, v any) (err error) { c.PoolRecycle, err = asDuration(v); return },
	"SQL_POOL_PRE_PING":    func(c *Config, v any) (err error) { c.PoolPrePing, err = asBool(v); return },
	"SQL_AUTOCOMMIT":       func(c *Config, v any) (err error) { c.Autocommit, err = asBool(v); return },
	"SQL_AUTOFLUSH":        func(c *Config, v any) error { b, err := asBool(v); c.Autoflush = &b; return err },
	"SQL_EXPIRE_ON_COMMIT": func(c *Config, v any) error { b, err := asBool(v); c.ExpireOnCommit = &b; return err },
	"SQL_ISOLATION_LEVEL":  func(c *Config, v any) (err error) { c.IsolationLevel, err = asString(v); return },
	"SQL_ENCODING":         func(c *Config, v any) (err error) { c.Encoding, err = asString(v); return },
	"SQL_CONVERT_UNICODE":  func(c *Config, v any) (err error) { c.ConvertUnicode, err = asBool(v); return },

	"SQL_DATABASE_REPLICAS":  func(c *Config, v any) (err error) { c.Replicas, err = asStrings(v); return },
	"SQL_REPLICA_RETRY":      func(c *Config, v any) (err error) { c.ReplicaRetry, err = asDuration(v); return },
	"SQL_REPLICA_RETRY_MAX":  func(c *Config, v any) (err error) { c.ReplicaRetryMax, err = asDuration(v); return },
	"SQL_MAX_REPLICA_LAG":    func(c *Config, v any) (err error) { c.MaxReplicaLag, err = asDuration(v); return },
	"SQL_DATABASE_PRIMARIES": func(c *Config, v any) (err error) { c.Primaries, err = asStrings(v); return },

	"SQL_STATEMENT_CACHE_SIZE": func(c *Config, v any) (err error) { c.StatementCacheSize, err = asInt(v, math.MinInt); return },
}

// ConfigFromMap builds a Config from the original's SQL_* keys. A nil value
// means "not set", as in the original. An unknown key or a value of the
// wrong type is a *ConfigError; the original silently ignored both.
func ConfigFromMap(m map[string]any) (Config, error) {
	var c Config
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		set, ok := configKeys[k]
		if !ok {
			known := make([]string, 0, len(configKeys))
			for name := range configKeys {
				known = append(known, name)
			}
			sort.Strings(known)
			return Config{}, &ConfigError{Key: k, Reason: "unknown key (known: " + strings.Join(known, ", ") + ")"}
		}
		if m[k] == nil {
			continue
		}
		if err := set(&c, m[k]); err != nil {
			return Config{}, &ConfigError{Key: k, Reason: err.Error()}
		}
	}
	return c, nil
}

// Map returns the configuration as SQL_* keys, with the database password
// masked; the inverse of ConfigFromMap for display.
func (c Config) Map() map[string]any {
	m := map[string]any{
		"SQL_DATABASE_URI":    MaskURI(c.DatabaseURI),
		"SQL_ECHO":            c.Echo,
		"SQL_ECHO_POOL":       c.EchoPool,
		"SQL_POOL_SIZE":       c.PoolSize,
		"SQL_MAX_OVERFLOW":    c.MaxOverflow,
		"SQL_POOL_TIMEOUT":    c.PoolTimeout,
		"SQL_POOL_RECYCLE":    c.PoolRecycle,
		"SQL_POOL_PRE_PING":   c.PoolPrePing,
		"SQL_AUTOCOMMIT":      c.Autocommit,
		"SQL_AUTOFLUSH":       c.Autoflush == nil || *c.Autoflush,
		"SQL_ISOLATION_LEVEL": c.IsolationLevel,
		"SQL_ENCODING":        c.Encoding,
		"SQL_CONVERT_UNICODE": c.ConvertUnicode,
	}
	m["SQL_EXPIRE_ON_COMMIT"] = c.ExpireOnCommit == nil || *c.ExpireOnCommit
	m["SQL_DATABASE_REPLICAS"] = maskURIs(c.Replicas)
	m["SQL_REPLICA_RETRY"] = c.ReplicaRetry
	m["SQL_REPLICA_RETRY_MAX"] = c.ReplicaRetryMax
	m["SQL_MAX_REPLICA_LAG"] = c.MaxReplicaLag
	m["SQL_DATABASE_PRIMARIES"] = maskURIs(c.Primaries)
	m["SQL_STATEMENT_CACHE_SIZE"] = c.StatementCacheSize
	return m
}

func isolation(level string) (sql.IsolationLevel, error) {
	switch strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(level), "_", " ")) {
	case "":
		return sql.LevelDefault, nil
	case "READ UNCOMMITTED":
		return sql.LevelReadUncommitted, nil
	case "READ COMMITTED":
		return sql.LevelReadCommitted, nil
	case "REPEATABLE READ":
		return sql.LevelRepeatableRead, nil
	case "SERIALIZABLE":
		return sql.LevelSerializable, nil
	case "AUTOCOMMIT":
		return 0, errors.New(`"AUTOCOMMIT" is not an isolation level here: statements outside Transaction already commit on their own`)
	}
	return 0, fmt.Errorf("unknown isolation level %q (want READ UNCOMMITTED, READ COMMITTED, REPEATABLE READ or SERIALIZABLE)", level)
}

func asString(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("want a string, got %T", v)
	}
	return s, nil
}

func asBool(v any) (bool, error) {
	switch b := v.(type) {
	case bool:
		return b, nil
	case string:
		return strconv.ParseBool(b)
	case int:
		if b == 0 || b == 1 {
			return b == 1, nil
		}
	}
	return false, fmt.Errorf("want a bool, got %T %v", v, v)
}

func asInt(v any, min int) (int, error) {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int32:
		n = int64(x)
	case int64:
		n = x
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<31 {
			return 0, fmt.Errorf("want an integer, got %v", x)
		}
		n = int64(x)
	case string:
		p, err := strconv.Atoi(x)
		if err != nil {
			return 0, fmt.Errorf("want an integer, got %q", x)
		}
		n = int64(p)
	default:
		return 0, fmt.Errorf("want an integer, got %T", v)
	}
	if n < int64(min) || n > math.MaxInt32 {
		return 0, fmt.Errorf("%d is out of range", n)
	}
	return int(n), nil
}

// asDuration accepts a time.Duration, a number of seconds (as the original
// does) or a duration string such as "1h".
func asDuration(v any) (time.Duration, error) {
	switch x := v.(type) {
	case time.Duration:
		return x, nil
	case string:
		if d, err := time.ParseDuration(x); err == nil {
			return d, nil
		}
		if f, err := strconv.ParseFloat(x, 64); err == nil && f >= 0 {
			return time.Duration(f * float64(time.Second)), nil
		}
		return 0, fmt.Errorf("want seconds or a duration, got %q", x)
	}
	n, err := asInt(v, 0)
	if err != nil {
		if f, ok := v.(float64); ok && f >= 0 && f < 1<<31 {
			return time.Duration(f * float64(time.Second)), nil
		}
		return 0, fmt.Errorf("want seconds or a duration: %v", err)
	}
	return time.Duration(n) * time.Second, nil
}
