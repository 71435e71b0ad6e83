package metrics

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// synthSecond is second i of a made-up series: counts, erlangs, a latency
// and a flow breakdown that vary from second to second.
func synthSecond(i int) Second {
	pdd := binCounter{}
	pdd.add(time.Duration(1+i%50) * time.Millisecond)
	s := Second{
		Index: i, Stage: "s", Calls: int64(i % 7), OK: int64(i % 5), Failed: int64(i % 2),
		Active: int64(i % 3), MaxActive: int64(i % 11), Erlangs: float64(i % 5),
		Causes: map[string]int64{"NORMAL_CLEARING": 1}, PDD: pdd.seal(),
		Callees: map[string]CalleeSecond{"b": {Received: 1, Active: int64(i % 4), MaxActive: int64(i % 9)}},
	}
	if i%3 == 0 {
		s.Flows = map[string]Second{"park": {Index: i, Stage: "s", Calls: 1, OK: 1, Erlangs: 0.5}}
	}
	return s
}

// TestTiersBoundTheSeriesAndKeepItsTotals: a long series is held in at most
// keep + maxCoarse entries that tile the run second by second, windows over
// them give the same counts, erlangs, percentiles and per-flow figures as
// over the seconds themselves, and the seconds handed in are not modified.
func TestTiersBoundTheSeriesAndKeepItsTotals(t *testing.T) {
	t.Parallel()
	for _, n := range []int{10, 300, 301, 1000, 5000} {
		tr := newTiers()
		orig := make([]Second, n)
		for i := range orig {
			orig[i] = synthSecond(i)
			tr.add(orig[i])
		}
		got := tr.all()
		require.LessOrEqual(t, len(got), DefaultFullResolution+maxCoarse, "n=%d", n)
		next := 0
		for _, s := range got {
			require.Equal(t, next, s.Index, "n=%d: buckets tile the run", n)
			next += s.Width()
		}
		require.Equal(t, n, next, "n=%d", n)
		tail := got[len(got)-min(n, DefaultFullResolution):]
		for _, s := range tail {
			assert.Equal(t, 1, s.Width(), "n=%d: the latest seconds are kept one by one", n)
		}

		want, have := Window(orig), Window(got)
		assert.Equal(t, want.Calls, have.Calls, "n=%d", n)
		assert.Equal(t, want.OK, have.OK, "n=%d", n)
		assert.Equal(t, want.Failed, have.Failed, "n=%d", n)
		assert.Equal(t, want.Causes, have.Causes, "n=%d", n)
		assert.Equal(t, want.Active, have.Active, "n=%d", n)
		assert.Equal(t, want.Erlangs.Max, have.Erlangs.Max, "n=%d", n)
		assert.InDelta(t, want.Erlangs.Mean, have.Erlangs.Mean, 1e-9, "n=%d", n)
		assert.InDelta(t, want.CPS.Mean, have.CPS.Mean, 1e-9, "n=%d", n)
		// Older buckets keep coarse bins (within 3 %).
		assert.Equal(t, want.PDD.Count, have.PDD.Count, "n=%d", n)
		for _, q := range [][2]time.Duration{{want.PDD.P50, have.PDD.P50}, {want.PDD.P95, have.PDD.P95}, {want.PDD.Max, have.PDD.Max}} {
			assert.InEpsilon(t, float64(q[0]), float64(q[1]), 0.032, "n=%d", n)
		}
		assert.Equal(t, want.CalleeNodes, have.CalleeNodes, "n=%d", n)

		flow := func(secs []Second) Group {
			out := make([]Second, len(secs))
			for i := range secs {
				out[i] = secs[i].Flow("park")
			}
			return Window(out)
		}
		wf, hf := flow(orig), flow(got)
		assert.Equal(t, wf.Calls, hf.Calls, "n=%d", n)
		assert.InDelta(t, wf.Erlangs.Mean, hf.Erlangs.Mean, 1e-9, "n=%d: a flow's share covers its bucket's span", n)

		for i := range orig {
			require.Equal(t, synthSecond(i), orig[i], "n=%d: second %d was modified", n, i)
		}
	}
}

// TestMergeSecondsLastAndMost: a bucket's active calls are its last
// second's, MaxActive the most in any, and a callee node missing from the
// later second has nothing in progress at the bucket's end.
func TestMergeSecondsLastAndMost(t *testing.T) {
	t.Parallel()
	a := Second{Index: 4, Stage: "a", Active: 9, MaxActive: 12, Erlangs: 3,
		Callees: map[string]CalleeSecond{"x": {Received: 2, Active: 5, MaxActive: 6}}}
	b := Second{Index: 5, Stage: "b", Active: 1, MaxActive: 2, Erlangs: 1, Span: 3,
		Heartbeats: map[string]Heartbeat{"x": {SessionCount: 7}}}
	m := mergeSeconds(a, b)
	assert.Equal(t, Second{Index: 4, Stage: "a", Span: 4, Active: 1, MaxActive: 12, Erlangs: 1.5,
		Callees:    map[string]CalleeSecond{"x": {Received: 2, Active: 0, MaxActive: 6}},
		Heartbeats: map[string]Heartbeat{"x": {SessionCount: 7}}}, m)
}

// TestCoarsenHist: an older bucket's histogram has 16 bins per power of
// two: counts kept, every value within 3.2 % of where it was, exact below
// 128 µs, and coarsening twice changes nothing.
func TestCoarsenHist(t *testing.T) {
	t.Parallel()
	fine := binCounter{}
	for us := int64(1); us < 5_000_000; us = us*21/20 + 1 {
		fine[binIndex(us)] += uint32(us%7 + 1)
	}
	h := fine.seal()
	c := coarsenHist(h)
	assert.Less(t, len(c.Bins), len(h.Bins))
	n, _ := h.totals()
	cn, _ := c.totals()
	assert.Equal(t, n, cn)
	assert.Equal(t, c, coarsenHist(c))
	for _, b := range h.Bins {
		one := coarsenHist(WindowHist{Bins: []Bin{b}})
		require.Len(t, one.Bins, 1)
		if b.Index < linearBins {
			assert.Equal(t, b.Index, one.Bins[0].Index)
			continue
		}
		assert.InEpsilon(t, float64(binValue(b.Index)), float64(binValue(one.Bins[0].Index)), 0.032, "bin %d", b.Index)
	}
	assert.Equal(t, fine.seal(), h, "h is not modified")
}
