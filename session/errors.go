package session

import (
	"database/sql"
	"errors"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
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
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) {
		if ce := fromMySQL(myErr); ce != nil {
			ce.Err = err
			return ce
		}
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		if ce := fromPostgres(pgErr); ce != nil {
			ce.Err = err
			return ce
		}
		return err
	}
	if liteErr, ok := asSQLiteError(err); ok {
		if ce := fromSQLite(liteErr); ce != nil {
			ce.Err = err
			ce.detail = liteErr.msg // the same text through either SQLite driver
			return ce
		}
	}
	return err
}

// fromMySQL reads the error numbers and messages of MySQL 8 and MariaDB:
//
//	1062 Duplicate entry 'x' for key 'email'            (MySQL 8: 'person.email')
//	1451 Cannot delete or update a parent row: a foreign key constraint fails (`db`.`child`, CONSTRAINT `c` FOREIGN KEY (`col`) REFERENCES ...)
//	1452 Cannot add or update a child row: ... (same)
//	1048 Column 'name' cannot be null
//	1364 Field 'name' doesn't have a default value
//	3819 Check constraint 'c' is violated.             (MySQL 8)
//	4025 CONSTRAINT `c` failed for `db`.`table`        (MariaDB)
func fromMySQL(e *mysql.MySQLError) *ConstraintError {
	msg := e.Message
	switch e.Number {
	case 1062, 1586, 1022:
		ce := &ConstraintError{Kind: ErrDuplicateKey}
		if i := strings.LastIndex(msg, " key '"); i >= 0 {
			key := strings.TrimSuffix(msg[i+len(" key '"):], "'")
			if t, k, ok := strings.Cut(key, "."); ok {
				ce.Table, key = t, k
			}
			ce.Constraint = key
		}
		return ce
	case 1451, 1452, 1216, 1217:
		ce := &ConstraintError{Kind: ErrForeignKey}
		if i := strings.Index(msg, "fails ("); i >= 0 {
			rest := msg[i+len("fails ("):]
			if t, ok := between(rest, "`.`", "`"); ok {
				ce.Table = t
			}
			if c, ok := between(rest, "CONSTRAINT `", "`"); ok {
				ce.Constraint = c
			}
			if col, ok := between(rest, "FOREIGN KEY (", ")"); ok {
				ce.Column = strings.ReplaceAll(col, "`", "")
			}
		}
		return ce
	case 1048:
		ce := &ConstraintError{Kind: ErrNotNull}
		ce.Column, _ = between(msg, "Column '", "'")
		return ce
	case 1364:
		ce := &ConstraintError{Kind: ErrNotNull}
		ce.Column, _ = between(msg, "Field '", "'")
		return ce
	case 3819:
		ce := &ConstraintError{Kind: ErrCheck}
		ce.Constraint, _ = between(msg, "constraint '", "'")
		return ce
	case 4025:
		ce := &ConstraintError{Kind: ErrCheck}
		ce.Constraint, _ = between(msg, "CONSTRAINT `", "`")
		if i := strings.LastIndex(msg, "`.`"); i >= 0 {
			ce.Table = strings.TrimSuffix(msg[i+len("`.`"):], "`")
		}
		// MariaDB names a column's own CHECK constraint after the column,
		// as "table.column" in this message.
		if t, col, ok := strings.Cut(ce.Constraint, "."); ok && t == ce.Table {
			ce.Column = col
		}
		return ce
	}
	return nil
}

// fromPostgres reads the SQLSTATE and the fields PostgreSQL reports. The
// column of a duplicate or missing key comes from the detail
// "Key (col)=(value) ...", which PostgreSQL does not translate.
func fromPostgres(e *pgconn.PgError) *ConstraintError {
	ce := &ConstraintError{Table: e.TableName, Constraint: e.ConstraintName, Column: e.ColumnName}
	switch e.Code {
	case "23505":
		ce.Kind = ErrDuplicateKey
		if ce.Column == "" {
			ce.Column, _ = between(e.Detail, "Key (", ")=")
		}
	case "23503":
		ce.Kind = ErrForeignKey
		// "Key (parent_id)=(9) is not present in table ..." names the
		// child's column; "Key (id)=(1) is still referenced ..." names the
		// parent's, which is not a column of Table.
		if ce.Column == "" && strings.Contains(e.Detail, " is not present in table ") {
			ce.Column, _ = between(e.Detail, "Key (", ")=")
		}
	case "23502":
		ce.Kind = ErrNotNull
	case "23514":
		ce.Kind = ErrCheck
	default:
		return nil
	}
	return ce
}

// fromSQLite reads the extended result code and the message, e.g.
// "UNIQUE constraint failed: person.email", "NOT NULL constraint failed:
// person.name", "CHECK constraint failed: price_positive" and "FOREIGN KEY
// constraint failed" (SQLite does not say which).
func fromSQLite(e sqliteError) *ConstraintError {
	if e.primary != sqliteConstraint {
		return nil
	}
	ce := &ConstraintError{}
	switch e.extended {
	case sqliteConstraintUnique, sqliteConstraintPrimaryKey, sqliteConstraintRowID:
		ce.Kind = ErrDuplicateKey
	case sqliteConstraintForeignKey:
		ce.Kind = ErrForeignKey
		return ce
	case sqliteConstraintNotNull:
		ce.Kind = ErrNotNull
	case sqliteConstraintCheck:
		ce.Kind = ErrCheck
		if _, name, ok := strings.Cut(e.msg, "constraint failed: "); ok {
			ce.Constraint = name
		}
		return ce
	default:
		return nil
	}
	_, cols, ok := strings.Cut(e.msg, "constraint failed: ")
	if !ok {
		return ce
	}
	var names []string
	for _, tc := range strings.Split(cols, ", ") {
		t, c, ok := strings.Cut(tc, ".")
		if !ok {
			continue
		}
		ce.Table = t
		names = append(names, c)
	}
	ce.Column = strings.Join(names, ", ")
	return ce
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
