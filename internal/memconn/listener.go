package memconn

import (
	"context"
	"fmt"
	"net"
	"sync"
	"syscall"
)

// Listener is a net.Listener whose connections come from its Dial, in the
// same process.
type Listener struct {
	addr  Addr
	conns chan *Conn
	done  chan struct{}
	once  sync.Once
}

// Listen returns a listener named name (its Addr).
func Listen(name string) *Listener {
	return &Listener{addr: Addr(name), conns: make(chan *Conn), done: make(chan struct{})}
}

// Accept implements net.Listener: it waits for a Dial, or returns
// net.ErrClosed once the listener is closed.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close implements net.Listener; Dial fails from then on.
func (l *Listener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr implements net.Listener.
func (l *Listener) Addr() net.Addr { return l.addr }

// Dial connects to the listener, waiting for Accept to take the
// connection. The network and address are ignored (its signature is
// net.Dialer.DialContext's, so it can stand in for one). A closed listener
// refuses with an error that wraps syscall.ECONNREFUSED, as a TCP port with
// no listener does.
func (l *Listener) Dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := Pipe(l.addr+"-client", l.addr)
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, fmt.Errorf("dialing %s: %w", l.addr, syscall.ECONNREFUSED)
	case <-ctx.Done():
		return nil, fmt.Errorf("dialing %s: %w", l.addr, ctx.Err())
	}
}
