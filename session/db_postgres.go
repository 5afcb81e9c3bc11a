package session

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/registry"
)

// pgConnectorOf returns the connector of a PostgreSQL target. Its
// connections are set to read TIMESTAMPTZ values in UTC: pgx would return
// them in time.Local, while the MySQL driver (Loc=UTC) and SQLite (times
// bound in UTC, see bindArgs) return UTC, and a time.Time should look the
// same whichever database it came from.
func pgConnectorOf(t *target) (driver.Connector, error) {
	cfg, err := pgx.ParseConfig(t.dsn) // pgx redacts the password in its errors
	if err != nil {
		return nil, err
	}
	// A context that ends under a statement cancels it the way psql's
	// Ctrl-C does, with a cancel request, and the connection (and its
	// transaction) lives on: a statement timeout inside a Savepoint level
	// rolls back only that level. Only a server that does not answer the
	// cancel request within cancelDeadline gets its connection closed.
	cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, DeadlineDelay: cancelDeadline}
	}
	return pgConnector{stdlib.GetConnector(*cfg, stdlib.OptionAfterConnect(func(_ context.Context, c *pgx.Conn) error {
		c.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
		return nil
	}))}, nil
}

// cancelDeadline is how long a PostgreSQL statement whose context ended
// may take to stop after the cancel request before its connection is
// closed.
const cancelDeadline = 2 * time.Second

// pgConnector hands out pgx's connections wrapped in pgConn.
type pgConnector struct{ driver.Connector }

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	cn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return pgConn{cn.(*stdlib.Conn)}, nil
}

// pgConn is pgx's database/sql connection with one correction. pgx runs a
// statement with its simple protocol when it has no arguments (and every
// statement when the connection's default_query_exec_mode is
// simple_protocol), and when the connection is lost while the reply is
// read there, it reports the error as safe to retry, which its
// database/sql adapter turns into driver.ErrBadConn, on which database/sql
// sends the statement again: an INSERT whose reply was lost would be
// written twice. A connection that was open when such a statement started
// and is reported bad after it was lost during the statement; that is what
// pgConn reports instead.
type pgConn struct{ *stdlib.Conn }

// errLostDuring says that the connection was lost while a statement ran
// (see pgConn); it unwraps to io.ErrUnexpectedEOF, a lost connection.
var errLostDuring = fmt.Errorf("postgres: connection lost during the statement: %w", io.ErrUnexpectedEOF)

// simple reports whether pgx sends a statement with args with its simple
// protocol, and that the connection is open before it is sent.
func (c pgConn) simple(ctx context.Context, args []driver.NamedValue) bool {
	pc := c.Conn.Conn()
	if pc.IsClosed() || pc.PgConn().IsBusy() || ctx.Err() != nil {
		return false // pgx will refuse it unsent
	}
	return len(args) == 0 || pc.Config().DefaultQueryExecMode == pgx.QueryExecModeSimpleProtocol
}

func (c pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	simple := c.simple(ctx, args)
	res, err := c.Conn.ExecContext(ctx, query, args)
	if simple && errors.Is(err, driver.ErrBadConn) {
		return nil, errLostDuring
	}
	return res, err
}

func (c pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	simple := c.simple(ctx, args) && c.Conn.Conn().Config().DefaultQueryExecMode == pgx.QueryExecModeSimpleProtocol
	rows, err := c.Conn.QueryContext(ctx, query, args)
	if simple && errors.Is(err, driver.ErrBadConn) {
		return nil, errLostDuring
	}
	return rows, err
}

func postgresTarget(uri, masked, encoding string) (*target, error) {
	bad := func(format string, args ...any) (*target, error) {
		return nil, &URIError{URI: masked, Reason: fmt.Sprintf(format, args...)}
	}
	u, err := url.Parse(uri)
	if err != nil {
		return bad("%s", strings.ReplaceAll(err.Error(), uri, masked))
	}
	if encoding != "" && !isUTF8(encoding) {
		return bad("SQL_ENCODING %q: the pgx driver requires UTF8", encoding)
	}
	u.Scheme = "postgres"
	if u.Host == "" {
		u.Host = "127.0.0.1:5432"
	}
	return &target{driver: "pgx", dsn: u.String(), masked: masked}, nil
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

// pgConnClass reports whether a PostgreSQL error code says the session is
// ending: a connection exception (class 08) or an operator intervention
// that terminates it (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03
// cannot_connect_now). Such a notice can follow a statement that already
// committed, so it proves nothing about the statement.
func pgConnClass(code string) bool {
	return len(code) == 5 && code[:2] == "08" || code == "57P01" || code == "57P02" || code == "57P03"
}

// pgLagSQL measures a PostgreSQL standby's lag in seconds; -1 when it is
// unknown (WAL received but no transaction replayed since the start).
const pgLagSQL = `SELECT CASE
	WHEN NOT pg_is_in_recovery() THEN 0
	WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
	ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8, -1) END`

const pgTable = `to_regclass(format('%I.%I', current_schema(), $1::text))`

// postgresCatalog is the catalogue queries of Reflect.
var postgresCatalog = &reflectQueries{
	columns: `SELECT a.attname, pg_get_expr(d.adbin, d.adrelid), a.attidentity <> '' OR COALESCE(pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%', false),
(SELECT c.collname FROM pg_collation c JOIN pg_type t ON t.oid = a.atttypid WHERE c.oid = a.attcollation AND a.attcollation <> t.typcollation),
col_description(a.attrelid, a.attnum), NULL,
(SELECT n.nspname FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace WHERE c.oid = a.attcollation AND NOT pg_collation_is_visible(c.oid))
FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = ` + pgTable + ` AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
	indexes: `SELECT i.relname, ix.indisunique, ix.indisprimary, a.attname
FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid
CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum AND k.attnum > 0
WHERE ix.indrelid = ` + pgTable + ` ORDER BY ix.indisprimary DESC, i.relname, k.ord`,
	primaryKey: `SELECT a.attname FROM pg_index ix CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum
WHERE ix.indrelid = ` + pgTable + ` AND ix.indisprimary ORDER BY k.ord`,
	foreignKeys: `SELECT con.conname, a.attname, cf.relname, af.attname, con.confdeltype::text, con.confupdtype::text
FROM pg_constraint con CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(col, fcol, ord)
JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.col
JOIN pg_class cf ON cf.oid = con.confrelid
JOIN pg_attribute af ON af.attrelid = con.confrelid AND af.attnum = k.fcol
WHERE con.contype = 'f' AND con.conrelid = ` + pgTable + ` ORDER BY con.conname, k.ord`,
}

// postgresDatabase is PostgreSQL (and what speaks its protocol), through
// pgx's database/sql driver.
type postgresDatabase struct{}

func init() {
	Register("postgres", postgresDatabase{})
	Register("postgresql", postgresDatabase{})
}

func (postgresDatabase) Dialect() builder.Dialect { return builder.Postgres }

func (postgresDatabase) target(uri, _, masked, encoding string) (*target, error) {
	return postgresTarget(uri, masked, encoding)
}

func (postgresDatabase) open(t *target) (*sql.DB, error) {
	cn, err := pgConnectorOf(t)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(cn), nil
}

func (postgresDatabase) connector(t *target) (driver.Connector, error) {
	cn, err := pgConnectorOf(t)
	if err != nil {
		return nil, &URIError{URI: t.masked, Reason: err.Error()}
	}
	return cn, nil
}

func (postgresDatabase) constraint(err error) *ConstraintError {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return fromPostgres(pg)
	}
	return nil
}

// classify reads pgx's errors: its safe-to-retry mark (nothing was sent),
// a failed connect, and the SQLSTATE of the server's errors — the session
// ending (pgConnClass), 57P03 cannot_connect_now (a server starting up, or
// a standby not yet consistent), 40001 and 40P01 (serialization failure,
// deadlock). pgx.ErrTxCommitRollback is the server's answer ROLLBACK to a
// COMMIT: the transaction had failed.
func (postgresDatabase) classify(err error) errorClass {
	var c errorClass
	c.notSent = pgconn.SafeToRetry(err)
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		c.lostConn = pgConnClass(pg.Code)
		c.notReady = pg.Code == "57P03"
		c.retryable = pg.Code == "40001" || pg.Code == "40P01"
		c.answered = !c.lostConn
	}
	var ce *pgconn.ConnectError
	c.unreachable = errors.As(err, &ce)
	if errors.Is(err, pgx.ErrTxCommitRollback) {
		c.answered = true
	}
	return c
}

// timeBinder binds times in UTC: pgx writes a TIMESTAMP (without time
// zone) argument's wall clock in the time's own location.
func (postgresDatabase) timeBinder() func(int, any, time.Time) (any, error) { return bindPostgresTime }

func bindPostgresTime(_ int, a any, t time.Time) (any, error) { return bindUTC(a, t), nil }

func (postgresDatabase) refusesNaN() bool    { return false }
func (postgresDatabase) writesAsQuery() bool { return false }
func (postgresDatabase) serverSQL() string   { return "" }

func (postgresDatabase) catalog() *reflectQueries { return postgresCatalog }

func (postgresDatabase) ready(ctx context.Context, db *sql.DB) error { return pingReady(ctx, db) }

func (postgresDatabase) readyConn(context.Context, driver.Conn) error { return nil }

// replicaLag reads a standby's lag with pgLagSQL.
func (postgresDatabase) replicaLag(ctx context.Context, db *sql.DB) (time.Duration, error) {
	var s float64
	if err := db.QueryRowContext(ctx, pgLagSQL).Scan(&s); err != nil {
		return -1, err
	}
	if s < 0 {
		return -1, nil
	}
	return time.Duration(s * float64(time.Second)), nil
}

func (postgresDatabase) ddlForeignKeys() (off, on, check string) { return "", "", "" }

var pgAliases = map[string]string{
	"int": "integer", "int4": "integer", "serial": "integer", "serial4": "integer",
	"int8": "bigint", "bigserial": "bigint", "serial8": "bigint",
	"int2": "smallint", "smallserial": "smallint",
	"bool":   "boolean",
	"float8": "double precision", "float": "double precision",
	"float4":  "real",
	"varchar": "character varying",
	"char":    "character", "bpchar": "character",
	"decimal": "numeric",
}

// postgresCanonType: format_type's names (VARCHAR(255) is character
// varying(255), TIMESTAMPTZ is timestamp with time zone).
func postgresCanonType(t string) string {
	base, args, rest := splitType(t)
	if alias, ok := pgAliases[base]; ok {
		base = alias
	}
	switch {
	case base == "timestamptz":
		base, rest = "timestamp", "with time zone"
	case (base == "timestamp" || base == "time") && rest == "":
		rest = "without time zone"
	case base == "timestamp with time zone" || base == "timestamp without time zone":
		base, rest, _ = strings.Cut(base, " ")
	}
	if base == "numeric" && args != "" {
		args = decimalArgs(args, "")
	}
	return join(base, args, rest)
}

func (postgresDatabase) schema() *schemaDialect { return postgresSchema }

// postgresSchema: an identity column's type is what precedes GENERATED in
// its definition; unique keys are constraints.
var postgresSchema = &schemaDialect{
	canonType: postgresCanonType,
	autoIncrementType: func(d builder.Dialect, c *registry.Column) string {
		t, _, _ := strings.Cut(d.AutoIncrement(c), " GENERATED")
		return t
	},
	uniqueIsConstraint: true,
	falseLiteral:       "false",
	emptyBlob:          "''",
}

// checkBorrowed checks that a pool given to OpenDB hands out pgConn
// connections, made by the connector Open uses (see OpenDB).
func (postgresDatabase) checkBorrowed(_ context.Context, _ *sql.DB, conn *sql.Conn) (bool, error) {
	ours := false
	if err := conn.Raw(func(dc any) error { _, ours = dc.(pgConn); return nil }); err != nil {
		return false, fmt.Errorf("session: OpenDB: %w", err)
	}
	if !ours {
		return false, borrowedSetting("connector", "build the PostgreSQL pool with sql.OpenDB(session.Connector(uri)): with pgx's own connections a write without arguments whose reply is lost is sent twice, and a statement past its deadline loses the transaction")
	}
	return false, nil
}
