// Package faultproxy is a TCP proxy on 127.0.0.1 for the tests' fault
// cases that a real server cannot produce on demand: a reply lost after the
// server received (and ran) the statement, or a reply held back until a
// client's deadline has passed. It forwards bytes unchanged; a fault is
// armed with a trigger, a byte string looked for (case-insensitively) in
// what a client sends, and fires once, on the first connection whose
// client sends it.
package faultproxy

import (
	"bytes"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Proxy forwards connections from its listener to one server.
type Proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	conns map[*pair]struct{}
	fault *fault
	fired chan struct{}

	accepted atomic.Int64
	wg       sync.WaitGroup
}

// Action is what a fault does to the server's reply.
type Action int

const (
	// DropReply closes both connections as soon as the server starts to
	// answer: the statement ran, its reply never arrives.
	DropReply Action = iota
	// DelayReply holds the server's reply for the fault's Delay, then
	// forwards it.
	DelayReply
)

type fault struct {
	trigger []byte
	action  Action
	delay   time.Duration
}

// Start listens on a free loopback port and forwards to target
// ("127.0.0.1:5432").
func Start(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, conns: map[*pair]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr returns the proxy's "127.0.0.1:port".
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Accepted returns how many client connections the proxy has accepted.
func (p *Proxy) Accepted() int64 { return p.accepted.Load() }

// Open returns how many proxied connections are open now.
func (p *Proxy) Open() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// Arm sets the fault that the next client bytes containing trigger fire;
// the returned channel is closed when it has fired. Arming again replaces
// a fault that has not fired.
func (p *Proxy) Arm(trigger string, action Action, delay time.Duration) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fault = &fault{trigger: bytes.ToLower([]byte(trigger)), action: action, delay: delay}
	p.fired = make(chan struct{})
	return p.fired
}

// Disarm drops a fault that has not fired.
func (p *Proxy) Disarm() {
	p.mu.Lock()
	p.fault = nil
	p.mu.Unlock()
}

// KillAll closes every proxied connection at once, as a network failure
// or a server restart would.
func (p *Proxy) KillAll() {
	p.mu.Lock()
	conns := make([]*pair, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	p.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
}

// Close stops listening, closes every connection and waits for the
// proxy's goroutines.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.KillAll()
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		p.accepted.Add(1)
		c := &pair{p: p, client: client, server: server}
		p.mu.Lock()
		p.conns[c] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go c.up()
		go c.down()
	}
}

// pair is one proxied connection.
type pair struct {
	p              *Proxy
	client, server net.Conn
	once           sync.Once

	mu     sync.Mutex
	armed  *fault // fired on this connection: applies to the next reply
	fired  chan struct{}
	window []byte // the client's last bytes, for triggers split across reads
}

func (c *pair) close() {
	c.once.Do(func() {
		c.client.Close()
		c.server.Close()
		c.p.mu.Lock()
		delete(c.p.conns, c)
		c.p.mu.Unlock()
	})
}

// up forwards client bytes to the server, watching for the trigger.
func (c *pair) up() {
	defer c.p.wg.Done()
	defer c.close()
	buf := make([]byte, 32<<10)
	for {
		n, err := c.client.Read(buf)
		if n > 0 {
			c.watch(buf[:n])
			if _, werr := c.server.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (c *pair) watch(b []byte) {
	c.p.mu.Lock()
	f, fired := c.p.fault, c.p.fired
	c.p.mu.Unlock()
	if f == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.window = append(c.window, bytes.ToLower(b)...)
	if !bytes.Contains(c.window, f.trigger) {
		if keep := len(f.trigger); len(c.window) > keep {
			c.window = append(c.window[:0], c.window[len(c.window)-keep:]...)
		}
		return
	}
	c.window = c.window[:0]
	c.p.mu.Lock()
	mine := c.p.fault == f
	if mine {
		c.p.fault = nil
	}
	c.p.mu.Unlock()
	if mine {
		c.armed, c.fired = f, fired
	}
}

// down forwards server bytes to the client, applying a fault that fired.
func (c *pair) down() {
	defer c.p.wg.Done()
	defer c.close()
	buf := make([]byte, 32<<10)
	for {
		n, err := c.server.Read(buf)
		if n > 0 {
			c.mu.Lock()
			f, fired := c.armed, c.fired
			c.armed = nil
			c.mu.Unlock()
			if f != nil {
				switch f.action {
				case DropReply:
					close(fired)
					return // close both: the reply is lost
				case DelayReply:
					time.Sleep(f.delay)
					close(fired)
				}
			}
			if _, werr := c.client.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
