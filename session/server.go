package session

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

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

// serverOnce reads serverInfo at most once per client; a failed read is
// tried again by the next caller.
type serverOnce struct {
	mu   sync.Mutex
	info *serverInfo
}

// mysqlServer returns the facts of the client's MySQL or MariaDB server,
// reading them on first use; nil for other dialects.
func (c *Client) mysqlServer(ctx context.Context) (*serverInfo, error) {
	if c.dialect != builder.MySQL {
		return nil, nil
	}
	c.server.mu.Lock()
	defer c.server.mu.Unlock()
	if c.server.info != nil {
		return c.server.info, nil
	}
	// One query, on the connection of the caller's session if any (the
	// pool may have no other), not echoed: it reads the server, not data.
	cn, sess, err := c.conn(ctx)
	if err != nil {
		return nil, err
	}
	if sess != nil {
		defer sess.leave()
	}
	q := "SELECT @@max_allowed_packet, (SELECT GROUP_CONCAT(COLLATION_NAME) FROM information_schema.COLLATIONS WHERE COLLATION_NAME IN ('" +
		strings.Join(builder.MySQLNoPadCollations, "', '") + "'))"
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
	c.server.info = info
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
