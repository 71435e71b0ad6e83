package sip

import (
	"context"
	"fmt"
	"net"
	"strconv"
)

// listenPair binds UDP and TCP on the same port. With port 0 the UDP port
// is chosen first and TCP tries to follow; a taken TCP port means another
// try.
func listenPair(ctx context.Context, addr string) (*net.UDPConn, net.Listener, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen address %q: %w", addr, err)
	}
	var lc net.ListenConfig
	tries := 1
	if port == 0 {
		tries = 20
	}
	for range tries {
		pc, err := lc.ListenPacket(ctx, "udp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return nil, nil, fmt.Errorf("listening udp %s: %w", addr, err)
		}
		udp := pc.(*net.UDPConn)
		got := udp.LocalAddr().(*net.UDPAddr).Port
		tcp, err := lc.Listen(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(got)))
		if err == nil {
			return udp, tcp, nil
		}
		udp.Close()
		if port != 0 {
			return nil, nil, fmt.Errorf("listening tcp %s: %w", addr, err)
		}
	}
	return nil, nil, fmt.Errorf("listening on %s: no port free for both udp and tcp", addr)
}

// udpBuffer is the socket buffer size asked for the SIP UDP listener.
const udpBuffer = 8 << 20
