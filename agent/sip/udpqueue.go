package sip

import (
	"errors"
	"net"
	"net/netip"
	"sync"
)

// queuedConn moves the SIP listener's socket buffer into memory. sipgo
// reads and parses each datagram on one goroutine; under a burst (SIPp at
// thousands of calls a second on a busy machine) the kernel buffer, capped
// by net.core.rmem_max, overflows while it parses, and a lost ACK plus BYE
// leaves a call up until Timer H. Here one goroutine only copies datagrams
// off the socket into a bounded queue that sipgo reads from; when the queue
// is full it blocks, and the kernel buffer takes the overflow as before.
// Writes, addresses and deadlines go straight to the socket.
type queuedConn struct {
	*net.UDPConn
	q    chan datagram
	done chan struct{}
	once sync.Once
}

type datagram struct {
	b    []byte
	from netip.AddrPort
}

// queueDepth bounds the datagrams held in memory: about 2 s of a 3000
// calls/s load (3 messages in per call).
const queueDepth = 16384

func newQueuedConn(c *net.UDPConn) *queuedConn {
	q := &queuedConn{UDPConn: c, q: make(chan datagram, queueDepth), done: make(chan struct{})}
	go q.drain()
	return q
}

// drain runs until the socket is closed, then closes the queue so the
// reader sees net.ErrClosed.
func (q *queuedConn) drain() {
	defer close(q.q)
	buf := make([]byte, 65535)
	for {
		n, from, err := q.UDPConn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Transient (an ICMP error surfacing on some systems): keep
			// reading, as sipgo would stop serving on any error.
			continue
		}
		d := datagram{b: append([]byte(nil), buf[:n]...), from: from}
		select {
		case q.q <- d:
		case <-q.done:
			return
		}
	}
}

// ReadFrom hands sipgo the next queued datagram.
func (q *queuedConn) ReadFrom(p []byte) (int, net.Addr, error) {
	d, ok := <-q.q
	if !ok {
		return 0, nil, net.ErrClosed
	}
	return copy(p, d.b), net.UDPAddrFromAddrPort(d.from), nil
}

// Close closes the socket; the drain goroutine ends with it.
func (q *queuedConn) Close() error {
	q.once.Do(func() { close(q.done) })
	return q.UDPConn.Close()
}
