package session

import "context"

// sessionCtx is the context that carries a session: it answers Current's
// key and the key of the session's client (sessionFor) itself, so that
// attaching a session costs one allocation and one link of the context
// chain rather than two of each.
type sessionCtx struct {
	context.Context
	s *Session
}

func (c *sessionCtx) Value(key any) any {
	switch k := key.(type) {
	case sessionKey:
		return c.s
	case clientSessionKey:
		if k.c == c.s.client {
			return c.s
		}
	}
	return c.Context.Value(key)
}
