// Command instr counts the machine instructions each core operation costs
// in sqlservice and in hand-written database/sql, on in-memory SQLite (or,
// with -db, against a server: the client process's instructions, the
// driver's included), under valgrind's callgrind, and checks their ratios
// against a committed baseline. Instructions, not seconds: the count does not depend on how
// loaded the machine is, so the check can run in CI.
//
//	go run ./cmd/instr               # check against instr-baseline.txt (run from bench/)
//	go run ./cmd/instr -update       # write the baseline
//	go run ./cmd/instr -ops 'GetByPK|Tx' -runs 5
//	go run ./cmd/instr -db postgres  # the client's instructions against a server
//
// For each operation and library it builds the bench test binary once and
// runs TestInstr under callgrind, counting from the entry of instrStart to
// the entry of instrStop (--zero-before, --dump-before): the n operations,
// not start-up, seeding or the two warm-up calls. The runs use GOGC=off and
// GOMAXPROCS=1 (the collector's and the scheduler's timing would otherwise
// change the count) and no asynchronous preemption (callgrind 3.19 aborts
// on Go's preemption signals now and then; such a run is retried once).
// Two ways were tried and rejected: --toggle-collect on the loop function
// (callgrind loses track of the loop's frame when the goroutine changes
// stacks and undercounts by up to a third), and the difference of two
// whole-process counts (process-wide noise divided by n, up to 7%). What
// remains varies by 1-1.5% from process to process (the runtime's
// interface-switch and itab caches are probed from random or per-process
// seeds), so each count is the median of -runs runs, and an operation
// whose ratio (sqlservice / hand-written) grew by more than -tolerance over
// the baseline's is counted again with twice as many runs before the check
// fails.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
)

// op is one operation and how many times one run performs it.
type op struct {
	name     string
	n        int
	baseline string // the hand-written library it is compared with
}

var ops = []op{
	{"GetByPK", 1000, "raw"},
	{"FindMany100", 100, "raw"},
	{"InsertOne", 1000, "raw"},
	{"InsertBatch100", 50, "raw"},
	{"UpdateOne", 1000, "raw"},
	{"DeleteOne", 1000, "raw"},
	{"Tx", 500, "raw"},
	{"ToMap", 5000, "handwritten"},
	{"Preload100x10", 30, "raw"},
	{"BulkDiffUpdate10k", 3, "raw"},
}

func main() {
	log.SetFlags(0)
	update := flag.Bool("update", false, "write the baseline instead of checking against it")
	baselinePath := flag.String("baseline", "", "the baseline file (default instr-baseline.txt, or instr-baseline-<db>.txt with -db)")
	db := flag.String("db", "memory", "BENCH_DB: memory (in-memory SQLite), mysql or postgres (the client process's instructions; the server's are not counted)")
	runs := flag.Int("runs", 5, "runs per count (the median is taken)")
	tolerance := flag.Float64("tolerance", 0.03, "how much an operation's ratio may grow over the baseline's")
	only := flag.String("ops", "", "a regexp: count only the operations it matches")
	parallel := flag.Int("parallel", 2, "valgrind processes at a time")
	flag.Parse()
	if *baselinePath == "" {
		*baselinePath = "instr-baseline.txt"
		if *db != "memory" {
			*baselinePath = "instr-baseline-" + *db + ".txt"
		}
	}
	benchDB = *db

	if _, err := exec.LookPath("valgrind"); err != nil {
		log.Fatal("instr: valgrind is not installed (Debian: apt-get install valgrind)")
	}
	selected := ops
	if *only != "" {
		re, err := regexp.Compile(*only)
		if err != nil {
			log.Fatalf("instr: -ops: %v", err)
		}
		selected = slices.DeleteFunc(slices.Clone(ops), func(o op) bool { return !re.MatchString(o.name) })
	}

	dir, err := os.MkdirTemp("", "instr")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "bench.test")
	build := exec.Command("go", "test", "-c", "-o", bin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		log.Fatalf("instr: building the bench test binary: %v", err)
	}

	counts := measure(bin, dir, selected, *runs, *parallel)

	base, err := readBaseline(*baselinePath)
	if err != nil && !*update {
		log.Fatalf("instr: %v (write one with -update)", err)
	}
	ratios := make(map[string]float64)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\thand-written instr/op\tsqlservice instr/op\tratio\tbaseline\tchange\truns\t")
	ratio := func(o op) float64 {
		return median(counts[o.name+"/sqlservice"]) / median(counts[o.name+"/"+o.baseline])
	}
	regressed := func(o op) bool { b, ok := base[o.name]; return ok && !*update && ratio(o) > b*(1+*tolerance) }
	var again []op
	for _, o := range selected {
		if regressed(o) {
			again = append(again, o)
		}
	}
	if len(again) > 0 { // confirm with more runs before failing
		for k, v := range measure(bin, dir, again, 2**runs, *parallel) {
			counts[k] = append(counts[k], v...)
		}
	}
	var regressions []string
	for _, o := range selected {
		hand, lib := median(counts[o.name+"/"+o.baseline]), median(counts[o.name+"/sqlservice"])
		ratios[o.name] = ratio(o)
		was, change := "-", "-"
		if b, ok := base[o.name]; ok {
			was = fmt.Sprintf("%.3f", b)
			change = fmt.Sprintf("%+.1f%%", (ratio(o)/b-1)*100)
			if regressed(o) {
				regressions = append(regressions, fmt.Sprintf("%s: ratio %.3f, baseline %.3f (%s)", o.name, ratio(o), b, change))
			}
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%.3f\t%s\t%s\t%d\t\n", o.name, hand, lib, ratio(o), was, change, len(counts[o.name+"/sqlservice"]))
	}
	tw.Flush()

	if *update {
		for name, r := range base { // keep what this run did not count
			if _, ok := ratios[name]; !ok {
				ratios[name] = r
			}
		}
		if err := writeBaseline(*baselinePath, ratios); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("wrote %s\n", *baselinePath)
		return
	}
	if len(regressions) > 0 {
		log.Fatalf("instr: more than %.0f%% over the baseline:\n  %s", *tolerance*100, strings.Join(regressions, "\n  "))
	}
	fmt.Printf("every ratio within %.0f%% of the baseline\n", *tolerance*100)
}

// measure counts the instructions per operation of each operation in ops,
// for sqlservice and for its hand-written baseline, runs times each, by
// parallel valgrind processes at a time; keyed op/lib.
func measure(bin, dir string, ops []op, runs, parallel int) map[string][]float64 {
	type job struct {
		op, lib string
		n       int
	}
	var jobs []job
	for _, o := range ops {
		for _, lib := range []string{o.baseline, "sqlservice"} {
			for range runs {
				jobs = append(jobs, job{o.name, lib, o.n})
			}
		}
	}
	counts := make(map[string][]float64)
	var mu sync.Mutex
	var failed error
	sem := make(chan struct{}, max(parallel, 1))
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out, err := os.CreateTemp(dir, "callgrind.*")
			if err == nil {
				out.Close()
			}
			var total int64
			if err == nil {
				total, err = count(bin, out.Name(), j.op, j.lib, j.n, false)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed = errors.Join(failed, fmt.Errorf("%s/%s: %w", j.op, j.lib, err))
				return
			}
			counts[j.op+"/"+j.lib] = append(counts[j.op+"/"+j.lib], float64(total)/float64(j.n))
		}()
	}
	wg.Wait()
	if failed != nil {
		log.Fatalf("instr: %v", failed)
	}
	return counts
}

// benchDB is the database the operations run on (-db).
var benchDB = "memory"

// count runs n operations of op in lib under callgrind and returns the
// instructions counted between instrStart and instrStop.
func count(bin, out, op, lib string, n int, retried bool) (int64, error) {
	cmd := exec.Command("valgrind", "--tool=callgrind", "--zero-before=*instrStart", "--dump-before=*instrStop",
		"--callgrind-out-file="+out, bin, "-test.run", "^TestInstr$", "-test.count=1")
	cmd.Env = append(os.Environ(), "BENCH_DB="+benchDB, "BENCH_INSTR="+op+"/"+lib,
		"BENCH_INSTR_N="+strconv.Itoa(n), "GOGC=off", "GOMAXPROCS=1", "GODEBUG=asyncpreemptoff=1")
	output, err := cmd.CombinedOutput()
	if err != nil && strings.Contains(string(output), "Callgrind: ") && !retried {
		return count(bin, out, op, lib, n, true) // callgrind itself failed (see the package doc)
	}
	if err != nil {
		return 0, fmt.Errorf("%v\n%s", err, output)
	}
	defer os.Remove(out)
	defer os.Remove(out + ".1")
	return totals(out + ".1") // the dump at instrStop
}

// totals reads the "totals:" line of a callgrind dump: what was counted
// since the counters were last zeroed ("summary:" is since the start).
func totals(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "totals:"); ok {
			return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("%s: no totals line", path)
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// The baseline: one "<operation> <ratio>" per line; # starts a comment.
func readBaseline(path string) (map[string]float64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := make(map[string]float64)
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, v, ok := strings.Cut(line, " ")
		r, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("%s:%d: want \"<operation> <ratio>\"", path, i+1)
		}
		out[name] = r
	}
	return out, nil
}

func writeBaseline(path string, ratios map[string]float64) error {
	var sb strings.Builder
	if benchDB == "memory" {
		sb.WriteString("# Instruction ratio sqlservice / hand-written per operation (cmd/instr, in-memory SQLite).\n")
		sb.WriteString("# .ci/run fails when a ratio grows more than 3% over this. Rewrite with: go run ./cmd/instr -update\n")
	} else {
		fmt.Fprintf(&sb, "# Instruction ratio sqlservice / hand-written per operation of the client process (cmd/instr -db %s).\n", benchDB)
		fmt.Fprintf(&sb, "# Not checked by .ci/run. Rewrite with: go run ./cmd/instr -db %s -update\n", benchDB)
	}
	var names []string
	for _, o := range ops {
		if _, ok := ratios[o.name]; ok {
			names = append(names, o.name)
		}
	}
	for _, name := range names {
		fmt.Fprintf(&sb, "%s %.4f\n", name, ratios[name])
	}
	return os.WriteFile(path, []byte(sb.String()), 0o644)
}
