// Package migrate runs versioned SQL migrations: numbered files with an up
// and a down part, applied in order, each in a transaction where the
// database allows DDL in one (PostgreSQL and SQLite; MySQL and MariaDB
// commit every DDL statement on their own), recorded in a version table
// with a checksum of the file, one runner at a time.
//
// A migration is a pair of files in one directory (or any fs.FS, such as
// an embed.FS):
//
//	0001_create_users.up.sql
//	0001_create_users.down.sql
//
// The number is the version (any width; files sort by its value), the rest
// of the name describes it. Statements are separated by semicolons outside
// quotes, comments and PostgreSQL dollar quotes; a statement that holds
// semicolons of its own (a trigger body) goes between the lines
// "-- sqlservice:begin" and "-- sqlservice:end".
//
// The runner keeps, per applied migration, its version, name, the SHA-256
// of its up file and the time it ran, in the table sqlservice_migrations.
// An applied file that changed afterwards is refused (ErrChecksum), as is a
// pending file numbered below an applied one (ErrOutOfOrder) and an
// applied migration whose file is gone (ErrMissing): every command checks
// before it runs anything. One runner at a time holds a lock (PostgreSQL
// advisory lock, MySQL GET_LOCK, a lock row on SQLite); another waits for
// it up to LockTimeout, then fails with ErrLocked.
//
// On SQLite each migration runs with foreign_keys off and PRAGMA
// foreign_key_check before the commit, the procedure SQLite documents for
// rebuilding a table, which session.Client.Diff writes for the changes its
// ALTER TABLE cannot make. FromPlan turns a Diff plan into the text of a
// migration pair; Create writes the next pair of files.
//
// The package depends on nothing outside the standard library and this
// module; cmd/sqlservice (a module of its own) puts a command line on it.
package migrate
