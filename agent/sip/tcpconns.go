package sip

import (
	"net"
	"sync"
)

// closingListener is the profile's SIP/TCP listener: closing it also closes
// every connection it accepted that is still open, as FreeSWITCH's sofia
// profile drops its connections when it stops. sipgo closes the connections
// in its pool when the user agent closes, but skips one whose reference
// count went to zero or below without a close (sipgo's ConnectionPool.Clear;
// its "TCP ref went negative" warning): about one loopback TCP call in a
// hundred left both ends of its connection reading after Close
// (TestNoGoroutineLeak). Closing the accepted end ends both readers.
type closingListener struct {
	net.Listener

	mu     sync.Mutex
	conns  map[*closingConn]struct{}
	closed bool
}

func closeConnsOnClose(l net.Listener) *closingListener {
	return &closingListener{Listener: l, conns: map[*closingConn]struct{}{}}
}

func (l *closingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	cc := &closingConn{Conn: c, l: l}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		_ = c.Close()
		return nil, net.ErrClosed
	}
	l.conns[cc] = struct{}{}
	return cc, nil
}

// Close stops accepting and closes the connections still open.
func (l *closingListener) Close() error {
	err := l.Listener.Close()
	l.mu.Lock()
	l.closed = true
	conns := l.conns
	l.conns = nil
	l.mu.Unlock()
	for c := range conns {
		_ = c.Conn.Close()
	}
	return err
}

// open says how many accepted connections are open.
func (l *closingListener) open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

// closingConn is an accepted connection that leaves its listener's set
// when it closes.
type closingConn struct {
	net.Conn
	l *closingListener
}

func (c *closingConn) Close() error {
	c.l.mu.Lock()
	delete(c.l.conns, c)
	c.l.mu.Unlock()
	return c.Conn.Close()
}
