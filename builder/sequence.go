package builder

// AdvanceSequence returns the statement to run after a row was written with
// an explicit value in the model's autoincrement key, or "" when the
// dialect needs none. Its one parameter is that value.
//
// SQLite and MySQL continue generating after the largest key by
// themselves; a PostgreSQL identity column draws from a sequence that an
// explicit key does not move, so the next generated key would collide
// with it. The statement moves the sequence forward to the explicit key
// when it is behind, never backward. It needs UPDATE on the sequence, which
// the owner of the table has.
func (s *Statements) AdvanceSequence() string {
	m := s.Model
	if s.Dialect.Name() != "postgres" || m.AutoIncrement == nil {
		return ""
	}
	// Identifiers are registry-checked ([A-Za-z0-9_]), so they are safe
	// inside a string literal; pg_get_serial_sequence parses the first
	// argument as a (quoted) identifier and takes the second verbatim.
	seq := "pg_get_serial_sequence('" + s.Dialect.Quote(m.Table) + "', '" + m.AutoIncrement.Name + "')::regclass"
	return "SELECT setval(seq, $1) FROM (SELECT " + seq + " AS seq) s WHERE $1 > COALESCE(pg_sequence_last_value(seq), 0)"
}
