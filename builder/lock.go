package builder

// Lock says which rows a SELECT locks, and how it waits for rows that
// other transactions locked (QuerySet.ForUpdate and its kin).
type Lock struct {
	Share      bool // lock against writers only (FOR SHARE); else FOR UPDATE
	SkipLocked bool // leave out rows another transaction has locked
	NoWait     bool // fail at once instead of waiting for such rows
}

// lockClause is FOR UPDATE or the shared lock spelled share, with the
// wait option.
func lockClause(l Lock, share string) string {
	s := "FOR UPDATE"
	if l.Share {
		s = share
	}
	switch {
	case l.SkipLocked:
		s += " SKIP LOCKED"
	case l.NoWait:
		s += " NOWAIT"
	}
	return s
}

// LockClause is PostgreSQL's.
func (postgresDialect) LockClause(l Lock) string { return lockClause(l, "FOR SHARE") }

// LockClause is MariaDB's spelling, which MySQL 8 reads too: LOCK IN SHARE
// MODE for a shared lock (MySQL 8 refuses SKIP LOCKED and NOWAIT after
// it; MariaDB takes them from 10.6).
func (mysqlDialect) LockClause(l Lock) string { return lockClause(l, "LOCK IN SHARE MODE") }

// LockClause is empty on SQLite: it has no row locks. A write transaction
// there begins with BEGIN IMMEDIATE and so holds the database's write lock
// from its first statement: the rows it reads cannot change until it ends,
// which is what FOR UPDATE and FOR SHARE ask; SKIP LOCKED and NOWAIT have
// nothing to act on (another writer waits at its BEGIN, up to the busy
// timeout, and then fails with ErrRetryable).
func (sqliteDialect) LockClause(Lock) string { return "" }
