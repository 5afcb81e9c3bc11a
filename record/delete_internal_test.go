package record

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/internal/sqlgen"
	"github.com/sqlservice/sqlservice/registry"
)

type delSets struct {
	Base[delSets]
	ID      int64      `db:"id,pk,autoincrement"`
	Created time.Time  `db:"created_at,autocreate"`
	Touched time.Time  `db:"touched_at,autoupdate"`
	Gone    *time.Time `db:"gone_at,softdelete"`
	Seen    *time.Time `db:"seen_at,autoupdate"`
}

// The prepared soft delete of one row (builder) and the soft delete by
// criteria (record) set the same columns: the rule autoUpdated says.
func TestSoftDeleteSetsAgreeWithBuilder(t *testing.T) {
	m, err := registry.Of[delSets]()
	require.NoError(t, err)
	want := softDeleteSets(m)
	require.Len(t, want, 3)
	for _, d := range []builder.Dialect{builder.SQLite, builder.MySQL, builder.Postgres} {
		assert.Equal(t, want, sqlgen.For(d, m).SoftDeleteSets, d.Name())
	}
}
