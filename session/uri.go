package session

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/sqlservice/sqlservice/builder"
)

// target is what a URI resolves to: the registered database of its scheme,
// a database/sql driver, its DSN and the SQL dialect.
type target struct {
	db      Database
	driver  string
	dsn     string
	dialect builder.Dialect
	memory  bool   // an in-memory SQLite database: one connection only
	path    string // the SQLite file
	masked  string // the URI with its password masked
}

// MaskURI returns uri with any password replaced by "***". It never fails:
// an unparsable URI is returned with everything between "://" and "@"
// masked.
func MaskURI(uri string) string {
	u, err := url.Parse(uri)
	if err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			return strings.Replace(u.String(), ":xxxxx@", ":***@", 1)
		}
		return uri
	}
	if err != nil {
		if i, j := strings.Index(uri, "://"), strings.LastIndex(uri, "@"); i >= 0 && j > i {
			return uri[:i+3] + "***" + uri[j:]
		}
	}
	return uri
}

// parseURI maps an SQLAlchemy-style URI to a driver and DSN.
//
//	sqlite://                  in-memory database
//	sqlite://:memory:          in-memory database
//	sqlite:///relative/path.db file relative to the working directory
//	sqlite:////abs/path.db     absolute path
//	sqlite:///app.db?driver=modernc  the pure-Go SQLite (the default without cgo)
//	mysql://user:pass@host:3306/db?param=value   (also mariadb://)
//	postgres://user:pass@host:5432/db?param=value (also postgresql://)
func parseURI(uri, encoding string) (*target, error) {
	masked := MaskURI(uri)
	bad := func(format string, args ...any) (*target, error) {
		return nil, &URIError{URI: masked, Reason: fmt.Sprintf(format, args...)}
	}
	if strings.ContainsRune(uri, 0) {
		return bad("contains a NUL byte")
	}
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return bad("want scheme://..., e.g. sqlite:///app.db, mysql://user:pass@host/db or postgres://user:pass@host/db")
	}
	if i := strings.IndexByte(scheme, '+'); i >= 0 {
		scheme = scheme[:i] // "postgresql+psycopg2://" → "postgresql"
	}
	db, ok := Lookup(scheme)
	if !ok {
		return bad("unknown scheme %q (want one of %s)", scheme, schemes())
	}
	t, err := db.target(uri, rest, masked, encoding)
	if err != nil {
		return nil, err
	}
	t.db, t.dialect = db, db.Dialect()
	return t, nil
}

func isUTF8(enc string) bool {
	switch strings.ToLower(strings.ReplaceAll(enc, "-", "")) {
	case "utf8", "utf8mb4":
		return true
	}
	return false
}
