// Package sqlserviceotel traces and measures the statements of a
// sqlservice client with OpenTelemetry: a span and a duration per
// statement through session.Config.Hooks, and the pool's statistics as
// observable instruments. It is a module of its own, so that the
// OpenTelemetry dependencies never reach the library's go.mod.
//
//	hook, err := sqlserviceotel.NewHook() // the global tracer and meter providers
//	db, err := session.Open(session.Config{DatabaseURI: uri, Hooks: []session.QueryHook{hook}})
//	reg, err := sqlserviceotel.ObservePool(db)
//	defer reg.Unregister()
//
// Names follow OpenTelemetry's semantic conventions for database clients:
// spans of kind client named after db.operation.name, with db.system.name,
// db.query.text (the statement with its placeholders: values are never
// recorded), db.operation.name, server.address and server.port, and on
// failure an Error status and error.type; the db.client.operation.duration
// histogram; and db.client.connection.count and db.client.connection.max
// for the pool. What database/sql counts and the conventions do not name
// is reported under sqlservice.pool.*.
package sqlserviceotel

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/sqlservice/sqlservice/session"
)

// ScopeName is the instrumentation scope of the tracer and meter.
const ScopeName = "github.com/sqlservice/sqlservice/otel"

// OperationKey is the attribute that carries the statement's
// session.Operation ("exec", "query", "prepare", "begin", "commit",
// "rollback", "savepoint").
const OperationKey = attribute.Key("sqlservice.operation")

// ServerKey is the attribute that names the server of the client that ran
// the statement: "primary" or "replica:N".
const ServerKey = attribute.Key("sqlservice.server")

// Option configures NewHook and ObservePool.
type Option func(*config)

type config struct {
	tp       trace.TracerProvider
	mp       metric.MeterProvider
	poolName string
}

// WithTracerProvider sets the provider of the tracer; the global one
// (otel.GetTracerProvider) by default.
func WithTracerProvider(tp trace.TracerProvider) Option { return func(c *config) { c.tp = tp } }

// WithMeterProvider sets the provider of the meter; the global one
// (otel.GetMeterProvider) by default.
func WithMeterProvider(mp metric.MeterProvider) Option { return func(c *config) { c.mp = mp } }

// WithPoolName sets db.client.connection.pool.name for ObservePool; the
// client's URI with its password masked by default.
func WithPoolName(name string) Option { return func(c *config) { c.poolName = name } }

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		o(&c)
	}
	if c.tp == nil {
		c.tp = otel.GetTracerProvider()
	}
	if c.mp == nil {
		c.mp = otel.GetMeterProvider()
	}
	return c
}

// Hook is a session.QueryHook that records a client span per statement
// and its duration in the db.client.operation.duration histogram. It is
// safe for concurrent use.
type Hook struct {
	tracer   trace.Tracer
	duration metric.Float64Histogram
}

var _ session.QueryHook = (*Hook)(nil)

// NewHook returns a Hook for session.Config.Hooks; an error when the
// meter refuses the histogram.
func NewHook(opts ...Option) (*Hook, error) {
	c := newConfig(opts)
	meter := c.mp.Meter(ScopeName)
	duration, err := meter.Float64Histogram("db.client.operation.duration",
		metric.WithUnit("s"), metric.WithDescription("Duration of database client operations."),
		metric.WithExplicitBucketBoundaries(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10))
	if err != nil {
		return nil, err
	}
	return &Hook{tracer: c.tp.Tracer(ScopeName), duration: duration}, nil
}

// BeforeQuery starts the statement's span and returns the context that
// carries it, so that what the driver does nests under it.
func (h *Hook) BeforeQuery(ctx context.Context, ev *session.QueryEvent) context.Context {
	op := operationName(ev)
	attrs := make([]attribute.KeyValue, 0, 8)
	attrs = append(attrs, systemName(ev.Dialect), semconv.DBOperationName(op), semconv.DBQueryText(ev.SQL),
		OperationKey.String(ev.Operation.String()), ServerKey.String(ev.Server))
	attrs = appendServer(attrs, ev.Addr)
	ctx, _ = h.tracer.Start(ctx, op, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	return ctx
}

// AfterQuery ends the span, with an Error status and error.type when the
// statement failed (sql.ErrNoRows is an answer, not a failure), and
// records the duration.
func (h *Hook) AfterQuery(ctx context.Context, ev *session.QueryEvent) {
	span := trace.SpanFromContext(ctx)
	attrs := make([]attribute.KeyValue, 0, 6)
	attrs = append(attrs, systemName(ev.Dialect), semconv.DBOperationName(operationName(ev)))
	attrs = appendServer(attrs, ev.Addr)
	if err := ev.Err; err != nil && !errors.Is(err, sql.ErrNoRows) {
		et := semconv.ErrorType(err)
		span.SetAttributes(et)
		span.SetStatus(codes.Error, err.Error())
		attrs = append(attrs, et)
	}
	span.End()
	h.duration.Record(ctx, ev.Duration.Seconds(), metric.WithAttributes(attrs...))
}

// operationName is db.operation.name: the statement's first keyword
// ("SELECT", "INSERT", "BEGIN", "SAVEPOINT", ...), or "PREPARE" for a
// prepare.
func operationName(ev *session.QueryEvent) string {
	if ev.Operation == session.OpPrepare {
		return "PREPARE"
	}
	q := strings.TrimLeft(ev.SQL, " \t\r\n(")
	end := 0
	for end < len(q) && (q[end] >= 'a' && q[end] <= 'z' || q[end] >= 'A' && q[end] <= 'Z') {
		end++
	}
	if end == 0 {
		return ev.Operation.String()
	}
	return strings.ToUpper(q[:end])
}

// systemName is db.system.name of a dialect. MySQL and MariaDB share the
// "mysql" dialect and are both reported as mysql.
func systemName(dialect string) attribute.KeyValue {
	switch dialect {
	case "postgres":
		return semconv.DBSystemNamePostgreSQL
	case "mysql":
		return semconv.DBSystemNameMySQL
	case "sqlite":
		return semconv.DBSystemNameSQLite
	}
	return semconv.DBSystemNameKey.String(dialect)
}

// appendServer appends server.address and server.port of addr, if any.
func appendServer(attrs []attribute.KeyValue, addr string) []attribute.KeyValue {
	if addr == "" {
		return attrs
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return append(attrs, semconv.ServerAddress(addr))
	}
	attrs = append(attrs, semconv.ServerAddress(host))
	if p, err := strconv.Atoi(port); err == nil {
		attrs = append(attrs, semconv.ServerPort(p))
	}
	return attrs
}
