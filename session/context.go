package session

import "context"

// binding is what one context layer says about clients: which client record
// operations use from here on, and that client's session at this level, if
// any. Layers are immutable and point only at the layers of the contexts
// they were made from, so the chain of a context can never loop, however
// the transactions of several clients nest.
type binding struct {
	client  *Client
	session *Session // nil: the layer only names the client
	detach  bool     // the client's session ends here: hooks run after it
	parent  *binding
}

type bindingKey struct{}

func bindingOf(ctx context.Context) *binding {
	b, _ := ctx.Value(bindingKey{}).(*binding)
	return b
}

func push(ctx context.Context, b binding) context.Context {
	b.parent = bindingOf(ctx)
	return context.WithValue(ctx, bindingKey{}, &b)
}

// Context returns a copy of ctx that carries c: record operations given
// that context use c. The last client attached wins: inside another
// client's transaction, db2.Context(ctx) sends record operations to db2
// (in db2's own transaction, if ctx carries one of db2). A transaction of c
// that ctx already carries is kept.
func (c *Client) Context(ctx context.Context) context.Context {
	if b := bindingOf(ctx); b != nil && b.client == c && !b.detach {
		return ctx
	}
	return push(ctx, binding{client: c})
}

// sessionFor returns the session of c that ctx carries, or nil: the
// innermost one, unless a hook context detached it.
func sessionFor(ctx context.Context, c *Client) *Session {
	return sessionFrom(bindingOf(ctx), c)
}

// sessionFrom is sessionFor from the context layer b on.
func sessionFrom(b *binding, c *Client) *Session {
	for ; b != nil; b = b.parent {
		if b.client != c {
			continue
		}
		if b.session != nil {
			return b.session
		}
		if b.detach {
			return nil
		}
	}
	return nil
}

// Current returns the Session that record operations given ctx use: the
// session of the client FromContext returns, or nil.
func Current(ctx context.Context) *Session {
	b := bindingOf(ctx)
	if b == nil {
		return nil
	}
	if b.session != nil {
		return b.session
	}
	return sessionFrom(b, b.client)
}

// resolve returns what FromContext and Current return, in one look into
// ctx: the client of record operations given ctx, and its session there
// (nil outside one). The record package resolves them once per operation
// and hands both down to the statement (Client.execIn and kin).
func resolve(ctx context.Context) (*Client, *Session, error) {
	b := bindingOf(ctx)
	if b == nil {
		c := defaultClient.Load()
		if c == nil {
			return nil, nil, ErrNoClient
		}
		if c.closed.Load() {
			return nil, nil, ErrClosed
		}
		return c, nil, nil
	}
	if b.client.closed.Load() {
		return nil, nil, ErrClosed
	}
	if b.session != nil {
		return b.client, b.session, nil
	}
	return b.client, sessionFrom(b, b.client), nil
}

// attach returns ctx carrying s as the current session: record operations
// given the returned context use s's client, in s.
func (s *Session) attach(ctx context.Context) context.Context {
	parent := bindingOf(ctx)
	if parent != nil && parent.session == s {
		return ctx
	}
	if s.own.client == nil {
		// The first attach (the outermost level, nearly always the only
		// one) uses the layer inside the Session: no allocation.
		s.own = binding{client: s.client, session: s, parent: parent}
		s.ownCtx = bindingCtx{Context: ctx, b: &s.own}
		return &s.ownCtx
	}
	return push(ctx, binding{client: s.client, session: s})
}

// bindingCtx is a context layer carrying a binding, as
// context.WithValue(ctx, bindingKey{}, b) would, held inside the Session
// whose first layer it is instead of allocated. Done, Err and Deadline are
// the parent's, so the context package treats it as the parent for
// cancellation (no goroutine to propagate it).
type bindingCtx struct {
	context.Context // the parent
	b               *binding
}

func (c *bindingCtx) Value(key any) any {
	if key == (bindingKey{}) {
		return c.b
	}
	return c.Context.Value(key)
}

func (c *bindingCtx) String() string { return "session.bindingCtx" }

// detached returns ctx without s: statements of s's client given it run on
// the pool, outside the transaction that ended; other clients' sessions
// stay.
func (s *Session) detached(ctx context.Context) context.Context {
	return push(ctx, binding{client: s.client, detach: true})
}

// FromContext returns the client that ctx carries (the one attached last,
// through a Session or Client.Context), else the default client. It returns
// ErrNoClient when there is none and ErrClosed when the client is closed.
func FromContext(ctx context.Context) (*Client, error) {
	var c *Client
	if b := bindingOf(ctx); b != nil {
		c = b.client
	} else if c = defaultClient.Load(); c == nil {
		return nil, ErrNoClient
	}
	if c.closed.Load() {
		return nil, ErrClosed
	}
	return c, nil
}
