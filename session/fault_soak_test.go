package session_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/dbtest"
	"github.com/sqlservice/sqlservice/internal/faultproxy"
	"github.com/sqlservice/sqlservice/session"
)

// fate is what the library said of one written row.
type fate int

const (
	committed  fate = iota // reported committed: present exactly once
	rolledBack             // reported rolled back or failed: absent
	unknown                // ErrCommitUnknown: present at most once
)

// ledger records the fate the library reported for every tag written.
type ledger struct {
	mu    sync.Mutex
	fates map[string]fate // tag → fate, per database ("db1:" or "db2:")
	n     map[string]int  // outcome counts, for the log
}

func (l *ledger) set(f fate, tags ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, tag := range tags {
		l.fates[tag] = f
	}
}

func (l *ledger) count(what string) {
	l.mu.Lock()
	l.n[what]++
	l.mu.Unlock()
}

// fateOf maps the error of a transaction that wrote rows to their fate.
func fateOf(err error) fate {
	switch {
	case err == nil:
		return committed
	case errors.Is(err, session.ErrCommitUnknown):
		return unknown
	}
	return rolledBack
}

// TestFaultSoak mixes, from several goroutines for a bounded time,
// savepoint levels whose contexts are cancelled, commits and writes whose
// replies are dropped (on the servers, through a fault proxy), the
// transactions of two clients nested, and one session shared by
// goroutines. Afterwards it checks with plain SQL that every row reported
// committed is there exactly once, every row rolled back is absent, every
// ErrCommitUnknown row is there at most once, nothing else was written,
// and no goroutine or connection is left. SQLSERVICE_SOAK sets how long
// each dialect runs (4 s by default).
func TestFaultSoak(t *testing.T) {
	dur := dbtest.SoakDuration(t)
	for _, d := range dbtest.Dialects {
		t.Run("soak="+d, func(t *testing.T) {
			db1 := dbtest.Open(t, d, integrityModels)
			db2 := dbtest.Open(t, d, integrityModels)
			// Goroutines are counted with the test's own clients holding
			// no connection: everything the soak starts must end.
			idle := func() {
				db1.DB().SetMaxIdleConns(0)
				db2.DB().SetMaxIdleConns(0)
			}
			idle()
			goroutines := runtime.NumGoroutine()
			var c1 *session.Client
			var proxy *faultproxy.Proxy
			if d == "sqlite" {
				var err error
				c1, err = session.Open(session.Config{DatabaseURI: db1.URI, PoolSize: 4})
				require.NoError(t, err)
			} else {
				var pdb *dbtest.DB
				pdb, proxy = dbtest.Proxied(t, db1, session.Config{PoolSize: 4})
				c1 = pdb.Client
			}
			c2, err := session.Open(session.Config{DatabaseURI: db2.URI, PoolSize: 4})
			require.NoError(t, err)

			seed := rand.Uint64()
			t.Logf("seed %d, %s", seed, dur)
			l := &ledger{fates: map[string]fate{}, n: map[string]int{}}
			var armMu sync.Mutex // one fault armed at a time
			deadline := time.Now().Add(dur)
			var wg sync.WaitGroup
			for w := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rng := rand.New(rand.NewPCG(seed, uint64(w)))
					for i := 0; time.Now().Before(deadline); i++ {
						tag := fmt.Sprintf("<w%d-%d>", w, i) // no tag is part of another
						op := rng.IntN(5)
						if proxy == nil && (op == 1 || op == 4) {
							op = 0 // SQLite has no reply to lose
						}
						switch op {
						case 0:
							soakSavepoint(t, c1, rng, l, tag)
						case 1:
							armMu.Lock()
							soakLostCommit(c1, proxy, l, tag)
							armMu.Unlock()
						case 2:
							soakTwoClients(c1, c2, rng, l, tag)
						case 3:
							soakSharedSession(c1, l, tag)
						case 4:
							armMu.Lock()
							soakLostWrite(c1, proxy, l, tag)
							armMu.Unlock()
						}
					}
				}()
			}
			wg.Wait()
			if proxy != nil {
				proxy.Disarm()
			}
			t.Logf("outcomes: %v", l.n)

			// Every fate against plain SQL, on connections of their own.
			present := func(db *dbtest.DB) map[string]int {
				rows, err := db.DB().Query("SELECT body FROM entry")
				require.NoError(t, err)
				defer rows.Close()
				m := map[string]int{}
				for rows.Next() {
					var b string
					require.NoError(t, rows.Scan(&b))
					m[b]++
				}
				require.NoError(t, rows.Err())
				return m
			}
			got := map[string]int{}
			for k, v := range present(db1) {
				got["db1:"+k] = v
			}
			for k, v := range present(db2) {
				got["db2:"+k] = v
			}
			unknownPresent := 0
			for tag, f := range l.fates {
				switch f {
				case committed:
					assert.Equal(t, 1, got[tag], "%s was reported committed", tag)
				case rolledBack:
					assert.Zero(t, got[tag], "%s was reported rolled back", tag)
				case unknown:
					assert.LessOrEqual(t, got[tag], 1, "%s (outcome unknown) is there at most once", tag)
					unknownPresent += got[tag]
				}
			}
			for tag, n := range got {
				_, known := l.fates[tag]
				assert.True(t, known, "%s (%d rows) was never written by the soak", tag, n)
			}
			t.Logf("rows: %d, of which %d with an unknown outcome", len(got), unknownPresent)

			require.NoError(t, c1.Close())
			require.NoError(t, c2.Close())
			if proxy != nil {
				waitFor(t, func() bool { return proxy.Open() == 0 }, "every proxied connection closed")
				proxy.Close()
			}
			assert.Zero(t, c1.DB().Stats().OpenConnections)
			assert.Zero(t, c2.DB().Stats().OpenConnections)
			idle()
			waitFor(t, func() bool { return runtime.NumGoroutine() <= goroutines }, "no goroutine left behind")
		})
	}
}

func waitFor(t *testing.T, ok func() bool, what string) {
	t.Helper()
	for range 100 {
		if ok() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Errorf("not so after 5 s: %s", what)
}

// soakSavepoint: an outer row, and a savepoint level whose context is
// cancelled before it fails, or that fails, or that succeeds.
func soakSavepoint(t *testing.T, c *session.Client, rng *rand.Rand, l *ledger, tag string) {
	outer, inner := tag+"-outer", tag+"-inner"
	mode := rng.IntN(3)
	innerOK := false
	err := c.Transaction(c.Context(context.Background()), func(ctx context.Context) error {
		if err := (&Entry{Body: outer}).Save(ctx); err != nil {
			return err
		}
		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		serr := c.Transaction(sctx, func(ctx context.Context) error {
			if err := (&Entry{Body: inner}).Save(ctx); err != nil {
				return err
			}
			switch mode {
			case 0:
				cancel()
				return ctx.Err()
			case 1:
				return errors.New("planned")
			}
			return nil
		}, session.Savepoint())
		innerOK = serr == nil
		if serr != nil && !errors.Is(serr, context.Canceled) && serr.Error() != "planned" {
			return serr // the level could not contain its failure
		}
		return nil
	})
	f := fateOf(err)
	l.set(f, "db1:"+outer)
	if innerOK {
		l.set(f, "db1:"+inner)
	} else {
		l.set(rolledBack, "db1:"+inner)
	}
	l.count(fmt.Sprintf("savepoint mode %d: %v", mode, f))
}

// soakLostCommit: a transaction whose COMMIT reply is dropped.
func soakLostCommit(c *session.Client, proxy *faultproxy.Proxy, l *ledger, tag string) {
	err := c.Transaction(c.Context(context.Background()), func(ctx context.Context) error {
		if err := (&Entry{Body: tag}).Save(ctx); err != nil {
			return err
		}
		proxy.Arm("commit", faultproxy.DropReply, 0)
		return nil
	})
	proxy.Disarm()
	l.set(fateOf(err), "db1:"+tag)
	l.count(fmt.Sprintf("lost commit: %v", fateOf(err)))
}

// soakLostWrite: a write on the pool whose reply is dropped.
func soakLostWrite(c *session.Client, proxy *faultproxy.Proxy, l *ledger, tag string) {
	proxy.Arm(tag, faultproxy.DropReply, 0)
	err := (&Entry{Body: tag}).Save(c.Context(context.Background()))
	proxy.Disarm()
	l.set(fateOf(err), "db1:"+tag)
	l.count(fmt.Sprintf("lost write: %v", fateOf(err)))
}

// soakTwoClients: transactions of two clients nested, the inner one
// failing at random; each client's rows share its own transaction's fate.
func soakTwoClients(c1, c2 *session.Client, rng *rand.Rand, l *ledger, tag string) {
	failInner := rng.IntN(2) == 0
	innerErr := errors.New("never ran")
	viaContext := false
	err := c1.Transaction(c1.Context(context.Background()), func(ctx context.Context) error {
		if err := (&Entry{Body: tag}).Save(ctx); err != nil {
			return err
		}
		innerErr = c2.Transaction(ctx, func(ctx context.Context) error {
			if err := (&Entry{Body: tag}).Save(ctx); err != nil {
				return err
			}
			// Through Context, c1's rows still join c1's transaction.
			if err := (&Entry{Body: tag + "-via-context"}).Save(c1.Context(ctx)); err != nil {
				return err
			}
			viaContext = true
			if failInner {
				return errors.New("planned")
			}
			return nil
		})
		return nil // c2's failure is c2's: c1 commits its own rows
	})
	f1, f2 := fateOf(err), fateOf(innerErr)
	l.set(f1, "db1:"+tag)
	if viaContext {
		l.set(f1, "db1:"+tag+"-via-context")
	} else {
		l.set(rolledBack, "db1:"+tag+"-via-context")
	}
	l.set(f2, "db2:"+tag)
	l.count(fmt.Sprintf("two clients: %v/%v", f1, f2))
}

// soakSharedSession: goroutines write through one session at once; a
// write turned away with ErrConcurrentUse never ran.
func soakSharedSession(c *session.Client, l *ledger, tag string) {
	var mu sync.Mutex
	var written []string
	err := c.Transaction(c.Context(context.Background()), func(ctx context.Context) error {
		var wg sync.WaitGroup
		for g := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b := fmt.Sprintf("%s-g%d", tag, g)
				err := (&Entry{Body: b}).Save(ctx)
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					written = append(written, "db1:"+b)
				} else {
					l.set(rolledBack, "db1:"+b)
				}
			}()
		}
		wg.Wait()
		return nil
	})
	l.set(fateOf(err), written...)
	l.count(fmt.Sprintf("shared session: %d of 3 written, %v", len(written), fateOf(err)))
}
