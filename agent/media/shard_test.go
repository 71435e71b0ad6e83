package media

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startedOn opens a session on ports and starts it toward a new peer.
func startedOn(t *testing.T, ports *Ports, codec Codec) (*Session, *net.UDPConn) {
	t.Helper()
	s, err := ports.Open(loopback)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	far := peer(t)
	require.NoError(t, s.Start(far.LocalAddr().(*net.UDPAddr).AddrPort(), codec))
	return s, far
}

// A wheel whose thread does not wake (the host stalled its CPU) has its
// slots served by another running wheel, in order and without a gap, and
// the packets sent so are counted as hedged.
func TestHedgeServesAStalledWheel(t *testing.T) {
	t.Parallel()
	ports, err := NewPorts(44000, 44099)
	require.NoError(t, err)
	ports.sched = newScheduler(2)
	release := make(chan struct{})
	var releaseOnce sync.Once
	unstall := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(unstall)
	// The first session goes to the second wheel (scheduler.add is
	// round-robin from 1), whose thread then blocks before its first sleep.
	ports.sched.shards[1].stallForTest = func() { <-release }

	stalled, stalledFar := startedOn(t, ports, PCMU)
	play := stalled.SetSource(&frames{n: 50})
	busy, busyFar := startedOn(t, ports, PCMU)
	busy.SetSource(&frames{n: -1})
	readPackets(t, busyFar, 1) // the hedging wheel is running

	got := readPackets(t, stalledFar, 50)
	waitDone(t, play)
	for i := 1; i < len(got); i++ {
		assert.Equal(t, got[i-1].SequenceNumber+1, got[i].SequenceNumber, "no gap, no repeat")
		assert.Equal(t, got[i-1].Timestamp+160, got[i].Timestamp, "one frame apart in media time")
	}
	assert.GreaterOrEqual(t, ports.SchedulerStats().Hedged, uint64(50),
		"the stalled wheel's packets were all sent by the other")

	// Once the stalled wheel wakes, every late packet has its cause, those
	// the other wheel sent for it included.
	unstall()
	busy.Close()
	require.Eventually(t, func() bool { return ports.SchedulerStats().Streams == 0 },
		10*time.Second, time.Millisecond, "both wheels stop")
	st := ports.SchedulerStats()
	assert.Equal(t, st.Late, st.LateStalled+st.LateCPU+st.LateP+st.LateBlocked+st.LateWork,
		"the causes add up to Late: %+v", st)
}
