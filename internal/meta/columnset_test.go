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

// Removing columns gives the same value as never adding them, at any
// width (a set is a map key: equal sets must compare equal).
func TestColumnSetRemoveEqualsNeverAdded(t *testing.T) {
	cases := []struct {
		name          string
		added, remove []int
	}{
		{"low bits", []int{0, 5, 63}, []int{5}},
		{"a high bit, its byte emptied", []int{1, 64, 200}, []int{200}},
		{"every high bit", []int{3, 64, 70, 130}, []int{64, 70, 130}},
		{"a column not in the set", []int{2, 80}, []int{81, 500, 7}},
		{"everything", []int{0, 64, 999}, []int{999, 0, 64}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := meta.ColumnSetOf(c.added...)
			for _, p := range c.remove {
				s.Remove(p)
			}
			var kept []int
			for _, p := range c.added {
				gone := false
				for _, q := range c.remove {
					gone = gone || p == q
				}
				if !gone {
					kept = append(kept, p)
				}
			}
			assert.Equal(t, meta.ColumnSetOf(kept...), s)
			assert.True(t, meta.ColumnSetOf(kept...) == s, "comparable: == agrees")
		})
	}
}
