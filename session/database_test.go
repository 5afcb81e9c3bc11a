package session_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/session"
)

// Every scheme of the README is registered, to the database of its
// dialect, and aliases share one value.
func TestBuiltInDatabasesAreRegisteredUnderTheirSchemes(t *testing.T) {
	for scheme, dialect := range map[string]string{
		"sqlite": "sqlite", "sqlite3": "sqlite", "SQLite": "sqlite",
		"mysql": "mysql", "mariadb": "mysql",
		"postgres": "postgres", "postgresql": "postgres",
	} {
		db, ok := session.Lookup(scheme)
		require.True(t, ok, scheme)
		assert.Equal(t, dialect, db.Dialect().Name(), scheme)
	}
	_, ok := session.Lookup("oracle")
	assert.False(t, ok)
}

func TestRegisterRefusesWhatCannotBeAScheme(t *testing.T) {
	lite, _ := session.Lookup("sqlite")
	cases := []struct {
		name   string
		scheme string
		db     session.Database
	}{
		{"a scheme taken already", "postgres", lite},
		{"an alias taken already, in another case", "MariaDB", lite},
		{"an empty scheme", "", lite},
		{"a scheme with ://", "x://", lite},
		{"a scheme with a driver suffix", "x+y", lite},
		{"a nil database", "nothing", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Panics(t, func() { session.Register(c.scheme, c.db) })
		})
	}
	_, ok := session.Lookup("nothing")
	assert.False(t, ok, "a refused registration leaves nothing behind")
}

// The URI error for an unknown scheme lists the registered ones.
func TestUnknownSchemeNamesTheRegisteredOnes(t *testing.T) {
	_, err := session.Open(session.Config{DatabaseURI: "oracle://u@h/db"})
	require.ErrorIs(t, err, session.ErrBadURI)
	assert.Contains(t, err.Error(), "mariadb")
	assert.Contains(t, err.Error(), "postgresql")
	assert.Contains(t, err.Error(), "sqlite")
}
