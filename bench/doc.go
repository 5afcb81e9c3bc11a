// Package bench compares sqlservice with hand-written database/sql, sqlx,
// GORM and bun on the same database, operation by operation. It is a module
// of its own so that the peers never enter the library's go.mod. The
// benchmarks and their cross-check live in the _test files; run.sh runs them
// in interleaved rounds and cmd/chart turns the rounds into a table and a
// chart.
package bench
