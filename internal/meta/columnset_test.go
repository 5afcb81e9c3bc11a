package meta_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sqlservice/sqlservice/internal/meta"
)

func TestColumnSetHoldsAnyWidth(t *testing.T) {
	positions := []int{0, 1, 63, 64, 70, 99, 127, 128, 1000}
	s := meta.ColumnSetOf(positions...)
	for p := range 1100 {
		want := false
		for _, q := range positions {
			want = want || p == q
		}
		assert.Equal(t, want, s.Has(p), "position %d", p)
	}
	assert.False(t, s.Empty())
	assert.True(t, meta.ColumnSet{}.Empty())
	assert.Equal(t, meta.ColumnSetOf(99, 1, 70), meta.ColumnSetOf(70, 99, 1), "equal sets are equal values, whatever the order of adding")
	assert.NotEqual(t, meta.ColumnSetOf(70), meta.ColumnSetOf(71))
}
