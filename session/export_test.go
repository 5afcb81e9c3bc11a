package session

// IsPrepared reports whether the client holds a prepared statement for
// query (for tests of the statement cache).
func IsPrepared(c *Client, query string) bool {
	return c.stmts.contains(query)
}

// CachedStatements returns how many prepared statements the client keeps.
func CachedStatements(c *Client) int { return c.stmts.len() }
