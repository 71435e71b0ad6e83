package media

import (
	"net"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A burst queues many packets on each socket at once: the receivers must
// read every one, not one per wake-up (the sockets stay ready until read
// empty, and nothing else wakes a parked receiver).
func TestReceiversReadBursts(t *testing.T) {
	t.Parallel()
	ports, err := NewPorts(42300, 42399)
	require.NoError(t, err)
	far := peer(t)
	const sessions, burst = 8, 40
	var got [sessions]atomic.Int32
	var ss []*Session
	for i := range sessions {
		s, err := ports.Open(loopback)
		require.NoError(t, err)
		defer s.Close()
		s.SetTap(func(*rtp.Header, []byte) { got[i].Add(1) })
		require.NoError(t, s.Start(far.LocalAddr().(*net.UDPAddr).AddrPort(), PCMU))
		ss = append(ss, s)
	}
	frame := make([]byte, FrameSamples)
	for seq := range uint16(burst) {
		for _, s := range ss {
			send(t, far, s.LocalAddr(), PCMU.PayloadType, seq, frame)
		}
	}
	require.Eventually(t, func() bool {
		for i := range got {
			if got[i].Load() != burst {
				return false
			}
		}
		return true
	}, 10*time.Second, time.Millisecond)
	for _, s := range ss {
		st := s.Stats()
		assert.EqualValues(t, burst, st.InMediaPackets)
		assert.Zero(t, st.InLost)
	}
}

// Close returns only after the last Tap call, even while packets arrive,
// and a closed session's port can be opened again at once.
func TestCloseStopsCallbacks(t *testing.T) {
	t.Parallel()
	ports, err := NewPorts(42400, 42402)
	require.NoError(t, err)
	far := peer(t)
	var after atomic.Int32 // tap calls after Close returned, over every round
	for range 20 {
		s, err := ports.Open(loopback)
		require.NoError(t, err)
		var closed atomic.Bool
		s.SetTap(func(*rtp.Header, []byte) {
			if closed.Load() {
				after.Add(1)
			}
			time.Sleep(100 * time.Microsecond) // widen the window Close must wait out
		})
		require.NoError(t, s.Start(far.LocalAddr().(*net.UDPAddr).AddrPort(), PCMU))
		for seq := range uint16(20) {
			send(t, far, s.LocalAddr(), PCMU.PayloadType, seq, []byte{0xff})
		}
		require.NoError(t, s.Close())
		closed.Store(true)
	}
	// Checked once the later rounds have given a stray call time to happen.
	assert.Zero(t, after.Load(), "tap called after Close returned")
}

// A session bound to an IPv6 address receives, and the scheduler's batches
// send from it, as on IPv4.
func TestIPv6Session(t *testing.T) {
	t.Parallel()
	v6 := netip.IPv6Loopback()
	far, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(v6, 0)))
	if err != nil {
		t.Skipf("no IPv6 loopback on this machine: %v", err)
	}
	defer far.Close()
	ports, err := NewPorts(42900, 42999)
	require.NoError(t, err)
	s, err := ports.Open(v6)
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, v6, s.LocalAddr().Addr())
	require.NoError(t, s.Start(far.LocalAddr().(*net.UDPAddr).AddrPort(), PCMU))

	for seq := range uint16(3) {
		send(t, far, s.LocalAddr(), PCMU.PayloadType, seq, make([]byte, FrameSamples))
	}
	require.Eventually(t, func() bool { return s.Stats().InMediaPackets == 3 }, 10*time.Second, time.Millisecond)

	s.SetSource(&frames{n: 3})
	got := readPackets(t, far, 3)
	for i, p := range got {
		assert.Equal(t, got[0].SequenceNumber+uint16(i), p.SequenceNumber)
		assert.Len(t, p.Payload, FrameSamples)
	}
}
