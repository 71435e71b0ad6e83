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

var loopback = netip.MustParseAddr("127.0.0.1")

func TestParsePortRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		lo, hi int
		ok     bool
	}{
		{"16384-32768", 16384, 32768, true},
		{" 20000-20010 ", 20000, 20010, true},
		{"20000", 0, 0, false},
		{"a-b", 0, 0, false},
		{"30000-20000", 0, 0, false},
		{"80-90", 0, 0, false},
		{"60000-70000", 0, 0, false},
	}
	for _, tt := range tests {
		lo, hi, err := ParsePortRange(tt.in)
		if !tt.ok {
			assert.Errorf(t, err, "ParsePortRange(%q)", tt.in)
			continue
		}
		require.NoErrorf(t, err, "ParsePortRange(%q)", tt.in)
		assert.Equalf(t, [2]int{tt.lo, tt.hi}, [2]int{lo, hi}, "ParsePortRange(%q)", tt.in)
	}
}

// The exhaustion and busy-port tests use ports below Linux's ephemeral
// range (ip_local_port_range 32768-60999) that no other test asks for: a
// port another process holds is rightly skipped, which these tests would
// misread (one failed at load 10 when cmd/callplan's agent held 41002).
func TestPortsEvenAndExhaustion(t *testing.T) {
	t.Parallel()
	p, err := NewPorts(31001, 31008) // even ports 31002, 31004, 31006, 31008
	require.NoError(t, err)
	assert.Equal(t, 4, p.Capacity())
	var sessions []*Session
	for range 4 {
		s, err := p.Open(loopback)
		require.NoError(t, err)
		assert.Zero(t, s.LocalAddr().Port()%2, "rtp port %d is even", s.LocalAddr().Port())
		sessions = append(sessions, s)
	}
	assert.Equal(t, 4, p.InUse())
	_, err = p.Open(loopback)
	assert.ErrorIs(t, err, ErrNoPorts)
	require.NoError(t, sessions[0].Close())
	require.NoError(t, sessions[0].Close(), "Close is idempotent")
	assert.Equal(t, 3, p.InUse())
	s, err := p.Open(loopback)
	require.NoError(t, err)
	assert.Equal(t, sessions[0].LocalAddr(), s.LocalAddr(), "the freed port is reused")
	for _, s := range append(sessions[1:], s) {
		require.NoError(t, s.Close())
	}
	assert.Zero(t, p.InUse())
}

// A port held by someone else is skipped, not fatal.
func TestPortsSkipBusy(t *testing.T) {
	t.Parallel()
	busy, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, 31102)))
	require.NoError(t, err)
	defer busy.Close()
	p, err := NewPorts(31102, 31104)
	require.NoError(t, err)
	s, err := p.Open(loopback)
	require.NoError(t, err)
	defer s.Close()
	assert.EqualValues(t, 31104, s.LocalAddr().Port())
	assert.Equal(t, 1, p.InUse())
}

// peer is a plain UDP socket standing in for the far end.
func peer(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(loopback, 0)))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func send(t *testing.T, c *net.UDPConn, to netip.AddrPort, pt uint8, seq uint16, payload []byte) {
	t.Helper()
	b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: uint32(seq) * 160, SSRC: 7}, Payload: payload}).Marshal()
	require.NoError(t, err)
	_, err = c.WriteToUDPAddrPort(b, to)
	require.NoError(t, err)
}

func TestSessionCountsGapsAndReorder(t *testing.T) {
	t.Parallel()
	ports, err := NewPorts(42000, 42100)
	require.NoError(t, err)
	s, err := ports.Open(loopback)
	require.NoError(t, err)
	defer s.Close()
	far := peer(t)
	require.NoError(t, s.Start(far.LocalAddr().(*net.UDPAddr).AddrPort(), PCMU))

	var tapped atomic.Int32
	s.SetTap(func(h *rtp.Header, payload []byte) { tapped.Add(1) })

	frame := make([]byte, FrameSamples)
	// 65534, 65535, 0 (wrap), 3 (1 and 2 missing), 2 (late), DTMF, PCMA (not negotiated), garbage.
	for _, seq := range []uint16{65534, 65535, 0, 3, 2} {
		send(t, far, s.LocalAddr(), PCMU.PayloadType, seq, frame)
	}
	send(t, far, s.LocalAddr(), TelephoneEvent, 4, []byte{1, 0, 0, 160})
	send(t, far, s.LocalAddr(), PCMA.PayloadType, 5, frame)
	_, err = far.WriteToUDPAddrPort([]byte("junk"), s.LocalAddr())
	require.NoError(t, err)

	require.Eventually(t, func() bool { return s.Stats().InRawBytes > 0 && s.Stats().InInvalid == 2 }, 5*time.Second, 5*time.Millisecond)
	st := s.Stats()
	assert.EqualValues(t, 7, st.InPackets)
	assert.EqualValues(t, 5, st.InMediaPackets)
	assert.EqualValues(t, 5*(12+FrameSamples), st.InMediaBytes, "whole packets, as FreeSWITCH counts")
	assert.EqualValues(t, 1, st.InDTMFPackets)
	assert.EqualValues(t, 2, st.InInvalid, "PCMA while PCMU negotiated, and a non-RTP datagram")
	assert.EqualValues(t, 1, st.InLost, "1 and 2 missing, then 2 arrived late")
	assert.EqualValues(t, 1, st.InOutOfOrder)
	assert.EqualValues(t, 7*12+6*FrameSamples+4+4, st.InRawBytes)
	assert.Zero(t, st.OutPackets, "a parked session sends nothing")
	assert.EqualValues(t, 7, tapped.Load())
	assert.False(t, st.FirstIn.IsZero())
}

func TestSessionEchoAndWrite(t *testing.T) {
	t.Parallel()
	ports, err := NewPorts(42200, 42300)
	require.NoError(t, err)
	s, err := ports.Open(loopback)
	require.NoError(t, err)
	defer s.Close()
	far := peer(t)

	_, err = s.Write(make([]byte, FrameSamples))
	assert.ErrorIs(t, err, ErrNotStarted)
	require.NoError(t, s.Start(far.LocalAddr().(*net.UDPAddr).AddrPort(), PCMA))
	s.SetEcho(true)

	payload := make([]byte, FrameSamples)
	payload[0] = 0x55
	send(t, far, s.LocalAddr(), PCMA.PayloadType, 100, payload)

	buf := make([]byte, 1500)
	require.NoError(t, far.SetReadDeadline(time.Now().Add(5*time.Second)))
	n, err := far.Read(buf)
	require.NoError(t, err)
	var got rtp.Packet
	require.NoError(t, got.Unmarshal(buf[:n]))
	assert.Equal(t, PCMA.PayloadType, got.PayloadType)
	assert.Equal(t, payload, got.Payload)
	assert.NotEqual(t, uint32(7), got.SSRC, "echo uses the session's own SSRC")
	first := got.SequenceNumber
	firstTS := got.Timestamp

	s.SetEcho(false)
	_, err = s.Write(payload)
	require.NoError(t, err)
	n, err = far.Read(buf)
	require.NoError(t, err)
	require.NoError(t, got.Unmarshal(buf[:n]))
	assert.Equal(t, first+1, got.SequenceNumber)
	assert.Equal(t, firstTS+FrameSamples, got.Timestamp)

	st := s.Stats()
	assert.EqualValues(t, 2, st.OutPackets)
	assert.EqualValues(t, 2, st.OutMediaPackets)
	assert.EqualValues(t, 2*(12+FrameSamples), st.OutMediaBytes)

	require.NoError(t, s.Close())
	_, err = s.Write(payload)
	assert.ErrorIs(t, err, ErrClosed)
	assert.ErrorIs(t, s.Start(far.LocalAddr().(*net.UDPAddr).AddrPort(), PCMA), ErrClosed)
}

// Jitter follows RFC 3550: packets that arrive exactly as their timestamps
// say show none; a stream whose spacing alternates does.
func TestSessionJitter(t *testing.T) {
	t.Parallel()
	ports, err := NewPorts(42400, 42500)
	require.NoError(t, err)
	s, err := ports.Open(loopback)
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Start(netip.MustParseAddrPort("127.0.0.1:9"), PCMU))
	base := time.Now()
	s.mu.Lock()
	for i := range 50 {
		// 20 ms apart on the clock and in timestamps: transit constant.
		s.rx.jitterUpdate(&s.in, 8000, uint32(i*160), base.Add(time.Duration(i)*20*time.Millisecond))
	}
	steady := s.in.Jitter
	for i := 50; i < 100; i++ {
		// Alternately 10 ms early and on time.
		late := time.Duration(0)
		if i%2 == 0 {
			late = -10 * time.Millisecond
		}
		s.rx.jitterUpdate(&s.in, 8000, uint32(i*160), base.Add(time.Duration(i)*20*time.Millisecond+late))
	}
	jittery := s.in.Jitter
	s.mu.Unlock()
	assert.InDelta(t, 0, steady, 0.01, "no jitter for perfectly spaced packets")
	// |D| is 10 ms on every packet, so J converges to 10 ms.
	assert.InDelta(t, 10, jittery, 1, "jitter converges to the transit variation")
}

func TestCodecByName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Codec
		ok   bool
	}{
		{"PCMU", PCMU, true}, {"pcma", PCMA, true}, {"PCMU@20i", PCMU, true}, {" PCMA@8000h", PCMA, true},
		{"G729", Codec{}, false}, {"", Codec{}, false},
	}
	for _, tt := range tests {
		got, ok := CodecByName(tt.in)
		assert.Equalf(t, tt.want, got, "CodecByName(%q)", tt.in)
		assert.Equalf(t, tt.ok, ok, "CodecByName(%q) ok", tt.in)
	}
}
