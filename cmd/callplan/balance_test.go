package main

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/metrics"
	"github.com/callplan/callplan/report"
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
	// A loaded machine may send arrivals late: they are counted missed
	// (measure's pacing accounting), not silently dropped, and a run that
	// missed more than a few cannot judge balance, so it is run again, up
	// to three times.
	const arrivals, tolerated, attempts = 120, 3, 3
	run := func(policy string) metrics.Summary {
		var s metrics.Summary
		for attempt := 1; attempt <= attempts; attempt++ {
			dir := t.TempDir()
			code, out, errOut := runCLI(t, "run", "../../scenarios/least-loaded.yaml", "--out", dir, "--quiet",
				"--set", "node_policy="+policy)
			s = readSummary(t, dir)
			require.Equal(t, int64(arrivals), s.Calls+s.Missed, "calls %d missed %d", s.Calls, s.Missed)
			if s.Missed > tolerated {
				t.Logf("%s attempt %d: %d of %d arrivals missed, the machine is too busy to judge balance", policy, attempt, s.Missed, arrivals)
				continue
			}
			if policy == "least_loaded" {
				// The scenario gates live calls even within 10 %, which
				// an idle machine meets (imbalance 0.015); under make
				// test's load (every package on 2 shared cores) answers
				// and heartbeats lag and it has read 0.15 with no arrival
				// missed, still far under round robin's 0.4. So that one
				// verdict may fail here: the balance is judged below
				// against round_robin's; every other verdict must pass.
				require.Contains(t, []ExitCode{ExitPassed, ExitAssertionsFailed}, code, "stdout %s\nstderr %s", out, errOut)
				res, err := report.Read(dir)
				require.NoError(t, err)
				for _, v := range res.Verdicts {
					assert.True(t, v.Pass || v.Name == "live calls even", "verdict %s", v.String())
				}
			}
			require.Equal(t, s.Calls, s.Answered)
			return s
		}
		require.LessOrEqual(t, s.Missed, int64(tolerated), "%s: more than a few arrivals missed in each of %d attempts", policy, attempts)
		return s
	}
	rr, ll := run("round_robin"), run("least_loaded")
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
	assert.Less(t, erlangImbalance(ll), 0.25, "even on a loaded machine")
	assert.Less(t, erlangImbalance(ll), erlangImbalance(rr)/2)
	peaks := []float64{ll.Nodes["g1"].Erlangs.Max, ll.Nodes["g2"].Erlangs.Max, ll.Nodes["g3"].Erlangs.Max}
	assert.LessOrEqual(t, slices.Max(peaks)-slices.Min(peaks), 2.0, "peak live calls per node %v", peaks)
}
