package session

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/sqlservice/sqlservice/builder"
)

func mysqlTarget(uri, masked, encoding string) (*target, error) {
	bad := func(format string, args ...any) (*target, error) {
		return nil, &URIError{URI: masked, Reason: fmt.Sprintf(format, args...)}
	}
	u, err := url.Parse(uri)
	if err != nil {
		return bad("%s", strings.ReplaceAll(err.Error(), uri, masked))
	}
	cfg := mysql.NewConfig()
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	host := u.Host
	switch {
	case host == "":
		host = "127.0.0.1:3306"
	case u.Port() == "":
		host = net.JoinHostPort(u.Hostname(), "3306")
	}
	cfg.Net, cfg.Addr = "tcp", host
	if sock := u.Query().Get("unix_socket"); sock != "" {
		cfg.Net, cfg.Addr = "unix", sock
	}
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	if strings.Contains(cfg.DBName, "/") {
		return bad("database name %q contains '/'", cfg.DBName)
	}
	// What the ORM relies on: time.Time columns, affected rows that count
	// matched rather than changed rows, UTC, 4-byte UTF-8.
	cfg.ParseTime = true
	cfg.ClientFoundRows = true
	cfg.Loc = time.UTC
	// Cut nanoseconds to the microseconds DATETIME(6) holds, as pgx does
	// for PostgreSQL: MySQL 8 would round them, possibly into the next
	// second, day or year.
	if err := cfg.Apply(mysql.TimeTruncate(time.Microsecond)); err != nil {
		return bad("%v", err)
	}
	cfg.Collation = "utf8mb4_unicode_ci"
	cfg.Params = map[string]string{"charset": "utf8mb4"}
	if encoding != "" && !isUTF8(encoding) {
		cfg.Params["charset"] = encoding
		cfg.Collation = ""
	}
	var interpolate *bool
	for k, vs := range u.Query() {
		v := vs[len(vs)-1]
		switch k {
		case "unix_socket":
		case "charset":
			cfg.Params["charset"] = v
		case "collation":
			cfg.Collation = v
		case "timeout", "readTimeout", "writeTimeout":
			d, err := time.ParseDuration(v)
			if err != nil {
				return bad("%s=%q: %v", k, v, err)
			}
			switch k {
			case "timeout":
				cfg.Timeout = d
			case "readTimeout":
				cfg.ReadTimeout = d
			default:
				cfg.WriteTimeout = d
			}
		case "tls":
			cfg.TLSConfig = v
		case "interpolateParams":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return bad("%s=%q: %v", k, v, err)
			}
			interpolate = &b
		default:
			// Anything else is a system variable set on each connection.
			cfg.Params[k] = v
		}
	}
	// A statement that is not prepared (an IN list of a preload, a bulk
	// INSERT, Raw) is sent with its values escaped into the text by the
	// driver: one round trip instead of prepare, execute and close. The
	// driver does that safely only for ASCII-compatible character sets, so
	// only the UTF-8 ones get it by default; interpolateParams=false in the
	// URI turns it off.
	if interpolate == nil {
		cs := strings.ToLower(cfg.Params["charset"])
		on := cs == "utf8mb4" || cs == "utf8" || cs == "utf8mb3"
		interpolate = &on
	}
	cfg.InterpolateParams = *interpolate
	return &target{driver: "mysql", dsn: cfg.FormatDSN(), masked: masked}, nil
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

// mysqlLag reads Seconds_Behind_Master from SHOW SLAVE STATUS.
func mysqlLag(ctx context.Context, db *sql.DB) (time.Duration, error) {
	rows, err := db.QueryContext(ctx, "SHOW SLAVE STATUS")
	if err != nil {
		return -1, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return -1, err
	}
	at := -1
	for i, c := range cols {
		if c == "Seconds_Behind_Master" {
			at = i
		}
	}
	if at < 0 {
		return -1, errors.New("SHOW SLAVE STATUS has no Seconds_Behind_Master column")
	}
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var lag time.Duration // no source: not a replica, no lag
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return -1, err
		}
		if vals[at] == nil {
			return -1, rows.Close()
		}
		s, err := strconv.ParseInt(string(vals[at]), 10, 64)
		if err != nil {
			return -1, fmt.Errorf("Seconds_Behind_Master %q: %w", vals[at], err)
		}
		lag = max(lag, time.Duration(min(s, math.MaxInt64/int64(time.Second)))*time.Second)
	}
	return lag, rows.Err()
}

// showValueConn is showValue on a driver's connection.
func showValueConn(ctx context.Context, conn driver.Conn, show string) (string, error) {
	q, ok := conn.(driver.QueryerContext)
	if !ok {
		return "", fmt.Errorf("session: %T cannot run a query", conn)
	}
	rows, err := q.QueryContext(ctx, show, nil)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	vals := make([]driver.Value, len(rows.Columns()))
	if len(vals) != 2 {
		return "", fmt.Errorf("session: %s: %d columns", show, len(vals))
	}
	switch err := rows.Next(vals); {
	case errors.Is(err, io.EOF):
		return "", nil
	case err != nil:
		return "", err
	}
	switch v := vals[1].(type) {
	case []byte:
		return string(v), nil
	case string:
		return v, nil
	}
	return fmt.Sprint(vals[1]), nil
}

// showValue returns the value of the row of a SHOW ... LIKE statement, ""
// when there is none.
func showValue(ctx context.Context, db *sql.DB, show string) (string, error) {
	rows, err := db.QueryContext(ctx, show)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var name, value string
	if rows.Next() {
		if err := rows.Scan(&name, &value); err != nil {
			return "", err
		}
	}
	return value, rows.Err()
}

// errWsrepNotReady is the health check's finding of a Galera node that is
// not ready: every query on it would fail with error 1047.
var errWsrepNotReady = errors.New("galera node not ready (wsrep_ready is OFF): queries fail with error 1047")

// errWsrepRejects is the health check's finding of a Galera node drained
// with wsrep_reject_queries: ready, yet refusing every query with 1047.
var errWsrepRejects = errors.New("galera node rejects queries (wsrep_reject_queries is not NONE): queries fail with error 1047")

// mysqlCatalog is the catalogue queries of Reflect.
var mysqlCatalog = &reflectQueries{
	columns: `SELECT column_name, column_default, extra LIKE '%auto_increment%', collation_name, column_comment,
CASE WHEN LOWER(extra) LIKE '%on update %' THEN SUBSTRING(extra, LOCATE('on update ', LOWER(extra)) + 10) END, NULL
FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position`,
	indexes: `SELECT index_name, non_unique = 0, index_name = 'PRIMARY', column_name FROM information_schema.statistics
WHERE table_schema = DATABASE() AND table_name = ? ORDER BY index_name = 'PRIMARY' DESC, index_name, seq_in_index`,
	primaryKey: `SELECT column_name FROM information_schema.statistics
WHERE table_schema = DATABASE() AND table_name = ? AND index_name = 'PRIMARY' ORDER BY seq_in_index`,
	foreignKeys: `SELECT k.constraint_name, k.column_name, k.referenced_table_name, k.referenced_column_name, r.delete_rule, r.update_rule
FROM information_schema.key_column_usage k JOIN information_schema.referential_constraints r
ON r.constraint_schema = k.constraint_schema AND r.constraint_name = k.constraint_name AND r.table_name = k.table_name
WHERE k.table_schema = DATABASE() AND k.table_name = ? AND k.referenced_table_name IS NOT NULL
ORDER BY k.constraint_name, k.ordinal_position`,
}

// mysqlDatabase is MySQL and MariaDB (and what speaks their protocol),
// through github.com/go-sql-driver/mysql.
type mysqlDatabase struct{}

func init() {
	Register("mysql", mysqlDatabase{})
	Register("mariadb", mysqlDatabase{})
}

func (mysqlDatabase) Dialect() builder.Dialect { return builder.MySQL }

func (mysqlDatabase) target(uri, _, masked, encoding string) (*target, error) {
	return mysqlTarget(uri, masked, encoding)
}

func (mysqlDatabase) open(t *target) (*sql.DB, error) { return sql.Open(t.driver, t.dsn) }

func (mysqlDatabase) connector(t *target) (driver.Connector, error) {
	cfg, err := mysql.ParseDSN(t.dsn)
	if err == nil {
		var cn driver.Connector
		if cn, err = mysql.NewConnector(cfg); err == nil {
			return cn, nil
		}
	}
	return nil, &URIError{URI: t.masked, Reason: err.Error()}
}

func (mysqlDatabase) constraint(err error) *ConstraintError {
	var my *mysql.MySQLError
	if errors.As(err, &my) {
		return fromMySQL(my)
	}
	return nil
}

// classify reads the driver's errors: ErrInvalidConn (a connection found
// closed), 1053 and 1927 (server shutdown, connection killed: the session
// ends, which proves nothing of the statement), 1047 and the health
// check's errWsrepNotReady and errWsrepRejects (a MariaDB Galera node
// outside the Primary component, still joining, or drained: "WSREP has
// not yet prepared node for application use"), 1213 and 1205 (deadlock, lock wait timeout; also how
// Galera reports a certification failure, at COMMIT or at any statement).
// Any other error number is the server's answer.
func (mysqlDatabase) classify(err error) errorClass {
	var c errorClass
	var my *mysql.MySQLError
	if errors.As(err, &my) {
		c.lostConn = my.Number == 1053 || my.Number == 1927
		c.notReady = my.Number == 1047
		// A node not ready ran nothing of the transaction: run it again
		// (on a client of several primaries, on another node).
		c.retryable = my.Number == 1213 || my.Number == 1205 || c.notReady
		c.answered = !c.lostConn
	}
	if errors.Is(err, mysql.ErrInvalidConn) {
		c.lostConn = true
	}
	if errors.Is(err, errWsrepNotReady) || errors.Is(err, errWsrepRejects) {
		c.notReady = true
	}
	return c
}

// timeBinder: none. The driver writes every time argument (sql.NullTime
// and the like through their Value) in its connection's location, which
// mysqlTarget sets to UTC and checkBorrowed requires: it binds UTC itself.
func (mysqlDatabase) timeBinder() func(int, any, time.Time) (any, error) { return nil }

func (mysqlDatabase) refusesNaN() bool    { return false }
func (mysqlDatabase) writesAsQuery() bool { return false }

// serverSQL reads max_allowed_packet (see Client.checkSize) and the no-pad
// binary collations (see Client.tableCollation).
func (mysqlDatabase) serverSQL() string { return mysqlServerSQL }

// mysqlServerSQL is built once: Client.checkSize asks for it per call.
var mysqlServerSQL = "SELECT @@max_allowed_packet, (SELECT GROUP_CONCAT(COLLATION_NAME) FROM information_schema.COLLATIONS WHERE COLLATION_NAME IN ('" +
	strings.Join(builder.MySQLNoPadCollations, "', '") + "'))"

func (mysqlDatabase) catalog() *reflectQueries { return mysqlCatalog }

// ready: a Galera node outside the Primary component answers pings but
// refuses every query (error 1047); it still runs a statement that reads
// no table, so ask it. A server without Galera has no wsrep_on, or has it
// OFF (and then wsrep_ready OFF too).
func (mysqlDatabase) ready(ctx context.Context, db *sql.DB) error {
	return wsrepReady(func(show string) (string, error) { return showValue(ctx, db, show) })
}

// readyConn is ready on a connection of a primary endpoint, before the
// pool has it: a Galera node outside the Primary component accepts
// connections but no query.
func (mysqlDatabase) readyConn(ctx context.Context, conn driver.Conn) error {
	return wsrepReady(func(show string) (string, error) { return showValueConn(ctx, conn, show) })
}

// wsrepReady asks a server through show (showValue) whether it runs
// Galera and, if so, whether it is ready (errWsrepNotReady when not) and
// serves queries (errWsrepRejects when drained with wsrep_reject_queries).
func wsrepReady(show func(string) (string, error)) error {
	if on, err := show("SHOW VARIABLES LIKE 'wsrep_on'"); err != nil || !strings.EqualFold(on, "ON") {
		return err
	}
	ready, err := show("SHOW STATUS LIKE 'wsrep_ready'")
	if err != nil {
		return err
	}
	if !strings.EqualFold(ready, "ON") {
		return errWsrepNotReady
	}
	reject, err := show("SHOW VARIABLES LIKE 'wsrep_reject_queries'")
	if err == nil && reject != "" && !strings.EqualFold(reject, "NONE") {
		return errWsrepRejects
	}
	return err
}

func (mysqlDatabase) replicaLag(ctx context.Context, db *sql.DB) (time.Duration, error) {
	return mysqlLag(ctx, db)
}

func (mysqlDatabase) ddlForeignKeys() (off, on, check string) { return "", "", "" }

// intWidth matches an integer type's display width (MariaDB's int(11)).
var intWidth = regexp.MustCompile(`^(tinyint|smallint|mediumint|int|bigint)\(\d+\)`)

// mysqlCanonType: no integer display width (MariaDB's int(11)), synonyms
// to one name (INTEGER is int, BOOLEAN is tinyint, JSON is MariaDB's
// longtext).
func mysqlCanonType(t string) string {
	base, args, rest := splitType(intWidth.ReplaceAllString(t, "$1"))
	switch base {
	case "integer":
		base = "int"
	case "bool", "boolean":
		base, args = "tinyint", ""
	case "double precision", "real":
		base = "double"
	case "json":
		base = "longtext"
	case "numeric", "dec", "fixed":
		base = "decimal"
	case "character varying":
		base = "varchar"
	case "character":
		base = "char"
	}
	if base == "decimal" {
		args = decimalArgs(args, "10")
	}
	return join(base, args, rest)
}

func (mysqlDatabase) schema() *schemaDialect { return mysqlSchema }

// mysqlSchema: MySQL's ALTER TABLE (MODIFY COLUMN, DROP INDEX, DROP
// FOREIGN KEY, AFTER), and the indexes it makes for foreign keys.
var mysqlSchema = &schemaDialect{
	canonType:         mysqlCanonType,
	foreignKeyIndexes: true,
	explicitNull:      true,
	autoIncrementAttr: " AUTO_INCREMENT",
	columnPositions:   true,
	modifyColumn:      true,
	indexesOfTable:    true,
	falseLiteral:      "0",
	emptyBlob:         "''",
}

// checkBorrowed checks a pool given to OpenDB for what mysqlTarget sets:
// parseTime, loc=UTC and clientFoundRows.
func (mysqlDatabase) checkBorrowed(ctx context.Context, _ *sql.DB, conn *sql.Conn) (bool, error) {
	var at any
	if err := conn.QueryRowContext(ctx, "SELECT CAST('2000-01-02 03:04:05' AS DATETIME)").Scan(&at); err != nil {
		return false, fmt.Errorf("session: OpenDB: %w", err)
	}
	tm, ok := at.(time.Time)
	if !ok {
		return false, borrowedSetting("parseTime", "the MySQL driver returns DATETIME as text: open the pool with parseTime=true")
	}
	if tm.Location() != time.UTC {
		return false, borrowedSetting("loc", "the MySQL driver reads DATETIME in "+tm.Location().String()+": open the pool with loc=UTC (times are stored in UTC)")
	}
	found, err := mysqlCountsMatchedRows(ctx, conn)
	if err != nil {
		return false, fmt.Errorf("session: OpenDB: %w", err)
	}
	if !found {
		return false, borrowedSetting("clientFoundRows", "the MySQL driver counts changed rows, not matched ones: open the pool with clientFoundRows=true")
	}
	return false, nil
}

// mysqlCountsMatchedRows reports whether an UPDATE that changes nothing
// reports its matched row as affected (clientFoundRows), on a temporary
// table of the connection's own.
func mysqlCountsMatchedRows(ctx context.Context, conn *sql.Conn) (bool, error) {
	const table = "sqlservice_opendb_probe"
	if _, err := conn.ExecContext(ctx, "CREATE TEMPORARY TABLE "+table+" (id INT PRIMARY KEY, v INT)"); err != nil {
		return false, err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "DROP TEMPORARY TABLE IF EXISTS "+table)
	if _, err := conn.ExecContext(ctx, "INSERT INTO "+table+" VALUES (1, 1)"); err != nil {
		return false, err
	}
	res, err := conn.ExecContext(ctx, "UPDATE "+table+" SET v = 1 WHERE id = 1")
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, errors.Join(errors.New("rows affected"), err)
	}
	return n == 1, nil
}
