package sqlgen

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sqlservice/sqlservice/builder"
	"github.com/sqlservice/sqlservice/registry"
)

type variantsWide struct {
	ID                                          int64 `db:"id,pk,autoincrement"`
	A, B, C, D, E, F, G, H, I, J, K, L, M, N, O int64
}

// setOf is the column set of the bits of mask (bit i is Model.Columns[i]).
func setOf(mask uint64) registry.ColumnSet {
	var s registry.ColumnSet
	for i := range 64 {
		if mask&(1<<i) != 0 {
			s.Add(i)
		}
	}
	return s
}

// Every set of columns is an UPDATE text of its own; the texts kept per
// model are bounded, and a variant beyond the bound is still right.
func TestVariantTextsAreBounded(t *testing.T) {
	m, err := registry.Of[variantsWide]()
	require.NoError(t, err)
	st := For(builder.SQLite, m)
	first := st.UpdateOf(setOf(0b110))
	for mask := uint64(2); mask < 2*(maxVariants+100); mask += 2 { // bit 0 is the key
		u := st.UpdateOf(setOf(mask))
		require.Equal(t, updateSQL(builder.SQLite, m, u.Columns), u.SQL)
		st.Insert(setOf(mask))
		st.Upsert(setOf(mask))
	}
	assert.Equal(t, maxVariants, st.updates.len())
	assert.Equal(t, maxVariants, st.inserts.len())
	assert.Equal(t, maxVariants, st.upserts.len())
	assert.Same(t, first, st.UpdateOf(setOf(0b110)), "kept variants are reused")
	beyond := uint64(2 * (maxVariants + 50))
	assert.Equal(t, st.UpdateOf(setOf(beyond)).SQL, st.UpdateOf(setOf(beyond)).SQL)
}
