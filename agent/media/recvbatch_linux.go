package media

import (
	"time"
	"unsafe"

	"github.com/pion/rtp"
)

// maxDatagram is the most of a received datagram that is read: an RTP
// packet on an Ethernet path fits.
const maxDatagram = 1500

// readBatch reads one packet from each of the sockets an epoll answer said
// are ready, through an io_uring (iouring_linux.go) so the answer costs one
// system call instead of one read per socket, then handles them. Without
// io_uring each socket gets its own read. Only its receiver's goroutine
// uses it.
type readBatch struct {
	ring   *ring
	noRing bool
	bufs   []byte // maxDatagram per socket
	ops    []ioSQE
	res    []int32
	which  []int // ops[i] reads ss[which[i]]
	pkt    rtp.Packet
}

func (rb *readBatch) close() {
	if rb.ring != nil {
		rb.ring.close()
		rb.ring = nil
	}
}

// read reads and handles one packet of each of ss (at most ringEntries).
// Their arrival time is taken when the read returned, as a blocking read's
// would be (echo numbers its packets by it).
func (rb *readBatch) read(ss []*Session) {
	if cap(rb.bufs) < len(ss)*maxDatagram {
		rb.bufs = make([]byte, ringEntries*maxDatagram)
	}
	if rb.ring == nil && !rb.noRing {
		r, err := newRing()
		rb.ring, rb.noRing = r, err != nil
	}
	if rb.ring == nil {
		for _, s := range ss {
			s.readOne(rb.bufs[:maxDatagram], &rb.pkt)
		}
		return
	}
	rb.ops, rb.which = rb.ops[:0], rb.which[:0]
	// Each socket stays open (shared lock) until the kernel has read it;
	// an epoll answer names a socket once, so each is locked once.
	for i, s := range ss {
		s.sock.mu.RLock()
		if s.sock.closed {
			continue
		}
		rb.ops = append(rb.ops, ioSQE{opcode: ioringOpRecv, fd: int32(s.sock.fd),
			addr: uint64(uintptr(unsafe.Pointer(&rb.bufs[i*maxDatagram]))), len: maxDatagram, msgFlags: msgDontwait})
		rb.which = append(rb.which, i)
	}
	if cap(rb.res) < len(rb.ops) {
		rb.res = make([]int32, ringEntries)
	}
	res := rb.res[:len(rb.ops)]
	err := rb.ring.submit(rb.ops, res)
	now := time.Now()
	for _, s := range ss {
		s.sock.mu.RUnlock()
	}
	if err != nil {
		// Whatever the failed call read is lost, as on a congested path.
		rb.close()
		rb.noRing = true
		return
	}
	for i, r := range res {
		if r < 0 {
			continue // -EAGAIN: read already, or an ICMP error cleared
		}
		s := ss[rb.which[i]]
		off := rb.which[i] * maxDatagram
		s.handleRead(rb.bufs[off:off+int(r)], &rb.pkt, now)
	}
}

// handleRead handles a packet read from s's socket unless s stopped
// receiving since (Close waits for a packet being handled, and after it
// none is).
func (s *Session) handleRead(data []byte, pkt *rtp.Packet, now time.Time) {
	s.handling.Lock()
	defer s.handling.Unlock()
	if s.rxStopped {
		return
	}
	s.handlePacket(data, pkt, now)
}
