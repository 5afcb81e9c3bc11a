package sqlgen

// AdvanceSequence returns the statement to run after a row was written with
// an explicit value in the model's autoincrement key, or "" when the
// dialect needs none (see Dialect.AdvanceSequence). Its one parameter is
// that value. SQLite and MySQL continue generating after the largest key
// by themselves; PostgreSQL's identity sequence does not.
func (s *Statements) AdvanceSequence() string {
	if s.Model.AutoIncrement == nil {
		return ""
	}
	return s.Dialect.AdvanceSequence(s.Model.Table, s.Model.AutoIncrement.Name)
}
