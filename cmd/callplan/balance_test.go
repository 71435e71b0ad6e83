package main

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/metrics"
)

// erlangImbalance is max ÷ mean − 1 of the generator nodes' mean live
// calls: how unevenly the run loaded its generators.
func erlangImbalance(s metrics.Summary) float64 {
	var sum, most float64
	for _, g := range s.Nodes {
		sum += g.Erlangs.Mean
		most = max(most, g.Erlangs.Mean)
	}
	return most/(sum/float64(len(s.Nodes))) - 1
}

// One generator of three answers a second late. round_robin still gives it
// a third of the calls, and each lasts a second longer there, so it
// carries far more live calls than the others; least_loaded, steering by
// live legs, gives it fewer calls and keeps live calls even
// (docs/load-model.md).
func TestLeastLoadedEvensOutASlowNode(t *testing.T) {
	t.Parallel()
	run := func(policy string) metrics.Summary {
		dir := t.TempDir()
		code, out, errOut := runCLI(t, "run", "../../scenarios/least-loaded.yaml", "--out", dir, "--quiet",
			"--set", "node_policy="+policy)
		if policy == "least_loaded" {
			require.Equal(t, ExitPassed, code, "stdout %s\nstderr %s", out, errOut)
		}
		return readSummary(t, dir)
	}
	rr, ll := run("round_robin"), run("least_loaded")
	for _, s := range []metrics.Summary{rr, ll} {
		// A loaded machine may send an arrival too late: it is counted
		// missed (measure's pacing accounting), not silently dropped.
		require.Equal(t, int64(120), s.Calls+s.Missed, "calls %d missed %d", s.Calls, s.Missed)
		require.LessOrEqual(t, s.Missed, int64(3), "more than a few arrivals missed: the machine is too busy to judge balance")
		require.Equal(t, s.Calls, s.Answered)
	}
	for _, x := range []struct {
		policy string
		s      metrics.Summary
	}{{"round_robin", rr}, {"least_loaded", ll}} {
		n := x.s.Nodes
		t.Logf("%s: calls g1/g2/g3 %d/%d/%d, mean live calls %.2f/%.2f/%.2f, peak %.0f/%.0f/%.0f, imbalance %.3f", x.policy,
			n["g1"].Calls, n["g2"].Calls, n["g3"].Calls, n["g1"].Erlangs.Mean, n["g2"].Erlangs.Mean, n["g3"].Erlangs.Mean,
			n["g1"].Erlangs.Max, n["g2"].Erlangs.Max, n["g3"].Erlangs.Max, erlangImbalance(x.s))
	}

	// round_robin: equal calls, the slow node about twice as loaded.
	assert.InDelta(t, rr.Calls/3, rr.Nodes["g3"].Calls, 1)
	assert.Greater(t, erlangImbalance(rr), 0.25)
	// least_loaded: the slow node gets the fewest calls, live calls even.
	assert.Less(t, ll.Nodes["g3"].Calls, min(ll.Nodes["g1"].Calls, ll.Nodes["g2"].Calls))
	assert.Less(t, erlangImbalance(ll), 0.1)
	assert.Less(t, erlangImbalance(ll), erlangImbalance(rr)/2)
	peaks := []float64{ll.Nodes["g1"].Erlangs.Max, ll.Nodes["g2"].Erlangs.Max, ll.Nodes["g3"].Erlangs.Max}
	assert.LessOrEqual(t, slices.Max(peaks)-slices.Min(peaks), 2.0, "peak live calls per node %v", peaks)
}
