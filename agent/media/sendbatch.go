package media

import (
	"net/netip"

	"github.com/pion/rtp"
)

// sendBatch collects the packets of one wheel slot, so that they leave
// together in one system call where the OS allows it (sendbatch_linux.go)
// and one by one where not. Each wheel's thread has its own, for whichever
// wheel's slots it serves (shard.go).
type sendBatch struct {
	buf  []byte // the packets, marshalled back to back
	pkts []batched
	sys  batchSys // the platform's means of sending many at once
}

type batched struct {
	sock   *udpSocket
	to     netip.AddrPort
	off, n int
}

// add marshals one packet for sock to send to to.
func (b *sendBatch) add(sock *udpSocket, to netip.AddrPort, h *rtp.Header, payload []byte) error {
	off := len(b.buf)
	n := h.MarshalSize() + len(payload)
	b.buf = append(b.buf, make([]byte, n)...)
	hn, err := h.MarshalTo(b.buf[off:])
	if err != nil {
		b.buf = b.buf[:off]
		return err
	}
	copy(b.buf[off+hn:], payload)
	b.pkts = append(b.pkts, batched{sock: sock, to: to, off: off, n: n})
	return nil
}

// addRaw adds a packet marshalled already (one an impairment delayed).
func (b *sendBatch) addRaw(sock *udpSocket, to netip.AddrPort, data []byte) {
	off := len(b.buf)
	b.buf = append(b.buf, data...)
	b.pkts = append(b.pkts, batched{sock: sock, to: to, off: off, n: len(data)})
}

// flush sends what was added and empties the batch. A packet that cannot be
// sent (the socket closed meanwhile, its buffer full, the peer's port
// unreachable) is lost, as a UDP send is; the others still go.
func (b *sendBatch) flush() {
	if len(b.pkts) == 0 {
		return
	}
	b.sys.send(b)
	clear(b.pkts)
	b.pkts, b.buf = b.pkts[:0], b.buf[:0]
}

// close releases what the platform holds for batches (an io_uring): the
// shard's goroutine is ending.
func (b *sendBatch) close() { b.sys.close() }

// sendEach is the one-call-per-packet way.
func (b *sendBatch) sendEach(pkts []batched) {
	for _, p := range pkts {
		_ = p.sock.writeTo(b.buf[p.off:p.off+p.n], p.to)
	}
}
