package record

import (
	"fmt"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/session"
)

// ForUpdate locks the rows the query reads (SELECT ... FOR UPDATE) until
// the transaction ends: another transaction that wants to change them, or
// lock them itself, waits. Read, change and save inside one Transaction
// with it, and no concurrent update is lost. The query runs on the
// primary; outside a transaction it returns ErrNoTransaction. Only the
// rows of T are locked, not those Preload loads; Count ignores the lock.
//
// On SQLite there is no clause: a write transaction holds the database's
// write lock from its BEGIN IMMEDIATE, so the rows cannot change until it
// ends anyway. On MySQL and MariaDB FOR UPDATE also locks the gaps between
// index entries it scans (REPEATABLE READ), which a query by primary key
// keeps to the rows themselves.
func (q *QuerySet[T]) ForUpdate() *QuerySet[T] {
	return q.withLock(func(l *builder.Lock) { l.Share = false })
}

// ForShare locks the rows the query reads against writers until the
// transaction ends (FOR SHARE on PostgreSQL, LOCK IN SHARE MODE on MySQL
// and MariaDB); other readers may lock them too. As ForUpdate otherwise.
func (q *QuerySet[T]) ForShare() *QuerySet[T] {
	return q.withLock(func(l *builder.Lock) { l.Share = true })
}

// SkipLocked leaves out the rows that another transaction has locked (a
// work queue's "take the next free job"); it implies ForUpdate unless
// ForShare was given. PostgreSQL, MariaDB 10.6+ and MySQL 8 (with
// ForUpdate) support it; on SQLite it changes nothing.
func (q *QuerySet[T]) SkipLocked() *QuerySet[T] {
	return q.withLock(func(l *builder.Lock) { l.SkipLocked = true })
}

// NoWait makes the locking read fail at once, instead of waiting, when a
// row is locked by another transaction; it implies ForUpdate unless
// ForShare was given. On SQLite it changes nothing.
func (q *QuerySet[T]) NoWait() *QuerySet[T] {
	return q.withLock(func(l *builder.Lock) { l.NoWait = true })
}

func (q *QuerySet[T]) withLock(set func(*builder.Lock)) *QuerySet[T] {
	n := q.clone()
	l := builder.Lock{}
	if q.lock != nil {
		l = *q.lock
	}
	set(&l)
	if l.SkipLocked && l.NoWait && n.err == nil {
		n.err = fmt.Errorf("record: query of %s: SkipLocked and NoWait exclude each other", q.name())
	}
	n.lock = &l
	return n
}

// lockClause returns the query's locking clause ("" for none) or
// ErrNoTransaction when it locks outside a transaction.
func (q *QuerySet[T]) lockClause() (string, error) {
	if q.lock == nil {
		return "", nil
	}
	if s := session.Current(q.ctx); s == nil || !s.InTransaction() {
		return "", fmt.Errorf("record: query of %s: %w", q.name(), ErrNoTransaction)
	}
	return q.c.Dialect().LockClause(*q.lock), nil
}

// lockKey is the lock's part of the shape key (sqlcache.go).
func (q *QuerySet[T]) lockKey() byte {
	if q.lock == nil {
		return 0
	}
	k := byte(1)
	if q.lock.Share {
		k |= 2
	}
	if q.lock.SkipLocked {
		k |= 4
	}
	if q.lock.NoWait {
		k |= 8
	}
	return k
}
