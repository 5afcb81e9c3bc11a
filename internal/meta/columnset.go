package meta

// ColumnSet is a set of a model's columns by position (Column.Pos), of any
// width: the columns an INSERT omits, an UPDATE sets, a bulk row binds. It
// is comparable, so it keys the caches of statements by the columns they
// touch. The zero ColumnSet is empty.
type ColumnSet struct {
	lo uint64 // columns 0 to 63: bit i is column i
	hi string // columns from 64: bit i%8 of byte i/8 is column 64+i; never a trailing zero byte
}

// ColumnSetOf returns the set of the columns at the given positions.
func ColumnSetOf(positions ...int) ColumnSet {
	var s ColumnSet
	for _, p := range positions {
		s.Add(p)
	}
	return s
}

// Add puts the column at position pos into the set.
func (s *ColumnSet) Add(pos int) {
	if pos < 64 {
		s.lo |= 1 << uint(pos)
		return
	}
	i := pos - 64
	b := []byte(s.hi)
	for len(b) <= i/8 {
		b = append(b, 0)
	}
	b[i/8] |= 1 << uint(i%8)
	s.hi = string(b)
}

// Remove takes the column at position pos out of the set.
func (s *ColumnSet) Remove(pos int) {
	if pos < 64 {
		s.lo &^= 1 << uint(pos)
		return
	}
	i := pos - 64
	if i/8 >= len(s.hi) || s.hi[i/8]&(1<<uint(i%8)) == 0 {
		return
	}
	b := []byte(s.hi)
	b[i/8] &^= 1 << uint(i%8)
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1] // no trailing zero byte: equal sets compare equal
	}
	s.hi = string(b)
}

// Has reports whether the column at position pos is in the set.
func (s ColumnSet) Has(pos int) bool {
	if pos < 64 {
		return s.lo&(1<<uint(pos)) != 0
	}
	i := pos - 64
	return i/8 < len(s.hi) && s.hi[i/8]&(1<<uint(i%8)) != 0
}

// Empty reports whether the set holds no column.
func (s ColumnSet) Empty() bool { return s.lo == 0 && s.hi == "" }
