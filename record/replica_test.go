package record_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/internal/replicatest"
	"github.com/sqlservice/sqlservice/record"
	"github.com/sqlservice/sqlservice/session"
)

// RepAuthor has many RepPosts: the models of the replica tests.
type RepAuthor struct {
	record.Base[RepAuthor]
	ID    int64      `db:"id,pk,autoincrement"`
	Name  string     `db:"name,size=50"`
	Posts []*RepPost `rel:"cascade"`
}

type RepPost struct {
	record.Base[RepPost]
	ID          int64  `db:"id,pk,autoincrement"`
	RepAuthorID int64  `db:"rep_author_id,fk=rep_author.id"`
	Title       string `db:"title,size=50"`
}

// replicaReads are the record reads that run on a replica outside a
// transaction; each summarizes what it read.
var replicaReads = []struct {
	name string
	// first is the key of the first author fill saved: 1 on one server,
	// not on a Galera cluster, whose nodes hand out every third key.
	read func(ctx context.Context, first int64) (string, error)
}{
	{"Get", func(ctx context.Context, first int64) (string, error) {
		a, err := record.Get[RepAuthor](ctx, first)
		if err != nil {
			return "", err
		}
		return a.Name, nil
	}},
	{"Find", func(ctx context.Context, first int64) (string, error) {
		as, err := record.Find[RepAuthor](ctx)
		return names(as), err
	}},
	{"FindOne", func(ctx context.Context, first int64) (string, error) {
		a, err := record.FindOne[RepAuthor](ctx, builder.Eq{"id": first})
		if err != nil {
			return "", err
		}
		return a.Name, nil
	}},
	{"Query.All", func(ctx context.Context, first int64) (string, error) {
		as, err := record.Query[RepAuthor](ctx).OrderBy("id").All()
		return names(as), err
	}},
	{"Query.First", func(ctx context.Context, first int64) (string, error) {
		a, err := record.Query[RepAuthor](ctx).OrderBy("-id").First()
		if err != nil {
			return "", err
		}
		return a.Name, nil
	}},
	{"Query.Iter", func(ctx context.Context, first int64) (string, error) {
		var as []*RepAuthor
		for a, err := range record.Query[RepAuthor](ctx).OrderBy("id").Iter() {
			if err != nil {
				return "", err
			}
			as = append(as, a)
		}
		return names(as), nil
	}},
	{"Query.Count", func(ctx context.Context, first int64) (string, error) {
		n, err := record.Query[RepAuthor](ctx).Count()
		return fmt.Sprint(n), err
	}},
	{"Query.Preload", func(ctx context.Context, first int64) (string, error) {
		as, err := record.Query[RepAuthor](ctx).OrderBy("id").Preload("Posts").All()
		if err != nil {
			return "", err
		}
		var titles []string
		for _, a := range as {
			for _, p := range a.Posts {
				titles = append(titles, p.Title)
			}
		}
		return strings.Join(titles, ","), nil
	}},
	{"Raw", func(ctx context.Context, first int64) (string, error) {
		as, err := record.Raw[RepAuthor](ctx, `SELECT id, name FROM rep_author ORDER BY id`)
		return names(as), err
	}},
}

func names(as []*RepAuthor) string {
	var out []string
	for _, a := range as {
		out = append(out, a.Name)
	}
	return strings.Join(out, ",")
}

// fill saves authors with one post each and returns their keys.
func fill(t *testing.T, ctx context.Context, authors ...string) []int64 {
	t.Helper()
	var keys []int64
	for _, n := range authors {
		a := &RepAuthor{Name: n, Posts: []*RepPost{{Title: n + "'s post"}}}
		require.NoError(t, a.Save(ctx))
		keys = append(keys, a.ID)
	}
	return keys
}

// serverLog is a slog handler that keeps the server attribute of echoed
// statements and the messages of everything else.
type serverLog struct {
	mu      sync.Mutex
	servers []string
	msgs    []string
}

func (l *serverLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *serverLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *serverLog) WithGroup(string) slog.Handler            { return l }
func (l *serverLog) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r.Message != "sqlservice: statement" {
		l.msgs = append(l.msgs, r.Message)
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "server" {
			l.servers = append(l.servers, a.Value.String())
		}
		return true
	})
	return nil
}

// since returns the servers of the statements echoed since mark, and the
// new mark.
func (l *serverLog) since(mark int) ([]string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.servers[mark:]), len(l.servers)
}

func (l *serverLog) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if m == msg {
			n++
		}
	}
	return n
}

// TestReplicaRouting runs on every dialect with a second database standing
// in for the replica: no replication, different rows, so that every read
// shows where it ran.
func TestReplicaRouting(t *testing.T) {
	models := []any{RepAuthor{}, RepPost{}}
	dbtest.Each(t, dbtest.Options{Models: models}, func(t *testing.T, db *dbtest.DB) {
		first := fill(t, db.Ctx(), "p1", "p2")[0]
		replica := dbtest.Open(t, db.Dialect, dbtest.Options{Models: models})
		require.Equal(t, first, fill(t, replica.Ctx(), "r1")[0], "the same first key in both databases")

		logs := &serverLog{}
		c, err := session.Open(session.Config{DatabaseURI: db.URI, Replicas: []string{replica.URI}, Echo: true, Logger: slog.New(logs)})
		require.NoError(t, err)
		defer c.Close()
		ctx := c.Context(context.Background())

		for _, r := range replicaReads {
			t.Run(r.name, func(t *testing.T) {
				onPrimary, err := r.read(db.Ctx(), first)
				require.NoError(t, err)
				onReplica, err := r.read(replica.Ctx(), first)
				require.NoError(t, err)
				require.NotEqual(t, onPrimary, onReplica)

				_, mark := logs.since(0)
				got, err := r.read(ctx, first)
				require.NoError(t, err)
				assert.Equal(t, onReplica, got, "outside a transaction: the replica")
				servers, mark := logs.since(mark)
				assert.NotEmpty(t, servers)
				for _, s := range servers {
					assert.Equal(t, "replica:1", s)
				}

				got, err = r.read(record.Primary(ctx), first)
				require.NoError(t, err)
				assert.Equal(t, onPrimary, got, "Primary: the primary")
				servers, mark = logs.since(mark)
				assert.NotContains(t, servers, "replica:1")

				require.NoError(t, c.Transaction(ctx, func(ctx context.Context) error {
					got, err = r.read(ctx, first)
					return err
				}))
				assert.Equal(t, onPrimary, got, "in a transaction: the primary")

				sctx, s, err := c.Begin(ctx)
				require.NoError(t, err)
				got, err = r.read(sctx, first)
				require.NoError(t, err)
				require.NoError(t, s.Close())
				assert.Equal(t, onPrimary, got, "in an explicit session: the primary")
				servers, _ = logs.since(mark)
				assert.NotContains(t, servers, "replica:1")
			})
		}

		t.Run("writes", func(t *testing.T) {
			_, mark := logs.since(0)
			a := &RepAuthor{Name: "w", Posts: []*RepPost{{Title: "w's post"}}}
			require.NoError(t, a.Save(ctx))
			require.NoError(t, a.Update(map[string]any{"name": "w2"}))
			require.NoError(t, a.Save(ctx))
			_, err := record.Save[RepAuthor](ctx, map[string]any{"id": 50, "name": "upserted"})
			require.NoError(t, err)
			_, err = record.BulkInsert[RepPost](ctx, []*RepPost{{RepAuthorID: a.ID, Title: "bulk"}})
			require.NoError(t, err)
			require.NoError(t, (&RepPost{ID: 60, RepAuthorID: a.ID, Title: "explicit key"}).Save(ctx))
			servers, _ := logs.since(mark)
			assert.NotContains(t, servers, "replica:1", "every write runs on the primary")

			for _, want := range []struct {
				ctx  context.Context
				name string
				n    int64
			}{{db.Ctx(), "primary", 4}, {replica.Ctx(), "replica", 1}} {
				n, err := record.Query[RepAuthor](want.ctx).Count()
				require.NoError(t, err)
				assert.Equal(t, want.n, n, want.name)
			}
			got, err := record.Get[RepAuthor](db.Ctx(), a.ID)
			require.NoError(t, err)
			assert.Equal(t, "w2", got.Name)
			require.NoError(t, a.Destroy(ctx))
			_, err = record.Get[RepAuthor](db.Ctx(), a.ID)
			assert.ErrorIs(t, err, record.ErrNotFound)
		})
	})
}

// TestReplicationMariaDB runs against a real primary and a real replica
// that replicates from it (internal/replicatest): routing, read-your-writes,
// writes and transactions, fallback when the replica dies and recovery when
// it comes back. How far the replica lags is not tested: it is not hidden,
// and no timing is asserted.
func TestReplicationMariaDB(t *testing.T) {
	t.Run("replica=mariadb", func(t *testing.T) {
		pair := replicatest.Start(t)
		pair.CreateDatabase(t, "app")
		primaryURI, replicaURI := pair.Primary.URI("app"), pair.Replica.URI("app")

		logs := &serverLog{}
		db, err := session.Open(session.Config{DatabaseURI: primaryURI, Replicas: []string{replicaURI},
			Echo: true, Logger: slog.New(logs), ReplicaRetry: 100 * time.Millisecond, ReplicaRetryMax: 400 * time.Millisecond})
		require.NoError(t, err)
		defer db.Close()
		ctx := db.Context(context.Background())
		require.NoError(t, db.CreateAll(ctx, RepAuthor{}, RepPost{}))
		first := fill(t, ctx, "a1", "a2")[0]
		pair.Sync(t)

		last := func() string {
			s, _ := logs.since(0)
			return s[len(s)-1]
		}
		get := func(ctx context.Context, id int64) string {
			t.Helper()
			a, err := record.Get[RepAuthor](ctx, id)
			require.NoError(t, err)
			return a.Name
		}

		t.Run("reads go to the replica", func(t *testing.T) {
			// A row only the replica has (root may write on it), with a
			// key the primary never uses.
			require.NoError(t, pair.Replica.Exec("INSERT INTO app.rep_author (id, name) VALUES (1000000, 'replica only')"))
			t.Cleanup(func() { pair.Replica.Exec("DELETE FROM app.rep_author WHERE id = 1000000") })
			assert.Equal(t, "replica only", get(ctx, 1000000))
			assert.Equal(t, "replica:1", last())
			for _, r := range replicaReads {
				_, err := r.read(ctx, first)
				require.NoError(t, err, r.name)
				assert.Equal(t, "replica:1", last(), r.name)
			}
			_, err := record.Get[RepAuthor](record.Primary(ctx), 1000000)
			assert.ErrorIs(t, err, record.ErrNotFound, "the primary does not have it")
		})

		t.Run("read your writes through Primary", func(t *testing.T) {
			a := &RepAuthor{Name: "fresh"}
			require.NoError(t, a.Save(ctx))
			assert.Equal(t, "primary", last())
			assert.Equal(t, "fresh", get(record.Primary(ctx), a.ID))
			assert.Equal(t, "primary", last())
			// Without Primary the replica answers, once it has caught up:
			// its lag is not hidden, so wait for it explicitly.
			pair.Sync(t)
			assert.Equal(t, "fresh", get(ctx, a.ID))
			assert.Equal(t, "replica:1", last())
		})

		t.Run("writes and transactions go to the primary", func(t *testing.T) {
			_, mark := logs.since(0)
			a := &RepAuthor{Name: "t"}
			require.NoError(t, a.Save(ctx), "the application account cannot write on the replica: this ran on the primary")
			require.NoError(t, a.Update(map[string]any{"name": "t2"}))
			require.NoError(t, a.Save(ctx))
			require.NoError(t, db.Transaction(ctx, func(ctx context.Context) error {
				b, err := record.Get[RepAuthor](ctx, a.ID)
				if err != nil {
					return err
				}
				b.Posts = []*RepPost{{Title: "in tx"}}
				return b.Save(ctx)
			}))
			require.NoError(t, a.Destroy(ctx))
			servers, _ := logs.since(mark)
			assert.NotContains(t, servers, "replica:1")
		})

		t.Run("fallback to the primary when the replica dies", func(t *testing.T) {
			pair.Sync(t)
			require.NoError(t, pair.Replica.Kill())
			for range 3 {
				assert.Equal(t, "a1", get(ctx, first), "the caller does not see the dead replica")
				assert.Equal(t, "primary", last())
			}
			for _, r := range replicaReads {
				_, err := r.read(ctx, first)
				require.NoError(t, err, r.name)
			}
			assert.Equal(t, 1, logs.count("sqlservice: replica does not answer: its reads go elsewhere"))
			assert.Equal(t, 1, logs.count("sqlservice: no healthy replica: reads go to the primary"), "warned once")
			st := db.Replicas()[0]
			assert.False(t, st.Healthy)
			assert.NotContains(t, st.Err.Error(), replicatest.AppPassword)
			// Writes go on meanwhile; the replica catches up when it is back.
			fill(t, ctx, "during outage")
		})

		t.Run("recovery when the replica returns", func(t *testing.T) {
			require.NoError(t, pair.Replica.Start())
			pair.Sync(t)
			// Reads check the replica when its back-off (at most 400ms
			// here) is over; wait for that, bounded.
			deadline := time.Now().Add(20 * time.Second)
			for {
				assert.Equal(t, "a1", get(ctx, first))
				if last() == "replica:1" {
					break
				}
				require.True(t, time.Now().Before(deadline), "the replica was not used again: %+v", db.Replicas())
				time.Sleep(50 * time.Millisecond)
			}
			n, err := record.Query[RepAuthor](ctx).Where(builder.Eq{"name": "during outage"}).Count()
			require.NoError(t, err)
			assert.EqualValues(t, 1, n, "the replica caught up")
			assert.Equal(t, "replica:1", last())
			assert.Equal(t, 1, logs.count("sqlservice: replica answers again"))
		})
	})
}

// TestReplicationPostgres is TestReplicationMariaDB on a PostgreSQL
// primary and a hot standby that streams its WAL
// (replicatest.StartPostgres): routing, read-your-writes through Primary,
// fallback when the standby dies and recovery when it comes back. The
// standby accepts no write at all, so where a read ran is told by the echo
// log alone.
func TestReplicationPostgres(t *testing.T) {
	pair := replicatest.StartPostgres(t)
	pair.CreateDatabase(t, "app")
	logs := &serverLog{}
	db, err := session.Open(session.Config{DatabaseURI: pair.Primary.URI("app"), Replicas: []string{pair.Standby.URI("app")},
		Echo: true, Logger: slog.New(logs), ReplicaRetry: 100 * time.Millisecond, ReplicaRetryMax: 400 * time.Millisecond})
	require.NoError(t, err)
	defer db.Close()
	ctx := db.Context(context.Background())
	require.NoError(t, db.CreateAll(ctx, RepAuthor{}, RepPost{}))
	first := fill(t, ctx, "a1", "a2")[0]
	pair.Sync(t)
	last := func() string {
		s, _ := logs.since(0)
		return s[len(s)-1]
	}
	get := func(ctx context.Context, id int64) string {
		t.Helper()
		a, err := record.Get[RepAuthor](ctx, id)
		require.NoError(t, err)
		return a.Name
	}

	t.Run("reads go to the standby", func(t *testing.T) {
		assert.Equal(t, "a1", get(ctx, first))
		assert.Equal(t, "replica:1", last())
		for _, r := range replicaReads {
			_, err := r.read(ctx, first)
			require.NoError(t, err, r.name)
			assert.Equal(t, "replica:1", last(), r.name)
		}
	})

	t.Run("read your writes through Primary", func(t *testing.T) {
		a := &RepAuthor{Name: "fresh"}
		require.NoError(t, a.Save(ctx), "the standby refuses writes: this ran on the primary")
		assert.Equal(t, "primary", last())
		assert.Equal(t, "fresh", get(record.Primary(ctx), a.ID))
		assert.Equal(t, "primary", last())
		pair.Sync(t)
		assert.Equal(t, "fresh", get(ctx, a.ID))
		assert.Equal(t, "replica:1", last())
	})

	t.Run("fallback to the primary when the standby dies", func(t *testing.T) {
		_, mark := logs.since(0)
		require.NoError(t, pair.Standby.Kill())
		defer func() {
			if t.Failed() {
				s, _ := logs.since(mark)
				t.Log("servers since the kill:", s)
			}
		}()
		// A backend of the killed standby that the machine has not yet
		// reaped can still answer a read or two on a loaded machine: wait
		// (bounded) until a read goes to the primary.
		deadline := time.Now().Add(10 * time.Second)
		for {
			assert.Equal(t, "a1", get(ctx, 1), "the caller does not see the dead standby")
			if last() == "primary" {
				break
			}
			require.True(t, time.Now().Before(deadline), "reads still go to the killed standby")
			time.Sleep(20 * time.Millisecond)
		}
		for range 3 {
			assert.Equal(t, "a1", get(ctx, first), "the caller does not see the dead standby")
			assert.Equal(t, "primary", last())
		}
		assert.Equal(t, 1, logs.count("sqlservice: replica does not answer: its reads go elsewhere"))
		assert.False(t, db.Replicas()[0].Healthy)
		fill(t, ctx, "during outage")
	})

	t.Run("recovery when the standby returns", func(t *testing.T) {
		require.NoError(t, pair.Standby.Start())
		pair.Sync(t)
		deadline := time.Now().Add(20 * time.Second)
		for {
			assert.Equal(t, "a1", get(ctx, first))
			if last() == "replica:1" {
				break
			}
			require.True(t, time.Now().Before(deadline), "the standby was not used again: %+v", db.Replicas())
			time.Sleep(50 * time.Millisecond)
		}
		n, err := record.Query[RepAuthor](ctx).Where(builder.Eq{"name": "during outage"}).Count()
		require.NoError(t, err)
		assert.EqualValues(t, 1, n, "the standby caught up")
		assert.Equal(t, "replica:1", last())
		assert.Equal(t, 1, logs.count("sqlservice: replica answers again"))
	})
}
