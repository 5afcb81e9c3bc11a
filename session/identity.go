package session

import "github.com/sqlservice/sqlservice/registry"

// identKey identifies one row: its model and its primary key value (a
// comparable value: the key field's value, or an array of them for
// composite keys).
type identKey struct {
	model *registry.Model
	key   any
}

// Identity returns the model pointer the session already holds for the row
// of m with primary key key.
func (s *Session) Identity(m *registry.Model, key any) (any, bool) {
	if s == nil || s.ident == nil {
		return nil, false
	}
	v, ok := s.ident[identKey{m, key}]
	return v, ok
}

// Remember records ptr as the session's object for the row of m with
// primary key key, so that later loads in the session return it.
func (s *Session) Remember(m *registry.Model, key, ptr any) {
	if s == nil {
		return
	}
	if s.ident == nil {
		s.ident = map[identKey]any{}
	}
	s.ident[identKey{m, key}] = ptr
}

// Forget drops the row of m with primary key key from the identity map.
func (s *Session) Forget(m *registry.Model, key any) {
	if s != nil && s.ident != nil {
		delete(s.ident, identKey{m, key})
	}
}
