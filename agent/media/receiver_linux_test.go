package media

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A receiver's goroutine and epoll set live only while it has sessions.
func TestReceiverStopsWhenEmpty(t *testing.T) {
	t.Parallel()
	ports, err := NewPorts(42500, 42599)
	require.NoError(t, err)
	far := peer(t)
	running := func() (n int) {
		for _, rc := range ports.recv.rs {
			rc.mu.Lock()
			if rc.ep != nil {
				n++
			}
			rc.mu.Unlock()
		}
		return n
	}
	for round := range 3 {
		var ss []*Session
		for range 2 * len(ports.recv.rs) {
			s, err := ports.Open(loopback)
			require.NoError(t, err)
			require.NoError(t, s.Start(far.LocalAddr().(*net.UDPAddr).AddrPort(), PCMU))
			ss = append(ss, s)
		}
		assert.Equal(t, len(ports.recv.rs), running(), "round %d: every receiver runs", round)
		send(t, far, ss[0].LocalAddr(), PCMU.PayloadType, 1, []byte{0xff})
		require.Eventually(t, func() bool { return ss[0].Stats().InMediaPackets == 1 }, 5*time.Second, time.Millisecond)
		for _, s := range ss {
			require.NoError(t, s.Close())
		}
		require.Eventually(t, func() bool { return running() == 0 }, 5*time.Second, time.Millisecond,
			"round %d: receivers stop when their last session closes", round)
	}
}
