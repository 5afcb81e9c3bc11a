package sqlgen

// UpsertIsExact reports whether the Upsert statements of the model update
// only the row with the same primary key. MySQL's ON DUPLICATE KEY UPDATE
// fires on a conflict with any unique key: for a model with unique columns
// besides its primary key, an upsert of a new key whose unique column
// collides with another row would silently overwrite that other row. There
// callers update by primary key and insert when no row matched instead.
func (s *Statements) UpsertIsExact() bool {
	if !s.Dialect.UpsertOnAnyUnique() {
		return true
	}
	for _, c := range s.Model.Columns {
		if c.Unique && !(c.PK && len(s.Model.PK) == 1) {
			return false
		}
	}
	return true
}
