package session_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

func TestReplicaConfig(t *testing.T) {
	dir := t.TempDir()
	primary := "sqlite:///" + filepath.Join(dir, "p.db")
	r1, r2 := "sqlite:///"+filepath.Join(dir, "r1.db"), "sqlite:///"+filepath.Join(dir, "r2.db")

	t.Run("OpenMap takes a comma-separated string or a list", func(t *testing.T) {
		for _, v := range []any{r1 + ", " + r2, []string{r1, r2}, []any{r1, r2}} {
			db, err := session.OpenMap(map[string]any{"SQL_DATABASE_URI": primary, "SQL_DATABASE_REPLICAS": v,
				"SQL_REPLICA_RETRY": "2s", "SQL_REPLICA_RETRY_MAX": 60})
			require.NoError(t, err)
			assert.Equal(t, []string{r1, r2}, db.Config().Replicas)
			assert.Equal(t, 2*time.Second, db.Config().ReplicaRetry)
			assert.Equal(t, time.Minute, db.Config().ReplicaRetryMax)
			st := db.Replicas()
			require.Len(t, st, 2)
			assert.Equal(t, "replica:1", st[0].Name)
			assert.Equal(t, r2, st[1].URI)
			assert.True(t, st[0].Healthy)
			assert.NotSame(t, db.DB(), st[0].DB, "a pool per server")
			require.NoError(t, db.Close())
		}
	})

	t.Run("passwords are masked wherever the replicas are shown", func(t *testing.T) {
		cfg := session.Config{DatabaseURI: "mysql://app:s3cret@db1/app", Replicas: []string{"mysql://app:s3cret@db2/app", "mysql://ro:t0p@db3/app"}}
		shown := fmt.Sprintf("%v %+v %#v %v", cfg, cfg, cfg, cfg.Map())
		assert.NotContains(t, shown, "s3cret")
		assert.NotContains(t, shown, "t0p")
		assert.Equal(t, []string{"mysql://app:***@db2/app", "mysql://ro:***@db3/app"}, cfg.Map()["SQL_DATABASE_REPLICAS"])
		assert.Equal(t, "mysql://app:s3cret@db2/app", cfg.Replicas[0], "the Config itself is unchanged")

		db, err := session.Open(session.Config{DatabaseURI: "mysql://app:s3cret@127.0.0.1:1/app", Replicas: cfg.Replicas})
		require.NoError(t, err)
		defer db.Close()
		assert.Equal(t, "mysql://app:***@db2/app", db.Replicas()[0].URI)
	})

	bad := map[string]struct {
		cfg  session.Config
		want error
	}{
		"another dialect":      {session.Config{DatabaseURI: primary, Replicas: []string{"mysql://u:s3cret@127.0.0.1:1/x"}}, session.ErrConfig},
		"in-memory replica":    {session.Config{DatabaseURI: primary, Replicas: []string{"sqlite://"}}, session.ErrConfig},
		"unparsable URI":       {session.Config{DatabaseURI: primary, Replicas: []string{"nope://u:s3cret@x"}}, session.ErrBadURI},
		"negative retry":       {session.Config{DatabaseURI: primary, Replicas: []string{r1}, ReplicaRetry: -time.Second}, session.ErrConfig},
		"negative retry bound": {session.Config{DatabaseURI: primary, Replicas: []string{r1}, ReplicaRetryMax: -time.Second}, session.ErrConfig},
	}
	for name, tc := range bad {
		t.Run("refused: "+name, func(t *testing.T) {
			_, err := session.Open(tc.cfg)
			require.ErrorIs(t, err, tc.want)
			assert.NotContains(t, err.Error(), "s3cret")
		})
	}
	_, err := session.OpenMap(map[string]any{"SQL_DATABASE_URI": primary, "SQL_DATABASE_REPLICAS": 5})
	assert.ErrorIs(t, err, session.ErrConfig)
}

// logRecord is one record a capture handler kept.
type logRecord struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

// capture is a slog handler that keeps every record.
type capture struct {
	mu   sync.Mutex
	recs []logRecord
}

func (c *capture) Enabled(context.Context, slog.Level) bool { return true }
func (c *capture) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *capture) WithGroup(string) slog.Handler            { return c }
func (c *capture) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{level: r.Level, msg: r.Message, attrs: map[string]string{}}
	r.Attrs(func(a slog.Attr) bool { rec.attrs[a.Key] = a.Value.String(); return true })
	c.mu.Lock()
	c.recs = append(c.recs, rec)
	c.mu.Unlock()
	return nil
}

func (c *capture) records() []logRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.recs)
}

// servers returns the server attribute of each echoed statement since the
// record at from, and the number of records now.
func (c *capture) servers(from int) ([]string, int) {
	recs := c.records()
	var out []string
	for _, r := range recs[from:] {
		if r.attrs["sql"] != "" {
			out = append(out, r.attrs["server"])
		}
	}
	return out, len(recs)
}

// count returns how many records have message msg.
func (c *capture) count(msg string) int {
	n := 0
	for _, r := range c.records() {
		if r.msg == msg {
			n++
		}
	}
	return n
}

// proxy forwards TCP connections to a database server; stopping it closes
// every connection and refuses new ones, as a dead server would, and
// starting it again listens on the same port.
type proxy struct {
	t      *testing.T
	target string
	addr   string

	mu    sync.Mutex
	l     net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func startProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, target: target, addr: "127.0.0.1:0", conns: map[net.Conn]struct{}{}}
	p.start()
	p.addr = p.l.Addr().String()
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) start() {
	l, err := net.Listen("tcp", p.addr)
	require.NoError(p.t, err)
	p.mu.Lock()
	p.l = l
	p.mu.Unlock()
	p.wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns[c], p.conns[s] = struct{}{}, struct{}{}
			p.mu.Unlock()
			pipe := func(dst, src net.Conn) {
				io.Copy(dst, src)
				dst.Close()
				src.Close()
			}
			p.wg.Go(func() { pipe(s, c) })
			p.wg.Go(func() { pipe(c, s) })
		}
	})
}

func (p *proxy) stop() {
	p.mu.Lock()
	if p.l != nil {
		p.l.Close()
		p.l = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// through returns uri with its host replaced by the proxy's address.
func (p *proxy) through(t *testing.T, uri string) string {
	u, err := url.Parse(uri)
	require.NoError(t, err)
	u.Host = p.addr
	return u.String()
}

// clock is a settable clock for the replica back-off.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// TestReplicaFallbackAndRecovery puts a replica behind a TCP proxy and
// stops it: reads go on, on the primary, with one warning; the replica is
// checked again after a back-off that doubles up to its bound, and takes
// reads again once it answers. The "replica" is a second database of the
// same server with rows of its own, so that each read shows where it ran.
func TestReplicaFallbackAndRecovery(t *testing.T) {
	for _, d := range []string{"mysql", "postgres"} {
		t.Run("server="+d, func(t *testing.T) {
			primaryURI, replicaURI := dbtest.URI(t, d), dbtest.URI(t, d)
			for uri, email := range map[string]string{primaryURI: "primary@x", replicaURI: "replica@x"} {
				direct, err := session.Open(session.Config{DatabaseURI: uri})
				require.NoError(t, err)
				ctx := direct.Context(context.Background())
				require.NoError(t, direct.CreateAll(ctx, Account{}))
				require.NoError(t, (&Account{Email: email}).Save(ctx))
				require.NoError(t, direct.Close())
			}
			u, err := url.Parse(replicaURI)
			require.NoError(t, err)
			px := startProxy(t, u.Host)

			logs := &capture{}
			db, err := session.Open(session.Config{DatabaseURI: primaryURI, Replicas: []string{px.through(t, replicaURI)},
				Echo: true, Logger: slog.New(logs), ReplicaRetry: time.Second, ReplicaRetryMax: 4 * time.Second})
			require.NoError(t, err)
			defer db.Close()
			clk := newClock()
			session.SetReplicaClock(db, clk.now)
			ctx := db.Context(context.Background())
			read := func() string {
				t.Helper()
				all, err := record.Query[Account](ctx).All()
				require.NoError(t, err, "the caller never sees the replica's failure")
				require.Len(t, all, 1)
				return all[0].Email
			}

			assert.Equal(t, "replica@x", read())
			px.stop()
			for range 3 {
				assert.Equal(t, "primary@x", read(), "reads fall back to the primary")
			}
			assert.Equal(t, 1, logs.count("sqlservice: replica does not answer: its reads go elsewhere"))
			assert.Equal(t, 1, logs.count("sqlservice: no healthy replica: reads go to the primary"), "warned once")
			st := db.Replicas()[0]
			assert.False(t, st.Healthy)
			assert.Error(t, st.Err)
			assert.Equal(t, clk.now().Add(time.Second), st.RetryAt)

			// Still dead: each failed check doubles the back-off, up to 4s.
			for _, backoff := range []time.Duration{2 * time.Second, 4 * time.Second, 4 * time.Second} {
				clk.advance(db.Replicas()[0].RetryAt.Sub(clk.now()))
				assert.Equal(t, "primary@x", read())
				session.WaitReplicaChecks(db)
				assert.Equal(t, clk.now().Add(backoff), db.Replicas()[0].RetryAt)
			}
			clk.advance(3 * time.Second)
			assert.Equal(t, "primary@x", read(), "not due yet: no check")
			session.WaitReplicaChecks(db)
			assert.Equal(t, clk.now().Add(time.Second), db.Replicas()[0].RetryAt)

			px.start()
			assert.Equal(t, "primary@x", read(), "out until its next check")
			clk.advance(time.Second)
			assert.Equal(t, "primary@x", read(), "this read starts the check")
			session.WaitReplicaChecks(db)
			assert.True(t, db.Replicas()[0].Healthy)
			assert.Equal(t, "replica@x", read(), "the replica is back")
			assert.Equal(t, 1, logs.count("sqlservice: replica answers again"))
			assert.Equal(t, 1, logs.count("sqlservice: no healthy replica: reads go to the primary"))

			for _, r := range logs.records() {
				assert.NotContains(t, fmt.Sprint(r.attrs), "s3cret")
			}
		})
	}
}

// TestReplicaEcho checks the server attribute of echoed statements and
// that a failed replica read is echoed with its error too.
func TestReplicaEcho(t *testing.T) {
	dir := t.TempDir()
	primary, replica := "sqlite:///"+filepath.Join(dir, "p.db"), "sqlite:///"+filepath.Join(dir, "r.db")
	for _, uri := range []string{primary, replica} {
		direct, err := session.Open(session.Config{DatabaseURI: uri})
		require.NoError(t, err)
		require.NoError(t, direct.CreateAll(context.Background(), Account{}))
		require.NoError(t, direct.Close())
	}
	logs := &capture{}
	db, err := session.Open(session.Config{DatabaseURI: primary, Replicas: []string{replica}, Echo: true, Logger: slog.New(logs)})
	require.NoError(t, err)
	defer db.Close()
	ctx := db.Context(context.Background())
	_, from := logs.servers(0)
	require.NoError(t, (&Account{Email: "a@x"}).Save(ctx))
	_, err = record.Get[Account](ctx, 1)
	require.ErrorIs(t, err, record.ErrNotFound, "not replicated: the replica has no row")
	_, err = record.Get[Account](session.Primary(ctx), 1)
	require.NoError(t, err)
	require.NoError(t, db.Transaction(ctx, func(ctx context.Context) error {
		_, err := record.Get[Account](ctx, 1)
		return err
	}))
	got, _ := logs.servers(from)
	assert.Equal(t, []string{"primary", "replica:1", "primary", "primary", "primary", "primary"}, got,
		"INSERT; Get on the replica; Get forced to the primary; BEGIN, Get, COMMIT in the transaction")
	var q []string
	for _, r := range logs.records()[from:] {
		q = append(q, strings.Fields(r.attrs["sql"])[0])
	}
	assert.Equal(t, []string{"INSERT", "SELECT", "SELECT", "BEGIN", "SELECT", "COMMIT"}, q)
}
