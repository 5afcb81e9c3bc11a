package session

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzParseURI throws arbitrary URIs at the parser: it must never panic,
// must accept only the known schemes, and must never put a password into an
// error or the masked form.
func FuzzParseURI(f *testing.F) {
	for _, s := range []string{
		"sqlite://", "sqlite://:memory:", "sqlite:///app.db", "sqlite:////abs/app.db?_busy_timeout=10",
		"mysql://u:p@h:3306/db?timeout=1s", "mariadb://u@h/db", "postgres://u:p@h:5432/db?sslmode=disable",
		"postgresql+psycopg2://u:pw@h/db", "mysql://u:se:cret@h/db", "mysql://u:p%zz@h/db", "sqlite:///a\x00b",
		"oracle://x", "://", "mysql://[::1]:3306/db", "postgres://u:p@/db",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		tg, err := parseURI(uri, "")
		masked := MaskURI(uri)
		if u, perr := url.Parse(uri); perr == nil && u.User != nil {
			if pw, ok := u.User.Password(); ok && len(pw) >= 4 && !strings.Contains(u.User.Username()+u.Host+u.Path+u.RawQuery, pw) {
				if strings.Contains(masked, pw) {
					t.Fatalf("MaskURI(%q) = %q keeps the password", uri, masked)
				}
				if err != nil && strings.Contains(err.Error(), pw) {
					t.Fatalf("parseURI(%q) error %q shows the password", uri, err)
				}
			}
		}
		if err != nil {
			return
		}
		if tg.dialect == nil || tg.driver == "" || tg.dsn == "" && !tg.memory {
			t.Fatalf("parseURI(%q) accepted an incomplete target %+v", uri, tg)
		}
		scheme := strings.ToLower(strings.SplitN(strings.SplitN(uri, "://", 2)[0], "+", 2)[0])
		switch scheme {
		case "sqlite", "sqlite3", "mysql", "mariadb", "postgres", "postgresql":
		default:
			t.Fatalf("parseURI(%q) accepted scheme %q", uri, scheme)
		}
	})
}
