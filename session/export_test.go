package session

// IsPrepared reports whether the client holds a prepared statement for
// query (for tests of the statement cache).
func IsPrepared(c *Client, query string) bool {
	_, ok := c.stmts.Load(query)
	return ok
}
