//go:build !linux

package media

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/pion/rtp"
)

// Outside Linux the agent keeps the portable design the Linux files
// replace (socket_linux.go, receiver_linux.go say why): a net.UDPConn per
// session and a goroutine per session blocked reading it.

type udpSocket struct {
	conn *net.UDPConn
}

func listenUDP(addr netip.AddrPort) (*udpSocket, error) {
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(addr))
	if err != nil {
		return nil, fmt.Errorf("binding rtp socket to %s: %w", addr, err)
	}
	return &udpSocket{conn: conn}, nil
}

func (u *udpSocket) writeTo(b []byte, to netip.AddrPort) error {
	_, err := u.conn.WriteToUDPAddrPort(b, to)
	return err
}

func (u *udpSocket) close() error { return u.conn.Close() }

type receivers struct{}

func newReceivers(int) *receivers { return &receivers{} }

// receiver is one session's reading goroutine.
type receiver struct{ done chan struct{} }

// add starts s's reading goroutine. The caller holds s.mu.
func (r *receivers) add(s *Session) error {
	rc := &receiver{done: make(chan struct{})}
	s.rcv = rc
	go func() {
		defer close(rc.done)
		buf := make([]byte, 1500)
		var pkt rtp.Packet
		for {
			n, _, err := s.sock.conn.ReadFromUDPAddrPort(buf)
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err != nil {
				continue // an ICMP port unreachable for an earlier send
			}
			s.handling.Lock()
			s.handlePacket(buf[:n], &pkt, time.Now())
			s.handling.Unlock()
		}
	}()
	return nil
}

// stopReceiving closes the socket and waits for the reading goroutine.
func (s *Session) stopReceiving(rc *receiver) error {
	err := s.sock.close()
	if rc != nil {
		<-rc.done
	}
	return err
}

// batchSys sends a batch one packet per call.
type batchSys struct{}

func (batchSys) send(b *sendBatch) { b.sendEach(b.pkts) }

func (batchSys) close() {}
