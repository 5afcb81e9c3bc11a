#!/usr/bin/env bash
# Runs BenchmarkORM and BenchmarkConcurrent in interleaved rounds and writes, under
# results/<date>/<db>/: round-N.txt (raw go test output of each round),
# env.txt (machine, versions), table.md and chart.svg (from cmd/chart), and
# benchstat.txt when benchstat can be fetched. Prints the table.
#
#   ./run.sh                          # SQLite WAL file, 6 rounds of 1 s
#   ROUNDS=10 BENCHTIME=2s ./run.sh
#   BENCH='op=(GetByPK|FindMany100)' ./run.sh
#   BENCH_DB=postgres SQLSERVICE_POSTGRES_URI=postgres://... ./run.sh   # also mysql, memory
#   BENCH_DB=all ./run.sh             # sqlite, postgres and mysql, one after another
#   BENCH_TMPDIR=/tmp ./run.sh        # the SQLite file on disk instead of tmpfs
#   BENCH_PG_SYNC=on BENCH_DB=postgres ./run.sh   # commits wait for the WAL flush (off by default)
#
# The SQLite file is created under BENCH_TMPDIR, by default /dev/shm (tmpfs)
# when the machine has it: the benchmark compares what the libraries add to
# the same SQLite work, and a disk's write-back stalls (which hit whichever
# library runs at the time) spread the rounds more than the libraries differ.
#
# The test binary is built once; each round runs every operation, all
# libraries of one operation back to back, with the library order rotated
# from round to round (BENCH_ROUND), so that all libraries share the
# machine's drift. TestSanity runs first: a library that returns wrong
# results is not timed.
set -euo pipefail
cd "$(dirname "$0")"

if [ "${BENCH_DB:-}" = all ]; then
	# SQLite, then both servers (their URIs from SQLSERVICE_POSTGRES_URI and
	# SQLSERVICE_MYSQL_URI), one after another: each run as below.
	for d in sqlite postgres mysql; do
		BENCH_DB=$d OUT=${OUT:+$OUT/$d} "./$(basename "$0")" || exit
	done
	exit 0
fi

rounds=${ROUNDS:-6}
benchtime=${BENCHTIME:-1s}
filter=${BENCH:-}
db=${BENCH_DB:-sqlite}
tmpdir=${BENCH_TMPDIR:-}
if [ -z "$tmpdir" ]; then
	if [ -d /dev/shm ] && [ -w /dev/shm ]; then tmpdir=/dev/shm; else tmpdir=${TMPDIR:-/tmp}; fi
fi
out=${OUT:-results/$(date -u +%Y-%m-%d)/$db}
mkdir -p "$out"
rm -f "$out"/round-*.txt

bin=$(mktemp -d)/bench.test
trap 'rm -rf "$(dirname "$bin")"' EXIT
go test -c -o "$bin" .

TMPDIR=$tmpdir BENCH_DB=$db "$bin" -test.run '^TestSanity$' -test.count 1 >/dev/null || {
	echo "TestSanity failed: fix the benchmarks first" >&2
	TMPDIR=$tmpdir BENCH_DB=$db "$bin" -test.run '^TestSanity$' -test.count 1 >&2
	exit 1
}

{
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- .. ':!results' 2>/dev/null || echo ' (modified)')"
	echo "go: $(go version)"
	echo "os: $(uname -sr)"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') × $(nproc)"
	echo "memory: $(free -h | awk '/^Mem:/ {print $2}')"
	echo "db: $db; rounds: $rounds; benchtime: $benchtime; filter: ${filter:-all}$([ "$db" = postgres ] && echo "; synchronous_commit ${BENCH_PG_SYNC:-off}")$([ "$db" = sqlite ] && echo "; file on $tmpdir ($(df --output=fstype "$tmpdir" 2>/dev/null | tail -1))")"
	echo "modules:"
	go list -m github.com/mattn/go-sqlite3 github.com/jmoiron/sqlx gorm.io/gorm gorm.io/driver/sqlite github.com/uptrace/bun github.com/fatih/structs github.com/Masterminds/squirrel | sed 's/^/  /'
} >"$out/env.txt"
cat "$out/env.txt"

for r in $(seq 1 "$rounds"); do
	echo "round $r/$rounds" >&2
	TMPDIR=$tmpdir BENCH_DB=$db BENCH_ROUND=$r "$bin" -test.run '^$' -test.bench "Benchmark(ORM|Concurrent)/${filter}" \
		-test.benchtime "$benchtime" -test.benchmem -test.count 1 >"$out/round-$r.txt"
done

# Where the 16 goroutines of BenchmarkConcurrent wait: a mutex and a block
# profile of one more run of it per library (PROFILE=0 skips it).
if [ "${PROFILE:-1}" = 1 ] && [ "$db" != memory ]; then
	for lib in raw sqlservice; do
		TMPDIR=$tmpdir BENCH_DB=$db "$bin" -test.run '^$' -test.bench "BenchmarkConcurrent/op=[^/]*/lib=$lib\$" \
			-test.benchtime "$benchtime" -test.count 1 \
			-test.mutexprofile "$out/mutex-$lib.pprof" -test.mutexprofilefraction 1 \
			-test.blockprofile "$out/block-$lib.pprof" -test.blockprofilerate 1000 >/dev/null
		for kind in mutex block; do
			go tool pprof -top -nodecount 15 "$bin" "$out/$kind-$lib.pprof" >"$out/$kind-$lib.txt" 2>/dev/null || true
		done
	done
fi

if [ "${BENCHSTAT:-1}" = 1 ]; then
	cat "$out"/round-*.txt >"$out/all.txt"
	timeout 300 go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da \
		-col /lib -row /op "$out/all.txt" >"$out/benchstat.txt" 2>/dev/null ||
		echo "(benchstat unavailable; the table does not need it)" >"$out/benchstat.txt"
	rm -f "$out/all.txt"
fi

note="$(head -7 "$out/env.txt" | sed 's/^/    /')"
go run ./cmd/chart -o "$out" -note "$note" "$out"/round-*.txt
echo >&2
echo "written: $out/{round-*.txt,env.txt,table.md,chart.svg,benchstat.txt,{mutex,block}-{raw,sqlservice}.{pprof,txt}}" >&2
