package sip

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// Detecting "nothing listens at the target port" over UDP.
//
// FreeSWITCH fails an originate to a closed UDP port at once with
// NORMAL_TEMPORARY_FAILURE (fixture 03a): sofia-sip sees the ICMP port
// unreachable. The profile sends its INVITEs from the shared, unconnected
// listener socket, and Linux does not report ICMP errors to unconnected UDP
// sockets (only with IP_RECVERR, which would also break sipgo's read loop).
// So, alongside the INVITE, the profile sends a CRLF keep-alive (RFC 5626
// 4.4.1; every SIP stack ignores it) from a separate *connected* socket to
// the same address and waits briefly for a read error: ECONNREFUSED there
// means the INVITE met a closed port too, and the call ends with a locally
// made 503. A destination that answered within aliveFor is not probed
// again, so steady load to one peer costs no extra sockets.
const (
	probeWait = 500 * time.Millisecond
	aliveFor  = 5 * time.Second
	maxAlive  = 4096
)

// probe checks dest in the background and calls refused if its port is
// closed.
func (p *Profile) probe(dest netip.AddrPort, refused func()) {
	p.mu.Lock()
	seen, ok := p.alive[dest]
	p.mu.Unlock()
	if ok && time.Since(seen) < aliveFor {
		return
	}
	p.bg.Add(1)
	go func() {
		defer p.bg.Done()
		conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(dest))
		if err != nil {
			return
		}
		defer conn.Close()
		// Close does not wait out the probe.
		stop := context.AfterFunc(p.probeCtx, func() { conn.Close() })
		defer stop()
		if _, err := conn.Write([]byte("\r\n\r\n")); err != nil {
			if errors.Is(err, syscall.ECONNREFUSED) {
				refused()
			}
			return
		}
		deadline := time.Now().Add(probeWait)
		if err := conn.SetReadDeadline(deadline); err != nil {
			return
		}
		var buf [64]byte
		for {
			_, err := conn.Read(buf[:])
			if err == nil {
				continue // a peer that answers keep-alives: alive
			}
			if errors.Is(err, syscall.ECONNREFUSED) {
				refused()
			}
			return
		}
	}()
}

// markAlive notes that dest answered, so probes to it are skipped for a
// while.
func (p *Profile) markAlive(dest netip.AddrPort) {
	if !dest.IsValid() {
		return
	}
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.alive) >= maxAlive {
		for k, t := range p.alive {
			if now.Sub(t) >= aliveFor {
				delete(p.alive, k)
			}
		}
	}
	p.alive[dest] = now
}
