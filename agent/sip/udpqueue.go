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
	b    *[]byte // from datagramBufs when it fits, returned by ReadFrom
	from *peerAddr
}

// datagramBufs holds the copies of datagrams between drain and ReadFrom:
// each lives from one to the other, about seven a loop call. A SIP message
// over UDP fits in a path MTU (RFC 3261 18.1.1: over 1300 bytes it should
// go over TCP), so pooledDatagram covers every one the agent sees; a larger
// one gets a buffer of its own.
var datagramBufs sync.Pool

const pooledDatagram = 4096

// peerAddr is the sender of a datagram as sipgo reads it: sipgo asks only
// for its String (transport_udp.go, readListenerConnection, when no read
// filter is set, and the agent sets none), which net.UDPAddr formats anew
// for every datagram (three allocations). The drain goroutine keeps one per
// peer and hands the same one out again.
type peerAddr struct {
	ap netip.AddrPort
	s  string
}

func (a *peerAddr) Network() string { return "udp" }
func (a *peerAddr) String() string  { return a.s }

// maxPeers bounds the peers drain remembers; past it the table starts over
// (a SIPp run uses one or a few source ports, a test a handful).
const maxPeers = 4096

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
	peers := make(map[netip.AddrPort]*peerAddr)
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
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		pa := peers[from]
		if pa == nil {
			if len(peers) >= maxPeers {
				clear(peers)
			}
			pa = &peerAddr{ap: from, s: from.String()}
			peers[from] = pa
		}
		d := datagram{b: datagramBuf(n), from: pa}
		copy(*d.b, buf[:n])
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
	n := copy(p, *d.b)
	if cap(*d.b) == pooledDatagram {
		datagramBufs.Put(d.b)
	}
	return n, d.from, nil
}

// datagramBuf returns a buffer of n bytes, pooled if n fits.
func datagramBuf(n int) *[]byte {
	if n > pooledDatagram {
		b := make([]byte, n)
		return &b
	}
	if p, _ := datagramBufs.Get().(*[]byte); p != nil {
		*p = (*p)[:n]
		return p
	}
	b := make([]byte, n, pooledDatagram)
	return &b
}

// Close closes the socket; the drain goroutine ends with it.
func (q *queuedConn) Close() error {
	q.once.Do(func() { close(q.done) })
	return q.UDPConn.Close()
}
