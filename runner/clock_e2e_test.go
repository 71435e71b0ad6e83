//go:build e2e

package runner

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/agent"
	"github.com/callplan/callplan/metrics"
)

// TestE2EClocks runs calls on two agents: one stamping its events on a
// 20 ms grid, as FreeSWITCH does with default timer settings, and one with
// a fine clock. The run learns each node's resolution; the coarse node's
// latencies are measured on the runner's receipt clock (its setup latency
// is no longer 0), the fine node's on its own clock once known.
func TestE2EClocks(t *testing.T) {
	t.Parallel()
	coarse := testAgent(t, agent.Config{EventClockStep: 20 * time.Millisecond})
	fine := testAgent(t, agent.Config{})
	cfg := e2eConfig(t, "clocks", agentNode(t, coarse, "coarse"), agentNode(t, fine, "fine"))
	cfg.Stages = []Stage{{Name: "steady", Duration: 3 * time.Second, From: 10, To: 10, Hold: 200 * time.Millisecond}}
	res, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	s := res.Summary
	require.Equal(t, int64(30), s.OK, "reasons %v", s.Reasons)

	c := s.Clocks["coarse"]
	require.True(t, c.ResolutionKnown, "%+v", c)
	// The estimate is the smallest gap between distinct stamps: on a busy
	// CI machine events can come sparser than one per tick, and the
	// smallest gap is then a whole number of 20 ms ticks (40 ms seen).
	steps := math.Round(float64(c.Resolution) / float64(20*time.Millisecond))
	assert.True(t, steps >= 1 && steps <= 3, "resolution %v is 1-3 ticks of 20 ms", c.Resolution)
	assert.InDelta(t, steps*float64(20*time.Millisecond), float64(c.Resolution), float64(time.Millisecond))
	assert.True(t, c.Coarse())
	assert.Equal(t, metrics.ClockReceipt, c.Latencies)
	assert.Equal(t, s.Nodes["coarse"].Calls, c.ReceiptCalls, "every call of the coarse node on the receipt clock")
	assert.Zero(t, c.NodeCalls)
	// On its own 20 ms clock most setup latencies would read 0 (1 µs, the
	// histogram's floor); on the receipt clock they are the INVITE's
	// trip over loopback.
	assert.Greater(t, s.Nodes["coarse"].SetupLatency.P50, 20*time.Microsecond)
	assert.LessOrEqual(t, c.Offset, time.Duration(0), "same host: the node's stamps are never later than their receipt")
	assert.Greater(t, c.Offset, -25*time.Millisecond)

	f := s.Clocks["fine"]
	require.True(t, f.ResolutionKnown, "%+v", f)
	assert.False(t, f.Coarse(), "resolution %v", f.Resolution)
	assert.Equal(t, metrics.ClockNode, f.Latencies)
	assert.Greater(t, f.NodeCalls, int64(10), "once known, the fine node's calls use its own clock")
	assert.InDelta(t, 0, float64(f.Offset), float64(5*time.Millisecond))
}
