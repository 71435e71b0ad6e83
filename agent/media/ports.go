package media

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// ErrNoPorts is returned by Ports.Open when every port of the range is in use.
var ErrNoPorts = errors.New("no free rtp port in range")

// Ports hands out RTP ports from a range, as FreeSWITCH's rtp-start-port /
// rtp-end-port do. Only even ports are used (RFC 3550: RTP on the even port,
// RTCP on the next odd one, which the agent does not open), so a range LO-HI
// holds about (HI-LO)/2 concurrent sessions.
type Ports struct {
	lo, hi int

	sched  *scheduler                 // paces the sending of every session of the range
	recv   *receivers                 // reads every started session's socket
	impair atomic.Pointer[Impairment] // damage done to what they send (impair.go)

	mu   sync.Mutex
	free []int // even ports not in use; taken from the front, returned at the back
	used int
}

// DefaultPortRange is FreeSWITCH's default RTP range. It holds 8192
// sessions; a loop call (both legs on one agent) takes two, so 5000
// concurrent loop calls need a wider range such as 16384-40000.
const DefaultPortRange = "16384-32768"

// ParsePortRange parses "LO-HI" (inclusive, 1024 <= LO < HI <= 65535).
func ParsePortRange(s string) (lo, hi int, err error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return 0, 0, fmt.Errorf("parsing rtp port range %q: want LO-HI", s)
	}
	if lo, err = strconv.Atoi(a); err != nil {
		return 0, 0, fmt.Errorf("parsing rtp port range %q: %w", s, err)
	}
	if hi, err = strconv.Atoi(b); err != nil {
		return 0, 0, fmt.Errorf("parsing rtp port range %q: %w", s, err)
	}
	if lo < 1024 || hi > 65535 || lo >= hi {
		return 0, 0, fmt.Errorf("parsing rtp port range %q: want 1024 <= LO < HI <= 65535", s)
	}
	return lo, hi, nil
}

// NewPorts returns an allocator for the even ports in [lo, hi].
func NewPorts(lo, hi int) (*Ports, error) {
	if lo < 1 || hi > 65535 || lo > hi {
		return nil, fmt.Errorf("rtp port range %d-%d: want 1 <= LO <= HI <= 65535", lo, hi)
	}
	wheels, receivers := engineThreads()
	p := &Ports{lo: lo, hi: hi, sched: newScheduler(wheels), recv: newReceivers(receivers)}
	for port := lo + lo%2; port <= hi; port += 2 {
		p.free = append(p.free, port)
	}
	if len(p.free) == 0 {
		return nil, fmt.Errorf("rtp port range %d-%d holds no even port", lo, hi)
	}
	return p, nil
}

// SchedulerStats reports how well the send scheduler of these ports' sessions
// kept the 20 ms pace.
func (p *Ports) SchedulerStats() SchedulerStats { return p.sched.stats() }

// Range returns the configured range.
func (p *Ports) Range() (lo, hi int) { return p.lo, p.hi }

// Capacity is the number of sessions the range can hold.
func (p *Ports) Capacity() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.free) + p.used
}

// InUse is the number of sessions open now.
func (p *Ports) InUse() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.used
}

// Open binds a new Session's UDP socket on ip and the next free even port.
// A port that another process holds is skipped (moved to the back of the
// queue), so a range shared with other software still works. The session
// receives nothing until Start.
func (p *Ports) Open(ip netip.Addr) (*Session, error) {
	p.mu.Lock()
	tries := len(p.free)
	p.mu.Unlock()
	var lastErr error
	for range tries {
		port, ok := p.take()
		if !ok {
			break
		}
		local := netip.AddrPortFrom(ip, uint16(port))
		sock, err := listenUDP(local)
		if err != nil {
			lastErr = err
			p.release(port)
			continue
		}
		return newSession(p, local, sock), nil
	}
	if lastErr != nil {
		return nil, fmt.Errorf("opening rtp socket on %s: %w: last error: %w", ip, ErrNoPorts, lastErr)
	}
	return nil, fmt.Errorf("opening rtp socket on %s: %w", ip, ErrNoPorts)
}

func (p *Ports) take() (int, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.free) == 0 {
		return 0, false
	}
	port := p.free[0]
	p.free = p.free[1:]
	p.used++
	return port, true
}

// release puts a port at the back of the free queue: reusing the least
// recently freed port first keeps late packets of an old call away from a
// new one.
func (p *Ports) release(port int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.used--
	p.free = append(p.free, port)
}
