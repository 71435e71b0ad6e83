package media

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestImpairmentValidate(t *testing.T) {
	t.Parallel()
	for _, bad := range []Impairment{{Loss: -0.1}, {Loss: 1}, {Loss: 0.1, Burst: 0.5}, {Delay: -time.Millisecond},
		{Jitter: -1}, {Delay: 10 * time.Second, Jitter: time.Millisecond}} {
		assert.ErrorIsf(t, bad.Validate(), ErrImpairment, "%+v", bad)
	}
	for _, ok := range []Impairment{{}, {Loss: 0.05}, {Loss: 0.2, Burst: 3, Delay: 50 * time.Millisecond, Jitter: 30 * time.Millisecond}} {
		assert.NoErrorf(t, ok.Validate(), "%+v", ok)
	}
}

// The loss chain gives the configured rate and mean burst length.
func TestImpairmentLossModel(t *testing.T) {
	t.Parallel()
	tests := []Impairment{{Loss: 0.05}, {Loss: 0.05, Burst: 4}, {Loss: 0.2, Burst: 2}, {Loss: 0.01}}
	for _, im := range tests {
		im.Seed = 42
		var st impairState
		const n = 200000
		lost, runs, prev := 0, 0, false
		for range n {
			drop, d := st.fate(&im)
			assert.Zero(t, d)
			if drop {
				lost++
				if !prev {
					runs++
				}
			}
			prev = drop
		}
		assert.InDeltaf(t, im.Loss, float64(lost)/n, 0.005, "loss rate of %v", im)
		assert.InDeltaf(t, max(im.Burst, 1), float64(lost)/float64(runs), 0.15, "mean burst of %v", im)
	}
}

func TestImpairmentDelayAndJitter(t *testing.T) {
	t.Parallel()
	im := Impairment{Delay: 40 * time.Millisecond, Jitter: 10 * time.Millisecond, Seed: 7}
	var st impairState
	for range 1000 {
		drop, d := st.fate(&im)
		require.False(t, drop)
		require.GreaterOrEqual(t, d, 40*time.Millisecond)
		require.LessOrEqual(t, d, 50*time.Millisecond)
	}
}

// Through the scheduler: a delayed stream arrives later than its send and
// whole; a lossy one loses what the receiver's statistics count.
func TestImpairedSession(t *testing.T) {
	t.Parallel()
	s, far := started(t, PCMU)
	require.NoError(t, s.ports.SetImpairment(Impairment{Delay: 150 * time.Millisecond}))
	start := time.Now()
	p := s.SetSource(&frames{n: 3})
	readPackets(t, far, 1)
	// Observed after it arrived, which was after it was sent: a safe bound.
	assert.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond, "held back by the delay")
	readPackets(t, far, 2)
	waitDone(t, p)

	ports, err := NewPorts(44000, 44100)
	require.NoError(t, err)
	require.NoError(t, ports.SetImpairment(Impairment{Loss: 0.3, Seed: 3}))
	tx, err := ports.Open(loopback)
	require.NoError(t, err)
	defer tx.Close()
	rx, err := ports.Open(loopback)
	require.NoError(t, err)
	defer rx.Close()
	require.NoError(t, tx.Start(rx.LocalAddr(), PCMU))
	require.NoError(t, rx.Start(tx.LocalAddr(), PCMU))
	waitDone(t, tx.SetSource(&frames{n: 100}))
	require.Eventually(t, func() bool { return ports.SchedulerStats().Streams == 0 }, 10*time.Second, time.Millisecond)
	st := rx.Stats()
	assert.EqualValues(t, 100, tx.Stats().OutMediaPackets, "dropped packets count as sent")
	assert.Greater(t, st.InLost, uint64(10))
	// Lost is counted up to the last packet that arrived.
	assert.LessOrEqual(t, st.InMediaPackets+st.InLost, uint64(100))
	assert.Less(t, st.MOS(), 4.0)
}
