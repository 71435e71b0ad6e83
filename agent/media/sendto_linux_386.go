package media

import (
	"fmt"
	"net/netip"
	"syscall"
)

// sendto sends b from socket fd (IPv6 when v6) to to. linux/386 has no
// sendto system call of its own (socketcall), so this goes through
// syscall.Sendto.
func sendto(fd int, v6 bool, b []byte, to netip.AddrPort) error {
	if !v6 {
		if !to.Addr().Unmap().Is4() {
			return fmt.Errorf("sending to %s from an IPv4 socket: %w", to, syscall.EAFNOSUPPORT)
		}
		return syscall.Sendto(fd, b, 0, &syscall.SockaddrInet4{Port: int(to.Port()), Addr: to.Addr().Unmap().As4()})
	}
	return syscall.Sendto(fd, b, 0, &syscall.SockaddrInet6{Port: int(to.Port()), Addr: to.Addr().As16()})
}
