package media

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A batch goes out through the io_uring where the kernel has one (this
// machine's does), each packet from its own socket and intact, more packets
// than one submission holds, and a closed socket's packets dropped without
// taking the others down.
func TestSendBatchThroughRing(t *testing.T) {
	t.Parallel()
	probe, err := newRing()
	if err != nil {
		t.Logf("no io_uring here (%v): the batch is sent one packet per call", err)
	} else {
		probe.close()
	}
	ports, err := NewPorts(42600, 42899)
	require.NoError(t, err)
	far := peer(t)
	require.NoError(t, far.SetReadBuffer(1<<20))
	to := far.LocalAddr().(*net.UDPAddr).AddrPort()
	const sessions, per = 100, 3 // 300 packets: two submissions of at most 256
	var ss []*Session
	for range sessions {
		s, err := ports.Open(loopback)
		require.NoError(t, err)
		defer s.Close()
		ss = append(ss, s)
	}
	closed := ss[7]
	var b sendBatch
	defer b.close()
	for i, s := range ss {
		for j := range per {
			h := rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: uint16(j), Timestamp: uint32(i), SSRC: uint32(i)}
			require.NoError(t, b.add(s.sock, to, &h, []byte{byte(i), byte(j)}))
		}
	}
	require.NoError(t, closed.Close())
	b.flush()
	if probe != nil {
		assert.NotNil(t, b.sys.ring, "the batch went through the ring")
	}
	assert.Empty(t, b.pkts, "flush empties the batch")

	got := map[netip.AddrPort][]rtp.Packet{}
	buf := make([]byte, 1500)
	require.NoError(t, far.SetReadDeadline(time.Now().Add(10*time.Second)))
	for range (sessions - 1) * per {
		n, from, err := far.ReadFromUDPAddrPort(buf)
		require.NoError(t, err)
		var p rtp.Packet
		require.NoError(t, p.Unmarshal(buf[:n]))
		p.Payload = append([]byte(nil), p.Payload...)
		got[from] = append(got[from], p)
	}
	for i, s := range ss {
		ps := got[s.LocalAddr()]
		if s == closed {
			assert.Empty(t, ps, "a closed socket sends nothing")
			continue
		}
		require.Len(t, ps, per, "session %d", i)
		for j, p := range ps {
			assert.Equal(t, uint32(i), p.SSRC)
			assert.Equal(t, uint16(j), p.SequenceNumber, "a socket's packets leave in order")
			assert.Equal(t, []byte{byte(i), byte(j)}, p.Payload)
		}
	}
}

func BenchmarkNewRing(b *testing.B) {
	for b.Loop() {
		r, err := newRing()
		if err != nil {
			b.Fatal(err)
		}
		r.close()
	}
}
