package runner

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/metrics"
)

// A caller node sends calls to three callee nodes in turn (a perfect
// round-robin balancer): each callee node's calls are counted as they
// land, and the imbalance is 0; heartbeats reach the time series.
func TestRunCountsCallsPerCalleeNode(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		cl := newFakeCluster(t)
		gen := cl.node("gen")
		callees := []*fakeNode{cl.node("a"), cl.node("b"), cl.node("c")}
		specs := []NodeSpec{gen.spec()}
		specs[0].Callee = false
		for _, n := range callees {
			s := n.spec()
			s.Caller = false
			specs = append(specs, s)
		}
		cfg := baseConfig(t, "r1", specs...)
		cfg.Collector = metrics.NewCollector("r1", "test", metrics.WithCalleeNodes("a", "b", "c"))
		var next atomic.Int64
		cfg.Dial = dialTo(func(Origination) string {
			return callees[(next.Add(1)-1)%3].name
		}, 2*time.Second)
		cfg.Stages = []Stage{{Name: "s", Duration: 1500 * time.Millisecond, From: 20, To: 20, Hold: 50 * time.Millisecond}}
		gen.heartbeat(3, 1000, 99.5)
		res, err := Run(context.Background(), cfg)
		require.NoError(t, err)
		s := res.Summary
		require.Equal(t, int64(30), s.OK, "reasons %v", s.Reasons)
		for _, n := range []string{"a", "b", "c"} {
			assert.Equal(t, int64(10), s.CalleeNodes[n].Received, n)
			assert.Equal(t, int64(10), s.CalleeNodes[n].Answered, n)
			assert.InDelta(t, 1.0/3, s.CalleeNodes[n].Share, 1e-9, n)
		}
		assert.Zero(t, s.Imbalance)
		var beats int
		for _, sec := range cfg.Collector.Seconds() {
			if hb, ok := sec.Heartbeats["gen"]; ok {
				beats++
				assert.Equal(t, metrics.Heartbeat{SessionCount: 3, MaxSessions: 1000, IdleCPU: 99.5}, hb)
			}
		}
		assert.Equal(t, 1, beats, "the heartbeat is in the second it arrived in")
	})
}
