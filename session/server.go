package session

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sqlservice/sqlservice/builder"
)

// serverInfo is what the client reads from a MySQL or MariaDB server once
// and then relies on.
type serverInfo struct {
	// collation is the no-pad binary collation of the tables CreateAll
	// makes, or builder.MySQLCollation when the server has none.
	collation string
	// maxPacket is max_allowed_packet: the largest statement the server
	// accepts.
	maxPacket int64
}

// serverOnce keeps serverInfo once read; a failed read is tried again by
// the next caller.
type serverOnce struct {
	mu   sync.Mutex
	info *serverInfo
}

// mysqlServer returns the facts of the client's MySQL or MariaDB server,
// reading them on first use; nil for other dialects. No lock is held while
// reading: a caller whose transaction holds the pool's only connection must
// not wait for another caller that waits for that connection. Two first
// callers may both read; they read the same.
func (c *Client) mysqlServer(ctx context.Context) (*serverInfo, error) {
	if c.database.serverSQL() == "" {
		return nil, nil
	}
	c.server.mu.Lock()
	info := c.server.info
	c.server.mu.Unlock()
	if info != nil {
		return info, nil
	}
	info, err := c.readServer(ctx)
	if err != nil {
		return nil, err
	}
	c.server.mu.Lock()
	defer c.server.mu.Unlock()
	if c.server.info == nil {
		c.server.info = info
	}
	return c.server.info, nil
}

// readServer reads max_allowed_packet and the no-pad collations in one
// query, on the connection of the caller's session if any (the pool may
// have no other), not seen by hooks (nor echoed): it reads the server,
// not data.
func (c *Client) readServer(ctx context.Context) (*serverInfo, error) {
	cn, sess, err := c.conn(ctx)
	if err != nil {
		return nil, err
	}
	if sess != nil {
		defer sess.leave()
	}
	q := c.database.serverSQL()
	var packet, names sql.NullString
	if err := cn.QueryRowContext(ctx, q).Scan(&packet, &names); err != nil {
		return nil, fmt.Errorf("session: read max_allowed_packet and collations of %s: %w", c.target.masked, err)
	}
	info := &serverInfo{collation: builder.MySQLCollation}
	info.maxPacket, _ = strconv.ParseInt(packet.String, 10, 64)
	have := strings.Split(names.String, ",")
	for _, want := range builder.MySQLNoPadCollations {
		if slices.Contains(have, want) {
			info.collation = want
			break
		}
	}
	return info, nil
}

// tableCollation rewrites a MySQL CREATE TABLE to the server's collation.
func (c *Client) tableCollation(ctx context.Context, stmt string) (string, error) {
	info, err := c.mysqlServer(ctx)
	if err != nil || info == nil || info.collation == builder.MySQLCollation {
		return stmt, err
	}
	suffix := " COLLATE=" + builder.MySQLCollation
	if !strings.HasPrefix(stmt, "CREATE TABLE") || !strings.HasSuffix(stmt, suffix) {
		return stmt, nil
	}
	return strings.TrimSuffix(stmt, suffix) + " COLLATE=" + info.collation, nil
}

// checkSize returns a *StatementSizeError when query with args would be
// larger than the server accepts: on MySQL and MariaDB, more than
// max_allowed_packet (read once per client). The size is counted as the
// driver sends a statement with its values escaped into the text, which is
// never less than as a prepared statement's values. Other databases have no
// such limit; checkSize returns nil for them. The error of reading the
// server's setting is returned as is.
func (c *Client) checkSize(ctx context.Context, query string, args []any) error {
	info, err := c.mysqlServer(ctx)
	if err != nil || info == nil || info.maxPacket <= 0 {
		return err
	}
	// First a bound that reads no string: every byte escaped. Only a
	// statement the bound puts over the limit is counted byte by byte.
	size := statementBytes(query, args, false)
	if size > info.maxPacket {
		size = statementBytes(query, args, true)
	}
	if size > info.maxPacket {
		return &StatementSizeError{Size: size, Max: info.maxPacket}
	}
	return nil
}

// statementBytes is the most bytes query with args escaped into its text
// takes, counted exactly or bounded (see argBytes).
func statementBytes(query string, args []any, exact bool) int64 {
	size := int64(len(query)) + 1 // the command byte
	for _, a := range args {
		size += argBytes(a, exact)
	}
	return size
}

// argBytes is the most bytes that a escapes to in a MySQL statement's
// text; not exact, a string or byte slice counts as if every byte were
// escaped (never less than exact).
func argBytes(a any, exact bool) int64 {
	switch v := a.(type) { // the common types first: none is a driver.Valuer
	case nil:
		return 4 // NULL
	case string:
		return textBytes(v, exact) + 2
	case []byte:
		return textBytes(string(v), exact) + 10 // _binary'…'
	case time.Time:
		return 28 // '2006-01-02 15:04:05.999999'
	case int64, int, int32, int16, int8, uint64, uint, uint32, uint16, uint8, float64, float32, bool:
		return 24
	}
	if v, ok := a.(driver.Valuer); ok {
		if rv := reflect.ValueOf(a); rv.Kind() == reflect.Pointer && rv.IsNil() {
			return 4
		}
		dv, err := v.Value()
		if err != nil {
			return 4 // the driver reports the error
		}
		a = dv
	}
	switch v := a.(type) {
	case nil:
		return 4 // NULL
	case string:
		return textBytes(v, exact) + 2
	case []byte:
		return textBytes(string(v), exact) + 10
	case time.Time:
		return 28
	}
	rv := reflect.ValueOf(a)
	switch {
	case rv.Kind() == reflect.Pointer && rv.IsNil():
		return 4
	case rv.Kind() == reflect.Pointer:
		return argBytes(rv.Elem().Interface(), exact)
	case rv.Kind() == reflect.String:
		return textBytes(rv.String(), exact) + 2
	case rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8:
		return textBytes(string(rv.Bytes()), exact) + 10
	}
	return 24 // numbers and booleans
}

// textBytes is escapedLen(s), or its bound 2·len(s) when not exact.
func textBytes(s string, exact bool) int64 {
	if !exact {
		return 2 * int64(len(s))
	}
	return escapedLen(s)
}

// escapedLen is the length of s with the backslash escapes of MySQL string
// literals.
func escapedLen(s string) int64 {
	n := int64(len(s))
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 0, '\n', '\r', '\\', '\'', '"', 0x1a:
			n++
		}
	}
	return n
}
