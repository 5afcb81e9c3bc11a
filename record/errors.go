package record

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/sqlservice/sqlservice/registry"
	"github.com/sqlservice/sqlservice/session"
)

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

// Unwrap returns ErrInvalidValue and the cause.
func (e *FieldError) Unwrap() []error { return []error{ErrInvalidValue, e.Err} }

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
