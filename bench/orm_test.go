package bench

import (
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// libs is the order libraries run in within one operation; run.sh rotates
// it from round to round (BENCH_ROUND) so that no library always runs
// first or last.
var (
	libs       = []string{"raw", "sqlservice", "sqlx", "gorm", "bun"}
	toMapNames = []string{"handwritten", "sqlservice", "structs", "sqlx", "gorm", "bun"}
	diffNames  = []string{"raw", "sqlservice"}
)

func rotated(names []string) []string {
	r, _ := strconv.Atoi(os.Getenv("BENCH_ROUND"))
	k := r % len(names)
	return append(append([]string(nil), names[k:]...), names[:k]...)
}

// checkpointEvery is how many write operations run between two untimed
// WAL checkpoints (about 2–4k WAL frames).
const checkpointEvery = 1000

// warmUp runs an operation twice before the timer starts, so that no
// library pays for preparing its statements (or, for sqlservice, for a
// statement first met inside a transaction and prepared after it) in the
// timed loop. It starts the CPU clock: every benchmark calls it right
// before its loop.
func warmUp(b *testing.B, f func() error) {
	for range 2 {
		if err := f(); err != nil {
			b.Fatalf("warm-up: %v", err)
		}
	}
	cpu.reset()
}

// opBench runs one operation for one library on a fresh, seeded database.
type opBench struct {
	name  string
	libs  []string
	bench func(b *testing.B, e *env, lib string)
}

var opBenches = []opBench{
	{"InsertOne", libs, func(b *testing.B, e *env, lib string) {
		f := insertOneLibs[lib](e)
		warmUp(b, func() error { _, err := f(); return err })
		i := 0
		for b.Loop() {
			if id, err := f(); err != nil || id == 0 {
				b.Fatalf("id %d, %v", id, err)
			}
			if i++; i%checkpointEvery == 0 {
				pause(b, e.checkpoint)
			}
		}
	}},
	{"InsertBatch100", libs, func(b *testing.B, e *env, lib string) {
		f := insertBatchLibs[lib](e)
		warmUp(b, func() error { _, err := f(); return err })
		i := 0
		for b.Loop() {
			if _, err := f(); err != nil {
				b.Fatal(err)
			}
			if i++; i%(checkpointEvery/pageSize*2) == 0 {
				pause(b, e.checkpoint)
			}
		}
	}},
	{"GetByPK", libs, func(b *testing.B, e *env, lib string) {
		f := getLibs[lib](e)
		warmUp(b, func() error { _, err := f(1); return err })
		i := 0
		for b.Loop() {
			id := int64(i%seedUsers + 1)
			if u, err := f(id); err != nil || u.ID != id {
				b.Fatalf("get %d: %d, %v", id, u.ID, err)
			}
			i++
		}
	}},
	{"FindMany100", libs, func(b *testing.B, e *env, lib string) {
		f := findLibs[lib](e)
		warmUp(b, func() error { _, err := f(0); return err })
		i := 0
		for b.Loop() {
			after := int64(i % (seedUsers - pageSize))
			if r, err := f(after); err != nil || r.n != pageSize || r.last.ID != after+pageSize {
				b.Fatalf("find after %d: %d rows, last %d, %v", after, r.n, r.last.ID, err)
			}
			i++
		}
	}},
	{"UpdateOne", libs, func(b *testing.B, e *env, lib string) {
		f := updateLibs[lib](e)
		i := 0
		warmUp(b, func() error { _, _, err := f(i); i++; return err })
		for b.Loop() {
			if _, _, err := f(i); err != nil {
				b.Fatal(err)
			}
			if i++; i%checkpointEvery == 0 {
				pause(b, e.checkpoint)
			}
		}
	}},
	{"DeleteOne", libs, func(b *testing.B, e *env, lib string) {
		f := deleteLibs[lib](e)
		next, have := int64(1), int64(seedUsers)
		warmUp(b, func() error { err := f(next); next++; return err })
		for b.Loop() {
			if next > have {
				pause(b, func() {
					e.seedUsers(int(have), int(have)+seedUsers)
					have += seedUsers
					e.checkpoint()
				})
			}
			if err := f(next); err != nil {
				b.Fatalf("delete %d: %v", next, err)
			}
			if next++; next%checkpointEvery == 0 {
				pause(b, e.checkpoint)
			}
		}
	}},
	{"Tx", libs, func(b *testing.B, e *env, lib string) {
		f := txLibs[lib](e)
		warmUp(b, func() error { _, err := f(); return err })
		i := 0
		for b.Loop() {
			if id, err := f(); err != nil || id == 0 {
				b.Fatalf("id %d, %v", id, err)
			}
			if i++; i%checkpointEvery == 0 {
				pause(b, e.checkpoint)
			}
		}
	}},
	{"ToMap", toMapNames, func(b *testing.B, e *env, lib string) {
		f := toMapLibs[lib](e)
		warmUp(b, func() error { f(); return nil })
		for b.Loop() {
			if m := f(); len(m) != 6 {
				b.Fatalf("%d keys", len(m))
			}
		}
	}},
	{"Aggregate", aggregateNames, func(b *testing.B, e *env, lib string) {
		f := aggregateLibs[lib](e)
		warmUp(b, func() error { _, err := f(0, 2); return err })
		i := 0
		for b.Loop() {
			after := int64(i % 1000)
			if r, err := f(after, 2); err != nil || r.groups != 60 {
				b.Fatalf("aggregate after %d: %+v, %v", after, r, err)
			}
			i++
		}
	}},
	{"BulkDiffUpdate10k", diffNames, func(b *testing.B, e *env, lib string) {
		f := bulkDiffLibs[lib](e)
		step := 0
		warmUp(b, func() error { _, err := f(step); step++; return err })
		for b.Loop() {
			if n, err := f(step); err != nil || n != seedUsers/10 {
				b.Fatalf("step %d: %d rows, %v", step, n, err)
			}
			step++
			pause(b, e.checkpoint)
		}
	}},
	{"Preload100x10", libs, func(b *testing.B, e *env, lib string) {
		mk := preloadLibs[lib]
		e.seedAuthors()
		f := mk(e)
		warmUp(b, func() error { _, err := f(0); return err })
		i := 0
		for b.Loop() {
			after := int64(i % (seedAuthors - pageSize))
			if r, err := f(after); err != nil || r.authors != pageSize || r.posts != pageSize*postsPer || r.misplaced != 0 {
				b.Fatalf("preload after %d: %+v, %v", after, r, err)
			}
			i++
		}
	}},
}

// BenchmarkORM runs every operation for every library, named
// BenchmarkORM/op=<Op>/lib=<lib>. All libraries of one operation run back
// to back, each on a fresh database file seeded the same way.
func BenchmarkORM(b *testing.B) {
	for _, op := range opBenches {
		b.Run("op="+op.name, func(b *testing.B) {
			for _, lib := range rotated(op.libs) {
				b.Run("lib="+lib, func(b *testing.B) {
					e := newEnv(b)
					b.ReportAllocs()
					op.bench(b, e, lib)
					if b.N > 0 {
						b.ReportMetric(float64(cpu.total())/float64(b.N), "cpu-ns/op")
					}
				})
			}
		})
	}
}

// cpu measures the CPU time (user and system, all threads of the process,
// so including the garbage collector) spent while the benchmark timer runs:
// on a shared machine wall time also counts time the process waited for a
// core, CPU time does not. Reported as cpu-ns/op next to ns/op.
var cpu cpuClock

type cpuClock struct {
	start, spent time.Duration
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (c *cpuClock) reset() { *c = cpuClock{start: cpuNow()} }

func (c *cpuClock) total() time.Duration { return cpuNow() - c.start - c.spent }

// pause runs fn with the benchmark timer stopped and its CPU time left out.
func pause(b *testing.B, fn func()) {
	b.StopTimer()
	t := cpuNow()
	fn()
	cpu.spent += cpuNow() - t
	b.StartTimer()
}
