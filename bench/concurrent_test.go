package bench

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/record"
)

// Concurrency: concurrentWorkers goroutines share one client (one *sql.DB
// of concurrentWorkers connections) and each runs the same mix: of every
// 10 operations, 7 GetByPK (ids spread over the table), 2 UpdateOne (one
// of the goroutine's own 50 records, loaded before the timer, one field
// changed and written) and 1 Tx (begin, insert one row, commit). ns/op is
// wall time per operation of the whole group, so the ratio of two
// libraries is the ratio of their throughputs.
const (
	concurrentWorkers = 16
	workerRecords     = 50
)

// mixed returns what one worker does at its i-th operation.
func mixed(get func(id int64) error, update func(k int) error, tx func() error) func(i int) error {
	return func(i int) error {
		switch i % 10 {
		case 3, 7:
			return update(i)
		case 9:
			return tx()
		}
		return get(int64((i*7919)%seedUsers + 1))
	}
}

// concurrentLibs build worker w's operation function (w from 0).
var concurrentLibs = map[string]func(e *env, w int) func(i int) error{
	"raw": func(e *env, w int) func(int) error {
		get, upd, ins := e.shared(getSQL), e.shared(updateSQL), e.shared(txInsertSQL(e))
		return mixed(
			func(id int64) error {
				var u PlainUser
				err := get.QueryRowContext(e.ctx, id).Scan(&u.ID, &u.Name, &u.Email, &u.Phone, &u.Age, &u.CreatedAt)
				if err == nil && u.ID != id {
					err = fmt.Errorf("got %d, want %d", u.ID, id)
				}
				return err
			},
			func(k int) error {
				id := int64(w*workerRecords + k%workerRecords + 1)
				return oneRow(upd.ExecContext(e.ctx, updateNames[k%len(updateNames)], id))
			},
			func() (err error) {
				tx, err := e.db.BeginTx(e.ctx, nil)
				if err != nil {
					return err
				}
				defer func() {
					if err != nil {
						tx.Rollback()
					}
				}()
				u := newUser()
				var id int64
				if e.dialect == "postgres" {
					err = tx.StmtContext(e.ctx, ins).QueryRowContext(e.ctx, u.Name, u.Email, u.Phone, u.Age, u.CreatedAt).Scan(&id)
				} else {
					var res sql.Result
					if res, err = tx.StmtContext(e.ctx, ins).ExecContext(e.ctx, u.Name, u.Email, u.Phone, u.Age, u.CreatedAt); err == nil {
						id, err = res.LastInsertId()
					}
				}
				if err == nil && id == 0 {
					err = fmt.Errorf("no id")
				}
				if err != nil {
					return err
				}
				return tx.Commit()
			})
	},
	"sqlservice": func(e *env, w int) func(int) error {
		lo := int64(w * workerRecords)
		us, err := record.Query[User](e.ctx).Where(builder.Gt{"id": lo}, builder.LtOrEq{"id": lo + workerRecords}).OrderBy("id").All()
		if err != nil || len(us) != workerRecords {
			e.tb.Fatalf("worker %d: load: %d, %v", w, len(us), err)
		}
		return mixed(
			func(id int64) error {
				u, err := record.Get[User](e.ctx, id)
				if err == nil && u.ID != id {
					err = fmt.Errorf("got %d, want %d", u.ID, id)
				}
				return err
			},
			func(k int) error {
				u := us[k%workerRecords]
				u.Name = updateNames[k%len(updateNames)]
				return u.Save(e.ctx)
			},
			func() error {
				p := newUser()
				u := &User{Name: p.Name, Email: p.Email, Phone: p.Phone, Age: p.Age, CreatedAt: p.CreatedAt}
				err := e.client.Transaction(e.ctx, func(ctx context.Context) error { return u.Save(ctx) })
				if err == nil && u.ID == 0 {
					err = fmt.Errorf("no id")
				}
				return err
			})
	},
}

func txInsertSQL(e *env) string {
	if e.dialect == "postgres" {
		return insertSQL + " RETURNING id"
	}
	return insertSQL
}

// shared prepares q once per env for all workers (a *sql.Stmt is safe for
// concurrent use).
func (e *env) shared(q string) *sql.Stmt {
	e.stmtMu.Lock()
	defer e.stmtMu.Unlock()
	if st, ok := e.stmts[q]; ok {
		return st
	}
	if e.stmts == nil {
		e.stmts = map[string]*sql.Stmt{}
	}
	st := e.prepare(q)
	e.stmts[q] = st
	return st
}

// BenchmarkConcurrent runs the mix with concurrentWorkers goroutines,
// BenchmarkConcurrent/op=Mixed16/lib=<lib>. Not on in-memory SQLite (one
// connection is the database there).
func BenchmarkConcurrent(b *testing.B) {
	for _, lib := range rotated([]string{"raw", "sqlservice"}) {
		b.Run(fmt.Sprintf("op=Mixed%d/lib=%s", concurrentWorkers, lib), func(b *testing.B) {
			e := newEnv(b)
			if e.kind == "memory" {
				b.Skip("in-memory SQLite is one connection")
			}
			e.db.SetMaxOpenConns(concurrentWorkers)
			e.db.SetMaxIdleConns(concurrentWorkers)
			workers := make([]func(int) error, concurrentWorkers)
			for w := range workers {
				workers[w] = concurrentLibs[lib](e, w)
				for i := range 10 { // warm up: every statement prepared, every record loaded
					if err := workers[w](i); err != nil {
						b.Fatalf("warm-up: %v", err)
					}
				}
			}
			procs := runtime.GOMAXPROCS(0)
			b.SetParallelism((concurrentWorkers + procs - 1) / procs)
			var next atomic.Int64
			b.ReportAllocs()
			// The warm-up (every worker's connection opened, statements
			// prepared) is not the work measured: on a server, where b.N
			// is small, it would dominate the time and allocations per op.
			b.ResetTimer()
			cpu.reset()
			b.RunParallel(func(pb *testing.PB) {
				w := int(next.Add(1)-1) % concurrentWorkers
				f := workers[w]
				for i := 10; pb.Next(); i++ {
					if err := f(i); err != nil {
						b.Error(err)
						return
					}
				}
			})
			if b.N > 0 {
				b.ReportMetric(float64(cpu.total())/float64(b.N), "cpu-ns/op")
			}
		})
	}
}
