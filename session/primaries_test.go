package session_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/session"
)

func TestPrimariesConfig(t *testing.T) {
	t.Run("OpenMap takes a comma-separated string and masks passwords", func(t *testing.T) {
		cfg, err := session.ConfigFromMap(map[string]any{"SQL_DATABASE_URI": "mysql://app:s3cret@db1/app",
			"SQL_DATABASE_PRIMARIES": "mysql://app:s3cret@db2/app, mysql://app:s3cret@db3/app", "SQL_MAX_REPLICA_LAG": "2s"})
		require.NoError(t, err)
		assert.Equal(t, []string{"mysql://app:s3cret@db2/app", "mysql://app:s3cret@db3/app"}, cfg.Primaries)
		assert.Equal(t, "2s", cfg.MaxReplicaLag.String())
		assert.NotContains(t, fmt.Sprintf("%v %#v %v", cfg, cfg, cfg.Map()), "s3cret")
	})
	t.Run("another dialect is refused", func(t *testing.T) {
		_, err := session.Open(session.Config{DatabaseURI: "mysql://app@127.0.0.1:1/app", Primaries: []string{"postgres://app@127.0.0.1:1/app"}})
		require.ErrorIs(t, err, session.ErrConfig)
	})
	t.Run("SQLite has one endpoint", func(t *testing.T) {
		_, err := session.Open(session.Config{DatabaseURI: "sqlite:///" + t.TempDir() + "/a.db", Primaries: []string{"sqlite:///" + t.TempDir() + "/b.db"}})
		require.ErrorIs(t, err, session.ErrConfig)
	})
	t.Run("a negative MaxReplicaLag is refused", func(t *testing.T) {
		_, err := session.Open(session.Config{DatabaseURI: "sqlite:///" + t.TempDir() + "/a.db", Replicas: []string{"sqlite:///" + t.TempDir() + "/b.db"}, MaxReplicaLag: -1})
		require.ErrorIs(t, err, session.ErrConfig)
	})
}
