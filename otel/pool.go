package sqlserviceotel

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/sqlservice/sqlservice/session"
)

// ObservePool reports the statistics of c's connection pool (the
// primary's; database/sql's DBStats) each time the meter collects:
//
//   - db.client.connection.count {connection}, by db.client.connection.state
//     "idle" or "used";
//   - db.client.connection.max {connection}: the most connections the pool
//     opens (not reported when unbounded);
//   - sqlservice.pool.wait.count {wait} and sqlservice.pool.wait.duration
//     (s): how often and how long statements waited for a connection, in
//     total;
//   - sqlservice.pool.closed {connection}: connections the pool closed, by
//     sqlservice.pool.close.reason "max_idle", "max_idle_time" or
//     "max_lifetime".
//
// Each carries db.client.connection.pool.name (see WithPoolName). Call the
// registration's Unregister when the client is closed. It returns an error
// when the meter refuses an instrument.
func ObservePool(c *session.Client, opts ...Option) (metric.Registration, error) {
	cfg := newConfig(opts)
	name := cfg.poolName
	if name == "" {
		name = c.URI()
	}
	meter := cfg.mp.Meter(ScopeName)
	count, err := meter.Int64ObservableUpDownCounter("db.client.connection.count",
		metric.WithUnit("{connection}"), metric.WithDescription("The number of connections that are currently in state described by the state attribute."))
	if err != nil {
		return nil, err
	}
	maxConns, err := meter.Int64ObservableUpDownCounter("db.client.connection.max",
		metric.WithUnit("{connection}"), metric.WithDescription("The maximum number of open connections allowed."))
	if err != nil {
		return nil, err
	}
	waits, err := meter.Int64ObservableCounter("sqlservice.pool.wait.count",
		metric.WithUnit("{wait}"), metric.WithDescription("The number of times a statement waited for a free connection."))
	if err != nil {
		return nil, err
	}
	waited, err := meter.Float64ObservableCounter("sqlservice.pool.wait.duration",
		metric.WithUnit("s"), metric.WithDescription("The total time statements waited for a free connection."))
	if err != nil {
		return nil, err
	}
	closed, err := meter.Int64ObservableCounter("sqlservice.pool.closed",
		metric.WithUnit("{connection}"), metric.WithDescription("The number of connections the pool closed, by reason."))
	if err != nil {
		return nil, err
	}
	pool := semconv.DBClientConnectionPoolName(name)
	idle := metric.WithAttributeSet(attribute.NewSet(pool, semconv.DBClientConnectionStateIdle))
	used := metric.WithAttributeSet(attribute.NewSet(pool, semconv.DBClientConnectionStateUsed))
	only := metric.WithAttributeSet(attribute.NewSet(pool))
	reason := attribute.Key("sqlservice.pool.close.reason")
	byReason := func(r string) metric.ObserveOption {
		return metric.WithAttributeSet(attribute.NewSet(pool, reason.String(r)))
	}
	maxIdle, maxIdleTime, maxLifetime := byReason("max_idle"), byReason("max_idle_time"), byReason("max_lifetime")
	db := c.DB()
	return meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		st := db.Stats()
		o.ObserveInt64(count, int64(st.Idle), idle)
		o.ObserveInt64(count, int64(st.InUse), used)
		if st.MaxOpenConnections > 0 {
			o.ObserveInt64(maxConns, int64(st.MaxOpenConnections), only)
		}
		o.ObserveInt64(waits, st.WaitCount, only)
		o.ObserveFloat64(waited, st.WaitDuration.Seconds(), only)
		o.ObserveInt64(closed, st.MaxIdleClosed, maxIdle)
		o.ObserveInt64(closed, st.MaxIdleTimeClosed, maxIdleTime)
		o.ObserveInt64(closed, st.MaxLifetimeClosed, maxLifetime)
		return nil
	}, count, maxConns, waits, waited, closed)
}
