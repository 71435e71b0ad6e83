//go:build linux && !386

package media

import (
	"fmt"
	"net/netip"
	"syscall"
	"unsafe"
)

// sendto sends b from socket fd (IPv6 when v6) to to, with the address
// built on the stack: syscall.Sendto takes it as an interface, which
// allocates per packet.
func sendto(fd int, v6 bool, b []byte, to netip.AddrPort) error {
	var err syscall.Errno
	port := to.Port()
	if !v6 {
		if !to.Addr().Unmap().Is4() {
			return fmt.Errorf("sending to %s from an IPv4 socket: %w", to, syscall.EAFNOSUPPORT)
		}
		sa := syscall.RawSockaddrInet4{Family: syscall.AF_INET, Addr: to.Addr().Unmap().As4()}
		p := (*[2]byte)(unsafe.Pointer(&sa.Port))
		p[0], p[1] = byte(port>>8), byte(port)
		_, _, err = syscall.Syscall6(syscall.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)),
			0, uintptr(unsafe.Pointer(&sa)), syscall.SizeofSockaddrInet4)
	} else {
		sa := syscall.RawSockaddrInet6{Family: syscall.AF_INET6, Addr: to.Addr().As16()}
		p := (*[2]byte)(unsafe.Pointer(&sa.Port))
		p[0], p[1] = byte(port>>8), byte(port)
		_, _, err = syscall.Syscall6(syscall.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)),
			0, uintptr(unsafe.Pointer(&sa)), syscall.SizeofSockaddrInet6)
	}
	if err != 0 {
		return err
	}
	return nil
}
