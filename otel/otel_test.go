package sqlserviceotel_test

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	sqlserviceotel "github.com/sqlservice/sqlservice/otel"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

type Gadget struct {
	record.Base[Gadget]
	ID   int64  `db:"id,pk,autoincrement"`
	Name string `db:"name,size=50,unique"`
}

func attrs(kvs []attribute.KeyValue) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m
}

// TestHookAndPool runs statements through the hook on every dialect and
// reads the spans from the SDK's in-memory exporter and the metrics from a
// manual reader.
func TestHookAndPool(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	hook, err := sqlserviceotel.NewHook(sqlserviceotel.WithTracerProvider(tp), sqlserviceotel.WithMeterProvider(mp))
	require.NoError(t, err)

	opts := dbtest.Options{Models: []any{Gadget{}}, Config: session.Config{Hooks: []session.QueryHook{hook}}}
	dbtest.Each(t, opts, func(t *testing.T, db *dbtest.DB) {
		system := map[string]string{"sqlite": "sqlite", "mysql": "mysql", "postgres": "postgresql"}[db.Dialect]
		var host string
		var port int64
		if db.Dialect != "sqlite" {
			u, err := url.Parse(db.URI)
			require.NoError(t, err)
			host = u.Hostname()
			port, err = strconv.ParseInt(u.Port(), 10, 64)
			require.NoError(t, err)
		}
		ctx := db.Ctx()

		t.Run("a span per statement with the db attributes", func(t *testing.T) {
			spans.Reset()
			parent, root := tp.Tracer("test").Start(ctx, "work")
			require.NoError(t, db.Transaction(parent, func(ctx context.Context) error {
				return (&Gadget{Name: "g1"}).Save(ctx)
			}))
			root.End()
			got := spans.GetSpans()
			var names []string
			for _, s := range got {
				names = append(names, s.Name)
			}
			require.Contains(t, names, "BEGIN")
			require.Contains(t, names, "INSERT")
			require.Contains(t, names, "COMMIT")
			for _, s := range got {
				if s.Name == "work" {
					continue
				}
				a := attrs(s.Attributes)
				assert.Equal(t, trace.SpanKindClient, s.SpanKind)
				assert.Equal(t, root.SpanContext().TraceID(), s.SpanContext.TraceID(), "statements nest under the caller's span")
				assert.Equal(t, system, a["db.system.name"].AsString())
				assert.Equal(t, s.Name, a["db.operation.name"].AsString())
				assert.NotEmpty(t, a["db.query.text"].AsString())
				assert.Equal(t, "primary", a["sqlservice.server"].AsString())
				if host != "" {
					assert.Equal(t, host, a["server.address"].AsString())
					assert.Equal(t, port, a["server.port"].AsInt64())
				} else {
					assert.NotContains(t, a, attribute.Key("server.address"))
				}
				assert.Equal(t, codes.Unset, s.Status.Code)
			}
		})

		t.Run("a failed statement has an error status", func(t *testing.T) {
			spans.Reset()
			err := (&Gadget{Name: "g1"}).Save(ctx)
			require.ErrorIs(t, err, session.ErrDuplicateKey)
			var failed []tracetest.SpanStub
			for _, s := range spans.GetSpans() {
				if s.Status.Code == codes.Error {
					failed = append(failed, s)
				}
			}
			require.Len(t, failed, 1)
			assert.Equal(t, "INSERT", failed[0].Name)
			assert.Contains(t, failed[0].Status.Description, "duplicate key")
			assert.Equal(t, "*session.ConstraintError", attrs(failed[0].Attributes)["error.type"].AsString())

			spans.Reset()
			var id int64
			err = db.QueryRow(ctx, "SELECT id FROM gadget WHERE id = -1").Scan(&id)
			require.ErrorIs(t, err, sql.ErrNoRows)
			got := spans.GetSpans()
			require.Len(t, got, 1)
			assert.Equal(t, codes.Unset, got[0].Status.Code, "no row is an answer, not a failure")
		})

		t.Run("durations and pool metrics", func(t *testing.T) {
			reg, err := sqlserviceotel.ObservePool(db.Client, sqlserviceotel.WithMeterProvider(mp), sqlserviceotel.WithPoolName("test-"+db.Dialect))
			require.NoError(t, err)
			defer reg.Unregister()
			var n int
			require.NoError(t, db.QueryRow(ctx, "SELECT count(*) FROM gadget").Scan(&n))
			var rm metricdata.ResourceMetrics
			require.NoError(t, reader.Collect(context.Background(), &rm))
			found := map[string]metricdata.Metrics{}
			for _, sm := range rm.ScopeMetrics {
				for _, m := range sm.Metrics {
					found[m.Name] = m
				}
			}
			hist, ok := found["db.client.operation.duration"].Data.(metricdata.Histogram[float64])
			require.True(t, ok, "the duration histogram is recorded")
			var selects uint64
			for _, dp := range hist.DataPoints {
				sys, _ := dp.Attributes.Value("db.system.name")
				op, _ := dp.Attributes.Value("db.operation.name")
				if sys.AsString() == system && op.AsString() == "SELECT" {
					selects += dp.Count
				}
			}
			assert.Positive(t, selects)

			count, ok := found["db.client.connection.count"].Data.(metricdata.Sum[int64])
			require.True(t, ok, "the connection count is observed")
			st := db.DB().Stats()
			var total int64
			states := map[string]bool{}
			for _, dp := range count.DataPoints {
				pool, _ := dp.Attributes.Value("db.client.connection.pool.name")
				if pool.AsString() != "test-"+db.Dialect {
					continue
				}
				state, _ := dp.Attributes.Value("db.client.connection.state")
				states[state.AsString()] = true
				total += dp.Value
			}
			assert.Equal(t, map[string]bool{"idle": true, "used": true}, states)
			assert.EqualValues(t, st.OpenConnections, total, "idle plus used is what the pool holds open")
			assert.Positive(t, total)
			for _, name := range []string{"sqlservice.pool.wait.count", "sqlservice.pool.wait.duration", "sqlservice.pool.closed"} {
				assert.Contains(t, found, name)
			}
		})
	})
}

// TestNewHookWithGlobalProviders checks that the global providers
// (no-ops unless set) serve: a client with the hook works without any
// OpenTelemetry setup.
func TestNewHookWithGlobalProviders(t *testing.T) {
	hook, err := sqlserviceotel.NewHook()
	require.NoError(t, err)
	db, err := session.Open(session.Config{DatabaseURI: "sqlite://:memory:", Hooks: []session.QueryHook{hook}})
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec(context.Background(), "SELEC 1")
	require.Error(t, err)
	require.False(t, errors.Is(err, sql.ErrNoRows))
	reg, err := sqlserviceotel.ObservePool(db)
	require.NoError(t, err)
	require.NoError(t, reg.Unregister())
}
