package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestInstr runs one operation of one library BENCH_INSTR_N times, for
// cmd/instr, which runs it under callgrind and counts the instructions of
// the process: BENCH_INSTR=<op>/<lib> (op as in BenchmarkORM, lib as in
// its lib= names). cmd/instr runs each pair twice, with N and 2N
// operations, and takes the difference: start-up, seeding and warm-up are
// the same in both runs and cancel out. Without BENCH_INSTR it skips.
func TestInstr(t *testing.T) {
	spec := os.Getenv("BENCH_INSTR")
	if spec == "" {
		t.Skip("BENCH_INSTR=<op>/<lib> is not set: cmd/instr sets it")
	}
	op, lib, ok := strings.Cut(spec, "/")
	n, err := strconv.Atoi(os.Getenv("BENCH_INSTR_N"))
	if !ok || err != nil || n < 0 {
		t.Fatalf("BENCH_INSTR=%q BENCH_INSTR_N=%q: want <op>/<lib> and a count", spec, os.Getenv("BENCH_INSTR_N"))
	}
	mk, ok := instrOps[op]
	if !ok {
		t.Fatalf("BENCH_INSTR: no operation %q", op)
	}
	e := newEnv(t)
	step, err := mk(e, lib)
	if err != nil {
		t.Fatal(err)
	}
	// Two calls before counting, as warmUp does for the benchmarks: no
	// library is charged for preparing its statements.
	for i := range 2 {
		if err := step(i); err != nil {
			t.Fatalf("warm-up: %v", err)
		}
	}
	instrStart()
	err = instrLoop(n, step)
	instrStop()
	if err != nil {
		t.Fatal(err)
	}
}

// instrStart and instrStop mark the counted part for callgrind
// (--zero-before=*instrStart* --dump-before=*instrStop*).
//
//go:noinline
func instrStart() { instrMark++ }

//go:noinline
func instrStop() { instrMark++ }

var instrMark int

func instrLoop(n int, step func(i int) error) error {
	for i := range n {
		if err := step(i + 2); err != nil {
			return fmt.Errorf("operation %d: %w", i, err)
		}
	}
	return nil
}

// instrOps builds the step of one operation for one library; each step
// checks its result the way the benchmark loop does.
var instrOps = map[string]func(e *env, lib string) (func(i int) error, error){
	"InsertOne": func(e *env, lib string) (func(int) error, error) {
		mk, ok := insertOneLibs[lib]
		if !ok {
			return nil, noLib(lib)
		}
		f := mk(e)
		return func(int) error {
			if id, err := f(); err != nil || id == 0 {
				return fmt.Errorf("id %d, %v", id, err)
			}
			return nil
		}, nil
	},
	"InsertBatch100": func(e *env, lib string) (func(int) error, error) {
		mk, ok := insertBatchLibs[lib]
		if !ok {
			return nil, noLib(lib)
		}
		f := mk(e)
		return func(int) error { _, err := f(); return err }, nil
	},
	"GetByPK": func(e *env, lib string) (func(int) error, error) {
		mk, ok := getLibs[lib]
		if !ok {
			return nil, noLib(lib)
		}
		f := mk(e)
		return func(i int) error {
			id := int64(i%seedUsers + 1)
			if u, err := f(id); err != nil || u.ID != id {
				return fmt.Errorf("get %d: %d, %v", id, u.ID, err)
			}
			return nil
		}, nil
	},
	"FindMany100": func(e *env, lib string) (func(int) error, error) {
		mk, ok := findLibs[lib]
		if !ok {
			return nil, noLib(lib)
		}
		f := mk(e)
		return func(i int) error {
			after := int64(i % (seedUsers - pageSize))
			if r, err := f(after); err != nil || r.n != pageSize || r.last.ID != after+pageSize {
				return fmt.Errorf("find after %d: %d rows, last %d, %v", after, r.n, r.last.ID, err)
			}
			return nil
		}, nil
	},
	"UpdateOne": func(e *env, lib string) (func(int) error, error) {
		mk, ok := updateLibs[lib]
		if !ok {
			return nil, noLib(lib)
		}
		f := mk(e)
		return func(i int) error { _, _, err := f(i); return err }, nil
	},
	"DeleteOne": func(e *env, lib string) (func(int) error, error) {
		mk, ok := deleteLibs[lib]
		if !ok {
			return nil, noLib(lib)
		}
		f := mk(e)
		return func(i int) error {
			if i >= seedUsers {
				return fmt.Errorf("DeleteOne: at most %d operations", seedUsers-2)
			}
			return f(int64(i + 1))
		}, nil
	},
	"Tx": func(e *env, lib string) (func(int) error, error) {
		mk, ok := txLibs[lib]
		if !ok {
			return nil, noLib(lib)
		}
		f := mk(e)
		return func(int) error {
			if id, err := f(); err != nil || id == 0 {
				return fmt.Errorf("id %d, %v", id, err)
			}
			return nil
		}, nil
	},
	"ToMap": func(e *env, lib string) (func(int) error, error) {
		mk, ok := toMapLibs[lib]
		if !ok {
			return nil, noLib(lib)
		}
		f := mk(e)
		return func(int) error {
			if m := f(); len(m) != 6 {
				return fmt.Errorf("%d keys", len(m))
			}
			return nil
		}, nil
	},
	"BulkDiffUpdate10k": func(e *env, lib string) (func(int) error, error) {
		mk, ok := bulkDiffLibs[lib]
		if !ok {
			return nil, noLib(lib)
		}
		f := mk(e)
		return func(i int) error {
			if n, err := f(i); err != nil || n != seedUsers/10 {
				return fmt.Errorf("step %d: %d rows, %v", i, n, err)
			}
			return nil
		}, nil
	},
	"Preload100x10": func(e *env, lib string) (func(int) error, error) {
		mk, ok := preloadLibs[lib]
		if !ok {
			return nil, noLib(lib)
		}
		e.seedAuthors()
		f := mk(e)
		return func(i int) error {
			after := int64(i % (seedAuthors - pageSize))
			if r, err := f(after); err != nil || r.authors != pageSize || r.posts != pageSize*postsPer || r.misplaced != 0 {
				return fmt.Errorf("preload after %d: %+v, %v", after, r, err)
			}
			return nil
		}, nil
	},
}

func noLib(lib string) error { return fmt.Errorf("BENCH_INSTR: no library %q for this operation", lib) }
