// Command chart turns the rounds of BenchmarkORM (go test -bench output,
// one file per round) into a markdown table and an SVG bar chart.
//
//	go run ./cmd/chart -o results/2026-11-25/sqlite results/2026-11-25/sqlite/round-*.txt
//
// For every operation and library it reports the median ns/op over the
// rounds, its ratio to the baseline (raw, or handwritten for ToMap) as a
// ratio of medians and as the median of the per-round ratios ("paired",
// which cancels the drift of a shared machine between rounds), allocs/op
// and B/op. It also checks the project's goals for sqlservice and lists
// which hold.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"html"
	"io"
	"log"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// sample is one benchmark result of one round.
type sample struct {
	round             int
	ns, cpu, b, alloc float64
}

type series struct {
	op, lib string
	samples []sample
}

var (
	line   = regexp.MustCompile(`^Benchmark(?:ORM|Concurrent)/op=([^/]+)/lib=([^\s-]+)(?:-\d+)?\s+\d+\s+(.*)$`)
	metric = regexp.MustCompile(`([\d.]+) (\S+)`)
)

// Display order; anything else follows in order of appearance.
var (
	opOrder  = []string{"InsertOne", "InsertBatch100", "GetByPK", "FindMany100", "UpdateOne", "DeleteOne", "Tx", "ToMap", "Preload100x10"}
	libOrder = []string{"raw", "handwritten", "sqlservice", "sqlx", "gorm", "bun", "structs"}
	colors   = map[string]string{"raw": "#7f7f7f", "handwritten": "#7f7f7f", "sqlservice": "#2ca02c", "sqlx": "#1f77b4", "gorm": "#d62728", "bun": "#ff7f0e", "structs": "#9467bd"}
)

func main() {
	out := flag.String("o", ".", "directory for table.md and chart.svg")
	title := flag.String("title", "", "chart title")
	note := flag.String("note", "", "text put above the table (machine, command)")
	flag.Parse()
	if flag.NArg() == 0 {
		log.Fatal("usage: chart [-o dir] round-1.txt round-2.txt ...")
	}
	data := map[[2]string]*series{}
	var ops, libs []string
	for i, name := range flag.Args() {
		f, err := os.Open(name)
		if err != nil {
			log.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			m := line.FindStringSubmatch(sc.Text())
			if m == nil {
				continue
			}
			k := [2]string{m[1], m[2]}
			s := data[k]
			if s == nil {
				s = &series{op: m[1], lib: m[2]}
				data[k] = s
				if !slices.Contains(ops, m[1]) {
					ops = append(ops, m[1])
				}
				if !slices.Contains(libs, m[2]) {
					libs = append(libs, m[2])
				}
			}
			x := sample{round: i, ns: math.NaN(), cpu: math.NaN(), b: math.NaN(), alloc: math.NaN()}
			for _, mm := range metric.FindAllStringSubmatch(m[3], -1) {
				switch mm[2] {
				case "ns/op":
					x.ns = num(mm[1])
				case "cpu-ns/op":
					x.cpu = num(mm[1])
				case "B/op":
					x.b = num(mm[1])
				case "allocs/op":
					x.alloc = num(mm[1])
				}
			}
			s.samples = append(s.samples, x)
		}
		f.Close()
	}
	if len(data) == 0 {
		log.Fatal("no BenchmarkORM results in the input")
	}
	sortBy(ops, opOrder)
	sortBy(libs, libOrder)
	rows := tabulate(data, ops, libs)

	var md strings.Builder
	if *note != "" {
		md.WriteString(*note + "\n\n")
	}
	writeSummary(&md, rows, ops, libs)
	md.WriteString("\n")
	writeTable(&md, rows)
	md.WriteString("\n")
	writeGoals(&md, rows)
	if err := os.WriteFile(filepath.Join(*out, "table.md"), []byte(md.String()), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*out, "chart.svg"), []byte(chart(rows, ops, *title)), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Print(md.String())
}

func num(s string) float64 {
	if s == "" {
		return math.NaN()
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		log.Fatal(err)
	}
	return v
}

func sortBy(xs, order []string) {
	rank := func(x string) int {
		if i := slices.Index(order, x); i >= 0 {
			return i
		}
		return len(order)
	}
	slices.SortStableFunc(xs, func(a, b string) int { return rank(a) - rank(b) })
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// row is one line of the table.
type row struct {
	op, lib, base        string
	n                    int
	ns, spread           float64
	ratio                float64 // median(lib) / median(base)
	paired, pmin, pmax   float64 // median, min and max of per-round ratios
	alloc, dalloc, bytes float64
	cpu, cpuPaired       float64 // median CPU ns/op; median of per-round CPU ratios
}

func tabulate(data map[[2]string]*series, ops, libs []string) []row {
	var rows []row
	for _, op := range ops {
		base := "raw"
		if data[[2]string{op, base}] == nil {
			base = "handwritten"
		}
		bs := data[[2]string{op, base}]
		for _, lib := range libs {
			s := data[[2]string{op, lib}]
			if s == nil {
				continue
			}
			r := row{op: op, lib: lib, base: base, n: len(s.samples)}
			var ns, cpu, b, al []float64
			for _, x := range s.samples {
				ns, cpu, b, al = append(ns, x.ns), append(cpu, x.cpu), append(b, x.b), append(al, x.alloc)
			}
			r.ns, r.cpu, r.bytes, r.alloc = median(ns), median(cpu), median(b), median(al)
			r.spread = (slices.Max(ns) - slices.Min(ns)) / 2 / r.ns
			r.ratio, r.paired, r.pmin, r.pmax, r.dalloc, r.cpuPaired = math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
			if bs != nil {
				var bns, bal []float64
				for _, x := range bs.samples {
					bns, bal = append(bns, x.ns), append(bal, x.alloc)
				}
				r.ratio = r.ns / median(bns)
				r.dalloc = r.alloc - median(bal)
				var pr, pc []float64
				for _, x := range s.samples {
					for _, y := range bs.samples {
						if x.round == y.round {
							pr = append(pr, x.ns/y.ns)
							if !math.IsNaN(x.cpu) && !math.IsNaN(y.cpu) {
								pc = append(pc, x.cpu/y.cpu)
							}
						}
					}
				}
				if len(pr) > 0 {
					r.paired, r.pmin, r.pmax = median(pr), slices.Min(pr), slices.Max(pr)
				}
				r.cpuPaired = median(pc)
			}
			rows = append(rows, r)
		}
	}
	return rows
}

func dur(ns float64) string {
	if math.IsNaN(ns) {
		return "–"
	}
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	}
	return fmt.Sprintf("%.0f ns", ns)
}

func size(b float64) string {
	if b >= 10240 {
		return fmt.Sprintf("%.1fk", b/1024)
	}
	return fmt.Sprintf("%.0f", b)
}

// writeSummary writes one line per operation: each library's median
// ns/op, paired ratio to the baseline and allocs/op.
func writeSummary(w io.Writer, rows []row, ops, libs []string) {
	var cols []string
	for _, l := range libs {
		if l != "handwritten" && l != "structs" {
			cols = append(cols, l)
		}
	}
	cols = append(cols, "structs")
	fmt.Fprintf(w, "| op | %s |\n|---|%s\n", strings.Join(cols, " | "), strings.Repeat("---:|", len(cols)))
	for _, op := range ops {
		fmt.Fprintf(w, "| %s |", op)
		for _, l := range cols {
			var r *row
			for i := range rows {
				lib := rows[i].lib
				if lib == "handwritten" {
					lib = "raw"
				}
				if rows[i].op == op && lib == l {
					r = &rows[i]
				}
			}
			if r == nil {
				fmt.Fprint(w, " |")
				continue
			}
			cell := fmt.Sprintf("%s (×%.2f) [%.0f]", dur(r.ns), r.paired, r.alloc)
			if r.lib == "sqlservice" {
				cell = "**" + cell + "**"
			}
			fmt.Fprintf(w, " %s |", cell)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "\nCell: median ns/op over the rounds (paired ratio to raw) [allocs/op]. For ToMap the raw column is a hand-written map literal.")
}

func writeTable(w io.Writer, rows []row) {
	fmt.Fprintln(w, "| op | lib | ns/op (median) | spread | ×raw | paired ×raw (min–max) | CPU/op | CPU paired ×raw | allocs/op | +allocs vs raw | B/op | rounds |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		lib := r.lib
		if lib == "sqlservice" {
			lib = "**sqlservice**"
		}
		fmt.Fprintf(w, "| %s | %s | %s | ±%.0f%% | %.2f | %.2f (%.2f–%.2f) | %s | %.2f | %.0f | %+.0f | %s | %d |\n",
			r.op, lib, dur(r.ns), 100*r.spread, r.ratio, r.paired, r.pmin, r.pmax, dur(r.cpu), r.cpuPaired, r.alloc, r.dalloc, size(r.bytes), r.n)
	}
	fmt.Fprintln(w, "\n×raw is the ratio of the medians; paired ×raw the median of the per-round ratios (same round, same machine state). CPU/op is the process's CPU time (user+system, all threads, so garbage collection included) per operation while the timer ran: unlike wall time it does not count time spent waiting for a core on a shared machine. ToMap's baseline is handwritten.")
}

// writeGoals checks sqlservice against the targets of the performance
// issue: single-row operations within 1.10× of raw and at most raw+10
// allocations, FindMany100 within 1.05×, every operation faster than sqlx,
// GORM and bun. Ratios are checked on the paired median.
func writeGoals(w io.Writer, rows []row) {
	get := func(op, lib string) *row {
		for i := range rows {
			if rows[i].op == op && rows[i].lib == lib {
				return &rows[i]
			}
		}
		return nil
	}
	fmt.Fprintln(w, "| goal | op | sqlservice | met |")
	fmt.Fprintln(w, "|---|---|---|---|")
	mark := func(ok bool) string {
		if ok {
			return "yes"
		}
		return "**no**"
	}
	for _, op := range []string{"InsertOne", "GetByPK", "UpdateOne", "DeleteOne", "Tx"} {
		if r := get(op, "sqlservice"); r != nil {
			fmt.Fprintf(w, "| ≤ 1.10× raw, ≤ raw+10 allocs | %s | %.2f× (%.2f× of medians), %+.0f allocs | %s |\n", op, r.paired, r.ratio, r.dalloc, mark(r.paired <= 1.10 && r.dalloc <= 10))
		}
	}
	if r := get("FindMany100", "sqlservice"); r != nil {
		fmt.Fprintf(w, "| ≤ 1.05× raw | FindMany100 | %.2f× (%.2f× of medians), %+.0f allocs | %s |\n", r.paired, r.ratio, r.dalloc, mark(r.paired <= 1.05))
	}
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r.op] {
			continue
		}
		seen[r.op] = true
		s := get(r.op, "sqlservice")
		if s == nil {
			continue
		}
		var slower []string
		var peers []string
		for _, p := range []string{"sqlx", "gorm", "bun"} {
			if q := get(r.op, p); q != nil {
				peers = append(peers, fmt.Sprintf("%s %s", p, dur(q.ns)))
				if q.ns <= s.ns {
					slower = append(slower, p)
				}
			}
		}
		if len(peers) == 0 {
			continue
		}
		verdict := "yes"
		if len(slower) > 0 {
			verdict = "**no**: not faster than " + strings.Join(slower, ", ")
		}
		fmt.Fprintf(w, "| faster than sqlx, gorm, bun | %s | %s vs %s | %s |\n", r.op, dur(s.ns), strings.Join(peers, ", "), verdict)
	}
}

// chart draws one group of horizontal bars per operation: each library's
// paired ratio to the baseline, on a log scale so that 1.05× and 8× both
// read.
func chart(rows []row, ops []string, title string) string {
	const (
		left, right = 175.0, 150.0
		plotW       = 560.0
		barH, gap   = 14.0, 3.0
		groupGap    = 16.0
		top         = 60.0
		maxRatio    = 10.0
	)
	x := func(ratio float64) float64 {
		ratio = math.Max(0.5, math.Min(ratio, maxRatio))
		return left + plotW*math.Log(ratio/0.5)/math.Log(maxRatio/0.5)
	}
	height := top + 44
	for _, op := range ops {
		for _, r := range rows {
			if r.op == op {
				height += barH + gap
			}
		}
		height += groupGap
	}
	width := left + plotW + right
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="Helvetica, Arial, sans-serif" font-size="11">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	if title == "" {
		title = "Time per operation relative to hand-written database/sql (log scale)"
	}
	fmt.Fprintf(&b, `<text x="8" y="22" font-size="14" font-weight="bold">%s</text>`+"\n", html.EscapeString(title))
	for _, t := range []float64{0.5, 1, 2, 5, 10} {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="%s" stroke-width="1"/>`+"\n", x(t), top-8, x(t), height-38, map[bool]string{true: "#333", false: "#ddd"}[t == 1])
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" text-anchor="middle" fill="#555">%g×</text>`+"\n", x(t), top-12, t)
	}
	y := top
	for _, op := range ops {
		first := true
		for _, r := range rows {
			if r.op != op {
				continue
			}
			if first {
				fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" font-weight="bold">%s</text>`+"\n", 8.0, y+barH-3, html.EscapeString(op))
				first = false
			}
			ratio := r.paired
			if math.IsNaN(ratio) {
				ratio = 1
			}
			fill := colors[r.lib]
			if fill == "" {
				fill = "#bcbd22"
			}
			fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" text-anchor="end" fill="#333">%s</text>`+"\n", left-6, y+barH-3, html.EscapeString(r.lib))
			fmt.Fprintf(&b, `<rect x="%.0f" y="%.1f" width="%.1f" height="%.0f" fill="%s"/>`+"\n", left, y, math.Max(1, x(ratio)-left), barH, fill)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#333">%.2f× · %s</text>`+"\n", x(ratio)+4, y+barH-3, ratio, dur(r.ns))
			y += barH + gap
		}
		y += groupGap
	}
	fmt.Fprintf(&b, `<text x="8" y="%.0f" fill="#555">Bars: median over rounds of library ns/op ÷ raw ns/op in the same round; labels: that ratio · median ns/op.</text>`+"\n", height-22)
	fmt.Fprintf(&b, `<text x="8" y="%.0f" fill="#555">ToMap is relative to a hand-written map literal. A library missing from a group did not run that operation.</text>`+"\n", height-8)
	b.WriteString("</svg>\n")
	return b.String()
}
