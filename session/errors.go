package session

import (
	"database/sql"
	"errors"
	"strings"
)

// Sentinels of the constraint a statement violated. Every *ConstraintError
// matches exactly one of them, on every dialect:
//
//	if errors.Is(err, session.ErrDuplicateKey) { ... }
var (
	// ErrDuplicateKey is matched by a violation of a primary key or unique
	// constraint.
	ErrDuplicateKey = errors.New("session: duplicate key")
	// ErrForeignKey is matched by a violation of a foreign key: a child row
	// pointing at a missing parent, or a parent row deleted or re-keyed
	// while children reference it.
	ErrForeignKey = errors.New("session: foreign key violation")
	// ErrNotNull is matched by a NULL (or a missing value without default)
	// written to a NOT NULL column.
	ErrNotNull = errors.New("session: not null violation")
	// ErrCheck is matched by a violation of a CHECK constraint.
	ErrCheck = errors.New("session: check constraint violation")
)

// ConstraintError is a driver's constraint violation in a form that is the
// same on every dialect. Fields the driver does not report are empty:
// SQLite names no foreign key, MySQL names no column of a duplicate key
// (record fills that in from the model when it can).
type ConstraintError struct {
	Kind       error  // ErrDuplicateKey, ErrForeignKey, ErrNotNull or ErrCheck
	Table      string // the constrained table; for a foreign key, the child table
	Constraint string // the constraint or index name
	Column     string // the constrained column; "a, b" for a composite key
	Err        error  // the driver's error

	detail string // the database's own message, when the driver's error text adds to it
}

func (e *ConstraintError) Error() string {
	var b strings.Builder
	b.WriteString(e.Kind.Error())
	var parts []string
	if e.Table != "" {
		parts = append(parts, "table "+e.Table)
	}
	if e.Constraint != "" {
		parts = append(parts, "constraint "+e.Constraint)
	}
	if e.Column != "" {
		parts = append(parts, "column "+e.Column)
	}
	if len(parts) > 0 {
		b.WriteString(" (" + strings.Join(parts, ", ") + ")")
	}
	b.WriteString(": ")
	if e.detail != "" {
		b.WriteString(e.detail)
	} else {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Is makes errors.Is(err, e.Kind) true.
func (e *ConstraintError) Is(target error) bool { return target == e.Kind }

// Unwrap returns the driver's error, so that errors.As with
// *mysql.MySQLError, *pgconn.PgError or sqlite3.Error still works.
func (e *ConstraintError) Unwrap() error { return e.Err }

// TranslateError returns err with a constraint violation reported by the
// MySQL, PostgreSQL or SQLite driver replaced by a *ConstraintError that
// wraps it, and a retryable failure (see ErrRetryable) by a
// *RetryableError; any other error, and nil, is returned unchanged. The Client
// applies it to every statement it runs; call it yourself for statements
// run on Client.DB directly.
func TranslateError(err error) error {
	if err == nil || err == sql.ErrNoRows {
		return err
	}
	var ce *ConstraintError
	var re *RetryableError
	if errors.As(err, &ce) || errors.As(err, &re) {
		return err
	}
	if retryable(err) {
		return &RetryableError{Err: err}
	}
	for _, db := range databases() {
		if ce := db.constraint(err); ce != nil {
			ce.Err = err
			return ce
		}
	}
	return err
}

// between returns the text of s between the first open and the next close.
func between(s, open, close string) (string, bool) {
	i := strings.Index(s, open)
	if i < 0 {
		return "", false
	}
	s = s[i+len(open):]
	j := strings.Index(s, close)
	if j < 0 {
		return "", false
	}
	return s[:j], true
}
