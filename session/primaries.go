package session

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
)

// Several write endpoints (Config.Primaries).
//
// The client keeps one pool; its connector opens each new connection to
// the endpoint that last worked and, when that one cannot be reached, to
// the next in the order DatabaseURI, Primaries[0], Primaries[1], ...,
// round the list once. Only the opening of a connection moves on: no
// statement has been sent on a connection that is being opened. A pooled
// connection found dead before a statement is written is discarded by the
// drivers with driver.ErrBadConn, on which database/sql (and retrySafe,
// through notSent) takes another connection, which the connector opens on
// a server that answers. A statement whose connection dies after it was
// sent is never re-sent, here or elsewhere: retry.go's rules apply
// unchanged.
//
// A server that accepts connections but serves no statement (a Galera node
// outside the Primary component: error 1047) counts as one that cannot be
// reached: the connector asks each connection it opens (readyConn) and
// moves on when the answer is no. Its refusal ran nothing, so a statement
// on the pool refused by it runs once more (refusedByPrimary), after the
// pool's idle connections, which may lead to it too, are dropped; so does
// a BEGIN. A transaction refused after its BEGIN fails with ErrRetryable:
// Retry runs it again on a connection to a ready endpoint.
//
// The connector stays on the endpoint that answered: a multi-primary
// cluster such as Galera certifies concurrent writes to different nodes
// against each other, and writes from one client to one node conflict
// less. It moves back to an earlier endpoint only when the current one
// fails in turn.

const (
	primariesConfigKey = "SQL_DATABASE_PRIMARIES"
	primaryWarnMoved   = "sqlservice: primary endpoint cannot be reached: new connections go to the next"
)

// endpoints is a driver.Connector over the primary's endpoints.
type endpoints struct {
	list  []driver.Connector
	names []string // the endpoints' URIs, passwords masked
	cur   atomic.Int32
	log   *slog.Logger
	ready func(context.Context, driver.Conn) error // Database.readyConn
}

// openPrimaries opens the client's pool over t (DatabaseURI) and the URIs
// of cfg.Primaries.
func openPrimaries(t *target, cfg Config) (*sql.DB, error) {
	e := &endpoints{log: cfg.Logger, ready: t.db.readyConn}
	if e.log == nil {
		e.log = slog.Default()
	}
	for i, uri := range append([]string{cfg.DatabaseURI}, cfg.Primaries...) {
		pt := t
		var err error
		if i > 0 {
			if pt, err = parseURI(uri, cfg.Encoding); err != nil {
				return nil, fmt.Errorf("session: primary %d: %w", i, err)
			}
		}
		if pt.dialect != t.dialect {
			return nil, &ConfigError{Key: primariesConfigKey, Reason: fmt.Sprintf("%s is a %s database but DatabaseURI is %s",
				pt.masked, pt.dialect.Name(), t.dialect.Name())}
		}
		cn, err := pt.db.connector(pt)
		if err != nil {
			return nil, err
		}
		e.list = append(e.list, cn)
		e.names = append(e.names, pt.masked)
	}
	return sql.OpenDB(e), nil
}

// Connect opens a connection to the current endpoint or, when it cannot
// be reached, to the next one that can.
func (e *endpoints) Connect(ctx context.Context) (driver.Conn, error) {
	n := len(e.list)
	first := int(e.cur.Load())
	var errs []error
	for k := range n {
		i := (first + k) % n
		cn, err := e.list[i].Connect(ctx)
		if err == nil {
			if err = e.ready(ctx, cn); err != nil {
				cn.Close()
			}
		}
		if err == nil {
			if i != first && e.cur.CompareAndSwap(int32(first), int32(i)) {
				e.log.LogAttrs(context.Background(), slog.LevelWarn, primaryWarnMoved,
					slog.String("from", e.names[first]), slog.String("to", e.names[i]),
					slog.String("error", errors.Join(errs...).Error()))
			}
			return cn, nil
		}
		errs = append(errs, fmt.Errorf("endpoint %s (%s): %w", strconv.Itoa(i+1), e.names[i], err))
		if ctx.Err() != nil || !serverDown(err) {
			break // a refusal (a wrong password) is the same everywhere
		}
	}
	return nil, errors.Join(errs...)
}

// refusedByPrimary reports whether err is the refusal of a primary that is
// not ready (it ran nothing) on a client of several primaries; it then
// drops the pool's idle connections, so that the next statement runs on a
// connection the connector opens to a ready endpoint.
func (c *Client) refusedByPrimary(err error) bool {
	if len(c.cfg.Primaries) == 0 || !classify(err).notReady {
		return false
	}
	idle := c.cfg.PoolSize
	if idle <= 0 {
		idle = 2 // database/sql's default
	}
	c.db.SetMaxIdleConns(0) // closes them
	c.db.SetMaxIdleConns(idle)
	return true
}

// Driver returns the driver of the endpoints.
func (e *endpoints) Driver() driver.Driver { return e.list[0].Driver() }
