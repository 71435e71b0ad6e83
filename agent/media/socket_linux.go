package media

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"syscall"
)

// udpSocket is one session's RTP socket, held as a bare non-blocking file
// descriptor outside Go's network poller. At a thousand calls the agent
// moves 100 000 packets a second; through net.UDPConn each received packet
// cost a poller event, a goroutine wake-up and two recvfrom calls (the
// packet, then EAGAIN before parking again), and the 2 000 receiving
// goroutines queued ahead of the send scheduler's. Here a receiver
// (receiver_linux.go) waits on many sockets with one epoll set and reads
// each ready socket once, and sends are plain sendto calls with the address
// built on the stack (no allocation).
type udpSocket struct {
	// mu is held shared while fd is in use (a send or a read) and
	// exclusively by close, so the descriptor is never closed, and its
	// number reused, under a call that uses it.
	mu     sync.RWMutex
	fd     int
	v6     bool
	closed bool
}

// errSocketClosed is returned by a send on a closed socket.
var errSocketClosed = errors.New("rtp socket closed")

// listenUDP binds a non-blocking UDP socket to addr.
func listenUDP(addr netip.AddrPort) (*udpSocket, error) {
	addr = netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())
	family, v6 := syscall.AF_INET6, true
	var sa syscall.Sockaddr
	if addr.Addr().Is4() {
		family, v6 = syscall.AF_INET, false
		sa = &syscall.SockaddrInet4{Port: int(addr.Port()), Addr: addr.Addr().As4()}
	} else {
		sa = &syscall.SockaddrInet6{Port: int(addr.Port()), Addr: addr.Addr().As16()}
	}
	fd, err := syscall.Socket(family, syscall.SOCK_DGRAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, syscall.IPPROTO_UDP)
	if err != nil {
		return nil, fmt.Errorf("rtp socket: %w", err)
	}
	if err := syscall.Bind(fd, sa); err != nil {
		_ = syscall.Close(fd)
		return nil, fmt.Errorf("binding rtp socket to %s: %w", addr, err)
	}
	return &udpSocket{fd: fd, v6: v6}, nil
}

// writeTo sends one datagram. A full socket buffer (EAGAIN) loses the
// packet, as a network would; it is reported as an error.
func (u *udpSocket) writeTo(b []byte, to netip.AddrPort) error {
	u.mu.RLock()
	defer u.mu.RUnlock()
	if u.closed {
		return errSocketClosed
	}
	if len(b) == 0 {
		return nil
	}
	return sendto(u.fd, u.v6, b, to)
}

// read reads one datagram into b without waiting. ok=false: nothing to
// read now, or the socket closed.
func (u *udpSocket) read(b []byte) (n int, ok bool) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	if u.closed {
		return 0, false
	}
	for {
		n, err := syscall.Read(u.fd, b)
		if err == syscall.EINTR {
			continue
		}
		// EAGAIN (another reader raced us, or the packet was dropped),
		// or an error queued by an ICMP port unreachable for an earlier
		// send: reading it clears it, the next read gets the data.
		return n, err == nil && n >= 0
	}
}

// close closes the descriptor once no send or receive uses it.
func (u *udpSocket) close() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return nil
	}
	u.closed = true
	if err := syscall.Close(u.fd); err != nil {
		return fmt.Errorf("closing rtp socket: %w", err)
	}
	return nil
}
