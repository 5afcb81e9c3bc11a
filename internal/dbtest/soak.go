package dbtest

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// SoakEnv sets how long each dialect of a soak test runs (a Go duration).
const SoakEnv = "SQLSERVICE_SOAK"

// SoakDuration is how long each dialect is soaked: SQLSERVICE_SOAK for the
// long run, 4 s by default, 1 s under -short.
func SoakDuration(t testing.TB) time.Duration {
	if s := os.Getenv(SoakEnv); s != "" {
		d, err := time.ParseDuration(s)
		require.NoError(t, err, SoakEnv)
		return d
	}
	if testing.Short() {
		return time.Second
	}
	return 4 * time.Second
}
