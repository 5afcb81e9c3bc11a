package session

import "github.com/sqlservice/sqlservice/registry"

// identKey identifies one row: its model and its primary key.
type identKey struct {
	model *registry.Model
	key   registry.RowKey
}

// identEntry is one row of the identity map's inline part.
type identEntry struct {
	k   identKey
	ptr any
}

// The identity map keeps its first rows inline in the Session (most
// transactions touch a few rows), and the rest in a map.
const identInline = 4

// identity returns the model pointer the session already holds for the row
// of m with primary key key (record.KeyOf of a record, or
// registry.RowKeyOf of the key values in key order).
func (s *Session) identity(m *registry.Model, key registry.RowKey) (any, bool) {
	if s == nil || !key.Valid() {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lookup(identKey{m, key})
}

func (s *Session) lookup(k identKey) (any, bool) {
	for i := range s.nsmall {
		if s.small[i].k == k {
			return s.small[i].ptr, true
		}
	}
	if s.ident == nil {
		return nil, false
	}
	v, ok := s.ident[k]
	return v, ok
}

// rememberRow records ptr as the session's object for the row of m with
// primary key key, so that later loads in the session return it. Inside a
// transaction the entry is undone with the level that made it: a row
// inserted in a savepoint that rolls back is not found afterwards. A key
// that is not Valid names no row and is not remembered.
func (s *Session) rememberRow(m *registry.Model, key registry.RowKey, ptr any) {
	if s == nil || !key.Valid() {
		return
	}
	k := identKey{m, key}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.tx != nil || s.ending:
		prev, _ := s.lookup(k)
		if prev == ptr {
			return
		}
		s.pushUndo(undoEntry{k: k, prev: prev})
	case s.lastEnd == rolledBack:
		// A row of a transaction that another goroutine rolled back under
		// the statement (see pushUndo): it is not there.
		return
	}
	s.remember(k, ptr)
}

func (s *Session) remember(k identKey, ptr any) {
	for i := range s.nsmall {
		if s.small[i].k == k {
			s.small[i].ptr = ptr
			return
		}
	}
	if s.ident == nil {
		if s.nsmall < identInline {
			s.small[s.nsmall] = identEntry{k, ptr}
			s.nsmall++
			return
		}
		s.ident = map[identKey]any{}
	}
	s.ident[k] = ptr
}

// Forget drops the row of m with primary key key from the identity map;
// inside a transaction, a rollback of the level that forgot it brings the
// entry back. key is record.KeyOf of a record, or registry.RowKeyOf of the
// key values in key order (registry.RowKeyOf(7), registry.RowKeyOf(tenant,
// code)).
func (s *Session) Forget(m *registry.Model, key registry.RowKey) {
	if s == nil {
		return
	}
	k := identKey{m, key}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tx != nil || s.ending {
		prev, ok := s.lookup(k)
		if !ok {
			return
		}
		s.pushUndo(undoEntry{k: k, prev: prev})
	}
	s.forget(k)
}

func (s *Session) forget(k identKey) {
	for i := range s.nsmall {
		if s.small[i].k == k {
			s.nsmall--
			s.small[i] = s.small[s.nsmall]
			s.small[s.nsmall] = identEntry{}
			return
		}
	}
	if s.ident != nil {
		delete(s.ident, k)
	}
}

// forgetAll empties the identity map.
func (s *Session) forgetAll() {
	s.mu.Lock()
	s.small = [identInline]identEntry{}
	s.nsmall = 0
	s.ident = nil
	s.mu.Unlock()
}

// forgetModel drops every row of m from the identity map: what a statement
// that changed rows it cannot name one by one (an UPDATE or DELETE by
// criteria) leaves the session to do, so that later loads read the rows
// again. Inside a transaction, a rollback of the level that forgot them
// brings the entries back.
func (s *Session) forgetModel(m *registry.Model) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []identKey
	for i := range s.nsmall {
		if s.small[i].k.model == m {
			keys = append(keys, s.small[i].k)
		}
	}
	for k := range s.ident {
		if k.model == m {
			keys = append(keys, k)
		}
	}
	undo := s.tx != nil || s.ending
	for _, k := range keys {
		if undo {
			prev, _ := s.lookup(k)
			s.pushUndo(undoEntry{k: k, prev: prev})
		}
		s.forget(k)
	}
}
