package media

import (
	"syscall"
	"unsafe"
)

// batchSys sends a batch through an io_uring (iouring_linux.go): one
// sendmsg entry per packet, one system call per ringEntries packets. The
// ring is made at the first batch; when io_uring is not there (old kernel,
// a sandbox's seccomp filter) or fails, every packet gets its own sendto.
type batchSys struct {
	ring   *ring
	noRing bool
	// per packet of the batch being sent; the kernel reads them during
	// ring.submit only
	msgs  []syscall.Msghdr
	iovs  []syscall.Iovec
	addrs []syscall.RawSockaddrInet6 // or an Inet4 in its first bytes
	ops   []ioSQE
	res   []int32
	held  []*udpSocket // sockets read-locked for the submit
}

// close releases the ring; the next batch makes a new one.
func (bs *batchSys) close() {
	if bs.ring != nil {
		bs.ring.close()
		bs.ring = nil
	}
}

func (bs *batchSys) send(b *sendBatch) {
	if bs.ring == nil && !bs.noRing {
		r, err := newRing()
		if err != nil {
			bs.noRing = true
		}
		bs.ring = r
	}
	if bs.ring == nil {
		b.sendEach(b.pkts)
		return
	}
	for pkts := b.pkts; len(pkts) > 0; {
		n := min(len(pkts), int(bs.ring.entries))
		if !bs.submit(b, pkts[:n]) {
			bs.ring.close()
			bs.ring, bs.noRing = nil, true
			b.sendEach(pkts)
			return
		}
		pkts = pkts[n:]
	}
}

// submit sends pkts with one io_uring_enter. false: the ring failed, and
// pkts were not sent.
func (bs *batchSys) submit(b *sendBatch, pkts []batched) bool {
	n := len(pkts)
	if cap(bs.msgs) < n {
		bs.msgs = make([]syscall.Msghdr, n)
		bs.iovs = make([]syscall.Iovec, n)
		bs.addrs = make([]syscall.RawSockaddrInet6, n)
		bs.ops = make([]ioSQE, n)
		bs.res = make([]int32, n)
	}
	msgs, iovs, addrs, ops := bs.msgs[:n], bs.iovs[:n], bs.addrs[:n], bs.ops[:0]
	// Hold each socket open (shared lock) until the kernel has used it, so
	// its descriptor number cannot be closed and reused by another
	// session's socket meanwhile. A session's packets are next to each
	// other in a batch and a shared lock must not be taken twice (a
	// waiting close would block the second), so a run locks once.
	bs.held = bs.held[:0]
	var last *udpSocket
	skip := false
	for i, p := range pkts {
		if p.sock != last {
			last = p.sock
			p.sock.mu.RLock()
			bs.held = append(bs.held, p.sock)
			skip = p.sock.closed
		}
		if skip || p.n == 0 {
			continue
		}
		namelen := fillSockaddr(&addrs[i], p.sock.v6, p)
		if namelen == 0 {
			continue
		}
		iovs[i] = syscall.Iovec{Base: &b.buf[p.off]}
		iovs[i].SetLen(p.n)
		msgs[i] = syscall.Msghdr{Name: (*byte)(unsafe.Pointer(&addrs[i])), Namelen: namelen, Iov: &iovs[i], Iovlen: 1}
		ops = append(ops, ioSQE{opcode: ioringOpSendmsg, fd: int32(p.sock.fd), addr: uint64(uintptr(unsafe.Pointer(&msgs[i]))),
			len: 1, msgFlags: msgDontwait})
	}
	err := bs.ring.submit(ops, bs.res[:len(ops)])
	for _, u := range bs.held {
		u.mu.RUnlock()
	}
	clear(bs.held)
	return err == nil
}

// fillSockaddr writes p's destination as the socket's family wants it and
// returns its length (0: an IPv6 destination for an IPv4 socket).
func fillSockaddr(sa *syscall.RawSockaddrInet6, v6 bool, p batched) uint32 {
	port := p.to.Port()
	if !v6 {
		a := p.to.Addr().Unmap()
		if !a.Is4() {
			return 0
		}
		sa4 := (*syscall.RawSockaddrInet4)(unsafe.Pointer(sa))
		*sa4 = syscall.RawSockaddrInet4{Family: syscall.AF_INET, Addr: a.As4()}
		pp := (*[2]byte)(unsafe.Pointer(&sa4.Port))
		pp[0], pp[1] = byte(port>>8), byte(port)
		return syscall.SizeofSockaddrInet4
	}
	*sa = syscall.RawSockaddrInet6{Family: syscall.AF_INET6, Addr: p.to.Addr().As16()}
	pp := (*[2]byte)(unsafe.Pointer(&sa.Port))
	pp[0], pp[1] = byte(port>>8), byte(port)
	return syscall.SizeofSockaddrInet6
}
