package record

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

// Every typed error of the package that has a sentinel matches it through
// an Is method; Unwrap returns its cause (the driver's error, a handler's,
// an inner failure), never the sentinel.

// ErrNotFound is returned when a row that was asked for does not exist.
// errors.Is(err, sql.ErrNoRows) is true for it as well.
var ErrNotFound error = notFound{}

type notFound struct{}

func (notFound) Error() string { return "record: not found" }

// Is makes errors.Is(ErrNotFound, sql.ErrNoRows) true.
func (notFound) Is(target error) bool { return target == sql.ErrNoRows }

// NotFoundError names the model and key of a missing row. It matches
// ErrNotFound and sql.ErrNoRows.
type NotFoundError struct {
	Model string
	Key   any // the primary key asked for; nil for a query
}

func (e *NotFoundError) Error() string {
	if e.Key == nil {
		return fmt.Sprintf("record: no %s matches", e.Model)
	}
	return fmt.Sprintf("record: %s %v not found", e.Model, e.Key)
}

// Is makes errors.Is(err, ErrNotFound) and errors.Is(err, sql.ErrNoRows)
// true.
func (e *NotFoundError) Is(target error) bool {
	return target == ErrNotFound || target == sql.ErrNoRows
}

// ErrStale is matched by the error of a Save or Destroy of a record whose
// row another transaction changed or deleted since the record was read:
// its version column (tag option version) no longer holds the version the
// record was read with. Neither the record nor the row was changed. The
// error also matches session.ErrRetryable, so that a Transaction with
// session.Retry runs again, reading the row anew.
var ErrStale = errors.New("record: stale record")

// StaleError is the error of a write that found its row at another version
// (see ErrStale).
type StaleError struct {
	Model   string
	Key     any // the primary key
	Version any // the version the record was read with
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("record: %s %v was changed or deleted by another transaction since it was read at version %v", e.Model, e.Key, e.Version)
}

// Is makes errors.Is(err, ErrStale) and errors.Is(err,
// session.ErrRetryable) true.
func (e *StaleError) Is(target error) bool {
	return target == ErrStale || target == session.ErrRetryable
}

// ErrInvalidValue is matched by every *FieldError.
var ErrInvalidValue = errors.New("record: invalid value")

// FieldError reports a value that cannot be stored in a model's field.
type FieldError struct {
	Model  string
	Field  string
	Column string
	Err    error
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("record: %s.%s (column %q): %v", e.Model, e.Field, e.Column, e.Err)
}

// Is makes errors.Is(err, ErrInvalidValue) true.
func (e *FieldError) Is(target error) bool { return target == ErrInvalidValue }

// Unwrap returns the cause.
func (e *FieldError) Unwrap() error { return e.Err }

// ErrNoBase is returned by Base methods on a model that the registry does
// not know to embed record.Base.
var ErrNoBase = errors.New("record: model does not embed record.Base")

// ErrPageOutOfRange is returned by Paginate, and by a query with Page and
// PerPage, when the rows before the page are more than an int64 (a SQL
// OFFSET) counts.
var ErrPageOutOfRange = errors.New("record: page out of range")

// ErrNoPrimaryKey is returned when a key is needed but the record has none
// set.
var ErrNoPrimaryKey = errors.New("record: primary key is not set")

// KeyError reports a primary key value that does not fit the model.
type KeyError struct {
	Model string
	Key   any
	Err   error
}

func (e *KeyError) Error() string {
	return fmt.Sprintf("record: key %v for %s: %v", e.Key, e.Model, e.Err)
}

// Unwrap returns the cause.
func (e *KeyError) Unwrap() error { return e.Err }

func unknownColumn(m *registry.Model, name string) error {
	return &registry.UnknownColumnError{Model: m.Name, Column: name}
}

// The constraint sentinels of package session, for callers that import only
// record. A write that violates a constraint returns a *DBError wrapping a
// *ConstraintError, which matches one of them on every dialect:
//
//	err := u.Save(ctx)
//	if errors.Is(err, record.ErrDuplicateKey) { ... }
var (
	// ErrDuplicateKey is matched by a primary key or unique violation.
	ErrDuplicateKey = session.ErrDuplicateKey
	// ErrForeignKey is matched by a foreign key violation.
	ErrForeignKey = session.ErrForeignKey
	// ErrNotNull is matched by a NULL written to a NOT NULL column.
	ErrNotNull = session.ErrNotNull
	// ErrCheck is matched by a CHECK constraint violation.
	ErrCheck = session.ErrCheck
)

// ConstraintError is session.ConstraintError: the table, constraint and
// column of a violation, with the driver's error wrapped.
type ConstraintError = session.ConstraintError

// ErrNotRecords is matched by the error of All, Iter, First, One, Count,
// Paginate, Exists and Pluck on a query whose rows are not records of T: a
// GroupBy or Having, or a Select of expressions or of joined tables'
// columns. Read such a query with Scan.
var ErrNotRecords = errors.New("record: the query's rows are not records of the model (read them with record.Scan)")

// ErrNoTransaction is returned by a locking read (ForUpdate, ForShare,
// SkipLocked, NoWait) run outside a transaction, where its locks would end
// with the statement.
var ErrNoTransaction = errors.New("record: a locking read needs a transaction (run it inside Client.Transaction)")

// ErrMultipleRows is matched by the error One returns when more than one
// row matches.
var ErrMultipleRows = errors.New("record: more than one row matches")

// MultipleRowsError names the model of a query that One expected to match
// a single row. It matches ErrMultipleRows.
type MultipleRowsError struct {
	Model string
}

func (e *MultipleRowsError) Error() string {
	return fmt.Sprintf("record: more than one %s matches", e.Model)
}

// Is makes errors.Is(err, ErrMultipleRows) true.
func (e *MultipleRowsError) Is(target error) bool { return target == ErrMultipleRows }

// ErrRelation is matched by every *RelationError.
var ErrRelation = errors.New("record: relation")

// RelationError reports a problem with a relation field of a model: a value
// that does not fit it, or a related record that cannot be saved or
// detached. Path is the relation field, with an index for an element of a
// collection ("Roles[2]"); Err may itself be a *RelationError or
// *FieldError of the related model.
type RelationError struct {
	Model string
	Path  string
	Err   error
}

func (e *RelationError) Error() string {
	return fmt.Sprintf("record: %s.%s: %v", e.Model, e.Path, e.Err)
}

// Is makes errors.Is(err, ErrRelation) true.
func (e *RelationError) Is(target error) bool { return target == ErrRelation }

// Unwrap returns the cause.
func (e *RelationError) Unwrap() error { return e.Err }

// ErrReferenced is matched by every *ReferencedError.
var ErrReferenced = errors.New("record: row is still referenced")

// ReferencedError reports that destroying a row was refused by a foreign
// key: rows of another table still reference it. Relations names the
// model's relations (without rel:"cascade") whose rows may be the reason.
// Err is the database's error.
type ReferencedError struct {
	Model     string
	Key       any
	Relations []string
	Err       error
}

func (e *ReferencedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "record: cannot destroy %s", e.Model)
	if e.Key != nil {
		fmt.Fprintf(&b, " %v", e.Key)
	}
	b.WriteString(": rows of another table still reference it")
	if len(e.Relations) > 0 {
		fmt.Fprintf(&b, " (through %s: destroy those first, or tag the relation rel:\"cascade\" to destroy them with it)", strings.Join(e.Relations, ", "))
	}
	return b.String() + ": " + e.Err.Error()
}

// Is makes errors.Is(err, ErrReferenced) true.
func (e *ReferencedError) Is(target error) bool { return target == ErrReferenced }

// Unwrap returns the database's error.
func (e *ReferencedError) Unwrap() error { return e.Err }

// ErrDuplicateRecord is matched by the error SaveAll returns, before any
// SQL, when two records of one call have the same primary key (or
// identity).
var ErrDuplicateRecord = errors.New("record: two records have the same key")

// DuplicateRecordError names the two records of one SaveAll call that have
// the same key. It matches ErrDuplicateRecord.
type DuplicateRecordError struct {
	Model         string
	Columns       []string // the key or identity columns
	Key           []any    // their values
	First, Second int      // indexes of the records in the call
}

func (e *DuplicateRecordError) Error() string {
	return fmt.Sprintf("record: SaveAll of %s: records %d and %d have the same %s %v",
		e.Model, e.First, e.Second, strings.Join(e.Columns, ", "), e.Key)
}

// Is makes errors.Is(err, ErrDuplicateRecord) true.
func (e *DuplicateRecordError) Is(target error) bool { return target == ErrDuplicateRecord }

var errDuplicateKey = errors.New("given twice in one map (by column and by field name)")

// DBError wraps an error from the database with the model and operation.
type DBError struct {
	Model string
	Op    string // insert, update, delete, select
	Err   error
}

func (e *DBError) Error() string { return fmt.Sprintf("record: %s %s: %v", e.Op, e.Model, e.Err) }

// Unwrap returns the driver's error, or the *session.ConstraintError
// wrapping it (errors.Is(err, ErrDuplicateKey) and the like).
func (e *DBError) Unwrap() error { return e.Err }
