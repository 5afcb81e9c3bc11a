package dbtest

import (
	"log/slog"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/internal/faultproxy"
	"github.com/sqlservice/sqlservice/session"
)

// Proxied returns a second client of db's database (a server's) whose
// connections pass through a fault proxy of the test's own on 127.0.0.1,
// and the proxy. Both are closed when t ends. SQLite has no connection to
// fault: it fails the test.
func Proxied(t testing.TB, db *DB, cfg session.Config) (*DB, *faultproxy.Proxy) {
	t.Helper()
	require.NotEqual(t, "sqlite", db.Dialect, "dbtest: SQLite has no server connection to proxy")
	u, err := url.Parse(db.URI)
	require.NoError(t, err)
	p, err := faultproxy.Start(u.Host)
	require.NoError(t, err)
	u.Host = p.Addr()
	c := &counter{}
	cfg.DatabaseURI = u.String()
	cfg.Echo = true
	cfg.Logger = slog.New(c)
	client, err := session.Open(cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		client.Close()
		p.Close()
	})
	return &DB{Client: client, Dialect: db.Dialect, URI: u.String(), stmts: c}, p
}
