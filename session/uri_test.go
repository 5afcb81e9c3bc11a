package session

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseURI(t *testing.T) {
	def, _ := sqliteDriverName(defaultSQLiteDriver) // sqlite3 with cgo, sqlite without it or with the tag sqlservice_purego
	cases := []struct {
		uri     string
		driver  string
		dialect string
		memory  bool
		path    string
		dsn     []string // substrings the DSN must contain
	}{
		{"sqlite://", def, "sqlite", true, "", []string{"file::memory:", "_foreign_keys=1"}},
		{"sqlite://:memory:", def, "sqlite", true, "", []string{"file::memory:"}},
		{"sqlite:///app.db", def, "sqlite", false, "app.db", []string{"file:app.db?", "_journal_mode=WAL", "_busy_timeout=5000", "_foreign_keys=1", "_txlock=immediate"}},
		{"sqlite:///dir/sub/app.db", def, "sqlite", false, "dir/sub/app.db", nil},
		{"sqlite:////abs/path/app.db", def, "sqlite", false, "/abs/path/app.db", []string{"file:/abs/path/app.db?"}},
		{"sqlite:///app.db?_busy_timeout=100", def, "sqlite", false, "app.db", []string{"_busy_timeout=100"}},
		{"sqlite:///app.db?driver=mattn", "sqlite3", "sqlite", false, "app.db", []string{"_journal_mode=WAL", "_txlock=immediate", "_stmt_cache_size=64"}},
		{"sqlite://?driver=mattn", "sqlite3", "sqlite", true, "", []string{"file::memory:", "_stmt_cache_size=64"}},
		{"sqlite:///app.db?driver=mattn&_stmt_cache_size=0", "sqlite3", "sqlite", false, "app.db", []string{"_stmt_cache_size=0"}},
		{"sqlite:///app.db?driver=modernc", "sqlite", "sqlite", false, "app.db", []string{"file:app.db?", "_journal_mode=WAL", "_busy_timeout=5000", "_foreign_keys=1", "_txlock=immediate", "_synchronous=NORMAL"}},
		{"sqlite:///app.db?driver=modernc&_pragma=cache_size(-4000)", "sqlite", "sqlite", false, "app.db", []string{"_pragma=cache_size%28-4000%29"}},
		{"sqlite3:///app.db", def, "sqlite", false, "app.db", nil},
		{"mysql://u:p@db.example:3307/shop", "mysql", "mysql", false, "", []string{"u:p@tcp(db.example:3307)/shop", "parseTime=true", "clientFoundRows=true", "charset=utf8mb4"}},
		{"mariadb://u@db/shop", "mysql", "mysql", false, "", []string{"tcp(db:3306)/shop"}},
		{"mysql://u@h/shop?timeout=2s&sql_mode=ANSI", "mysql", "mysql", false, "", []string{"timeout=2s", "sql_mode=ANSI", "interpolateParams=true"}},
		{"postgres://u:p@h:5433/shop?sslmode=disable", "pgx", "postgres", false, "", []string{"postgres://u:p@h:5433/shop?sslmode=disable"}},
		{"postgresql://u@h/shop", "pgx", "postgres", false, "", []string{"postgres://u@h/shop"}},
		{"postgresql+psycopg2://u@h/shop", "pgx", "postgres", false, "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.uri, func(t *testing.T) {
			if tc.driver == "sqlite3" && !cgoSQLite {
				t.Skip("mattn's driver needs cgo")
			}
			tg, err := parseURI(tc.uri, "")
			require.NoError(t, err)
			assert.Equal(t, tc.driver, tg.driver)
			assert.Equal(t, tc.dialect, tg.dialect.Name())
			assert.Equal(t, tc.memory, tg.memory)
			assert.Equal(t, tc.path, tg.path)
			for _, s := range tc.dsn {
				assert.Contains(t, tg.dsn, s)
			}
		})
	}
}

func TestParseURIRejectsBadInput(t *testing.T) {
	cases := map[string]string{
		"no scheme":               "app.db",
		"unknown scheme":          "oracle://u:p@h/db",
		"sqlite with host":        "sqlite://host/app.db",
		"sqlite unknown param":    "sqlite:///app.db?evil=1",
		"sqlite empty path":       "sqlite:///",
		"sqlite unknown driver":   "sqlite:///app.db?driver=oracle",
		"sqlite driver twice":     "sqlite:///app.db?driver=modernc&driver=mattn",
		"modernc unknown param":   "sqlite:///app.db?driver=modernc&_stmt_cache_size=8",
		"nul byte":                "sqlite:///a\x00b.db",
		"mysql bad port":          "mysql://u:secret@h:port/db",
		"mysql slash in db":       "mysql://u:secret@h/a/b",
		"mysql bad timeout":       "mysql://u:secret@h/db?timeout=soon",
		"mysql bad interpolation": "mysql://u:secret@h/db?interpolateParams=maybe",
	}
	for name, uri := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := parseURI(uri, "")
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrBadURI))
			assert.NotContains(t, err.Error(), "secret", "the password must never appear in an error")
		})
	}
}

// MySQL statements that are not prepared carry their values escaped by the
// driver (one round trip), for UTF-8 connections only, unless the URI says
// otherwise.
func TestMySQLInterpolation(t *testing.T) {
	cases := []struct {
		uri, encoding string
		on            bool
	}{
		{"mysql://u@h/db", "", true},
		{"mysql://u@h/db?interpolateParams=false", "", false},
		{"mysql://u@h/db?charset=gbk", "", false},
		{"mysql://u@h/db?charset=gbk&interpolateParams=true", "", true},
		{"mysql://u@h/db", "utf8", true},
		{"mysql://u@h/db", "latin1", false},
	}
	for _, tc := range cases {
		t.Run(tc.uri+" "+tc.encoding, func(t *testing.T) {
			tg, err := parseURI(tc.uri, tc.encoding)
			require.NoError(t, err)
			assert.Equal(t, tc.on, strings.Contains(tg.dsn, "interpolateParams=true"), tg.dsn)
		})
	}
}

func TestEncoding(t *testing.T) {
	_, err := parseURI("sqlite:///a.db", "latin1")
	assert.ErrorIs(t, err, ErrBadURI)
	_, err = parseURI("postgres://u@h/db", "latin1")
	assert.ErrorIs(t, err, ErrBadURI)
	tg, err := parseURI("mysql://u@h/db", "latin1")
	require.NoError(t, err)
	assert.Contains(t, tg.dsn, "charset=latin1")
	_, err = parseURI("sqlite:///a.db", "UTF-8")
	assert.NoError(t, err)
}

func TestMaskURI(t *testing.T) {
	cases := map[string]string{
		"mysql://u:secret@h:3306/db":   "mysql://u:***@h:3306/db",
		"postgres://u:p%40ss@h/db?x=1": "postgres://u:***@h/db?x=1",
		"postgres://u@h/db":            "postgres://u@h/db",
		"sqlite:///app.db":             "sqlite:///app.db",
		"mysql://u:secret@h:port/db":   "mysql://***@h:port/db",
		"mysql://u:sec%zzret@h/db":     "mysql://***@h/db",
	}
	for in, want := range cases {
		got := MaskURI(in)
		assert.Equal(t, want, got, in)
		assert.False(t, strings.Contains(got, "secret"), in)
	}
}
