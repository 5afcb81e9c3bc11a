package session

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Every typed error of the package that has a sentinel matches it through
// an Is method; Unwrap returns its cause (the driver's error, a handler's,
// an inner failure), never the sentinel.

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

// Sentinel errors of the package.
var (
	// ErrClosed is returned by every operation on a closed Client.
	ErrClosed = errors.New("session: client is closed")
	// ErrNoClient is returned when a context carries no client and no
	// default client is set.
	ErrNoClient = errors.New("session: no client in context and no default client (use session.SetDefault or Client.Context)")
	// ErrTxDone is returned when a Session is used after its transaction
	// ended.
	ErrTxDone = errors.New("session: transaction has already been committed or rolled back")
)

// ErrConfig is matched by every *ConfigError.
var ErrConfig = errors.New("session: bad configuration")

// ConfigError reports a configuration key or value that cannot be used.
type ConfigError struct {
	Key    string
	Reason string
}

func (e *ConfigError) Error() string { return "session: config " + e.Key + ": " + e.Reason }

// Is makes errors.Is(err, ErrConfig) true.
func (e *ConfigError) Is(target error) bool { return target == ErrConfig }

// ErrDestructive is matched by the error Apply returns when a plan holds a
// destructive step and AllowDestructive was not given.
var ErrDestructive = errors.New("session: the plan has destructive steps")

// ErrRetryable is matched by a failure that running the whole transaction
// again may cure, on every dialect: a serialization failure or a deadlock
// (PostgreSQL 40001 and 40P01; MySQL and MariaDB 1213 and 1205, which is
// also how a Galera cluster reports a certification failure, at COMMIT or
// at any statement; and 1047, a Galera node outside the Primary component,
// which ran nothing), and SQLite's database-is-busy after its busy timeout.
// The driver's error stays wrapped. Retry(n) re-runs a Transaction on it.
var ErrRetryable = errors.New("session: retryable failure (serialization failure, deadlock or lock timeout)")

// RetryableError is a retryable driver error (see ErrRetryable).
type RetryableError struct{ Err error }

func (e *RetryableError) Error() string { return "session: retryable: " + e.Err.Error() }

// Is makes errors.Is(err, ErrRetryable) true.
func (e *RetryableError) Is(target error) bool { return target == ErrRetryable }

// Unwrap returns the driver's error.
func (e *RetryableError) Unwrap() error { return e.Err }

// ErrStatementTooLarge is matched by every *StatementSizeError.
var ErrStatementTooLarge = errors.New("session: statement larger than the server accepts")

// StatementSizeError reports a statement that the server would refuse for
// its size (MySQL and MariaDB drop the connection on a packet over
// max_allowed_packet); it was not sent.
type StatementSizeError struct {
	Size int64 // the statement's size as sent, in bytes (an estimate from above)
	Max  int64 // the server's max_allowed_packet
}

func (e *StatementSizeError) Error() string {
	return fmt.Sprintf("session: a statement of about %d bytes exceeds the server's max_allowed_packet of %d bytes", e.Size, e.Max)
}

// Is makes errors.Is(err, ErrStatementTooLarge) true.
func (e *StatementSizeError) Is(target error) bool { return target == ErrStatementTooLarge }

// ErrConcurrentUse is returned when two goroutines use one Session at the
// same time. A Session belongs to the goroutine whose context carries it;
// start a Transaction per goroutine instead.
var ErrConcurrentUse = errors.New("session: a Session is used by two goroutines at once")

// ErrRolledBack is matched by the error Transaction returns when a nested
// level failed and the caller went on as if it had not: the whole
// transaction was rolled back although the outermost function returned nil.
var ErrRolledBack = errors.New("session: transaction rolled back")

// RollbackError is returned by the outermost Transaction when an inner
// level failed but its error was swallowed; Cause is that error.
type RollbackError struct{ Cause error }

func (e *RollbackError) Error() string {
	return "session: transaction rolled back because an inner level failed: " + e.Cause.Error()
}

// Is makes errors.Is(err, ErrRolledBack) true.
func (e *RollbackError) Is(target error) bool { return target == ErrRolledBack }

// Unwrap returns the inner failure.
func (e *RollbackError) Unwrap() error { return e.Cause }

// ErrCommitUnknown is matched by the error of a COMMIT (or of a write
// outside a transaction, which commits by itself) whose outcome is unknown:
// the connection was lost or the context ended after the statement was
// sent and before its reply arrived, so the database may have committed
// it or not. The library pretends neither: records keep the in-memory
// state they were written with (keys set, as saved), the identity map is
// emptied, and neither AfterCommit nor AfterRollback hooks run. Check with
// a read (on a fresh context) whether the rows are there; never re-run the
// work blindly.
var ErrCommitUnknown = errors.New("session: the commit's outcome is unknown")

// ErrTxAborted is matched by errors of a transaction that ended under the
// caller: its connection was closed (a statement cancelled on MySQL or
// MariaDB closes it) or the database rolled it back, so nothing of it was
// or will be committed and the enclosing levels fail too.
var ErrTxAborted = errors.New("session: the transaction was aborted")

// ErrBadURI is matched by every *URIError.
var ErrBadURI = errors.New("session: bad database URI")

// URIError reports a database URI that cannot be used. URI has its password
// masked.
type URIError struct {
	URI    string
	Reason string
}

func (e *URIError) Error() string {
	return fmt.Sprintf("session: database URI %q: %s", e.URI, e.Reason)
}

// Is makes errors.Is(err, ErrBadURI) true.
func (e *URIError) Is(target error) bool { return target == ErrBadURI }

// ErrUnstorable is matched by every *ValueError.
var ErrUnstorable = errors.New("session: the database cannot store the value")

// ValueError reports a statement argument that the database would not
// store as given; the statement is not sent. Arg is the argument's index
// (0-based), so that callers can name the column it was meant for.
type ValueError struct {
	Arg    int
	Value  any
	Reason string
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("session: argument %d (%v): %s", e.Arg+1, e.Value, e.Reason)
}

// Is makes errors.Is(err, ErrUnstorable) true.
func (e *ValueError) Is(target error) bool { return target == ErrUnstorable }
