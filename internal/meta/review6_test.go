package meta

import "testing"

// Remove keeps a ColumnSet comparable: taking columns out of a wide set
// gives a set equal to the one built from what is left, past position 64
// and with the top byte emptied.
func TestReview6ColumnSetRemoveIsCanonical(t *testing.T) {
	all := []int{0, 5, 63, 64, 70, 71, 72, 80, 127, 128, 200}
	for _, drop := range [][]int{{200}, {128, 200}, {64, 70, 71}, {72, 80, 127, 128, 200}, {0, 63}, {300}, {65}} {
		s := ColumnSetOf(all...)
		gone := map[int]bool{}
		for _, p := range drop {
			s.Remove(p)
			gone[p] = true
		}
		var left []int
		for _, p := range all {
			if !gone[p] {
				left = append(left, p)
			}
		}
		if want := ColumnSetOf(left...); s != want {
			t.Errorf("remove %v: %+v, want %+v", drop, s, want)
		}
		for _, p := range all {
			if s.Has(p) == gone[p] {
				t.Errorf("remove %v: Has(%d) = %v", drop, p, s.Has(p))
			}
		}
	}
	// The set removed from is a copy: the original keeps its columns.
	a := ColumnSetOf(64, 100)
	b := a
	b.Remove(100)
	if !a.Has(100) || b.Has(100) {
		t.Errorf("Remove changed the set it was copied from: %+v %+v", a, b)
	}
}
