package metrics

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCollectorMemoryStaysFlat: the collector's heap does not grow with the
// calls a run makes, nor with its length. Each case warms up (histograms
// allocated, and for the long run the series already past its full-
// resolution tail and into coarse buckets), reads the heap after GC, runs
// on, and reads it again. Before the series was bounded, the long case grew
// by about 3 kB per simulated second (its three buckets a second: the
// run's, flow park's and node n's): 10 MB here.
func TestCollectorMemoryStaysFlat(t *testing.T) {
	// Not parallel: it measures the heap.
	cases := []struct {
		name          string
		perSecond     int // calls per simulated second
		warm, seconds int // seconds of warm-up, then of the measured run
		maxGrowth     int64
	}{
		// 200 000 calls in 200 s: 20 bytes per call would be a record
		// kept for every 50th call.
		{name: "many calls", perSecond: 1000, warm: 20, seconds: 200, maxGrowth: 200_000 * 20},
		// 72 000 calls over an hour: a bounded series adds nothing
		// once its buckets are all there (about 300 entries).
		{name: "long run", perSecond: 20, warm: 600, seconds: 3600, maxGrowth: 1 << 20},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := &fakeClock{}
			clk.Set(0)
			c := NewCollector("r", "p", WithClock(clk.Now))
			c.SetStage("s")
			step := time.Second / time.Duration(tc.perSecond)
			run := func(from, n int) {
				for i := from; i < from+n; i++ {
					at := time.Duration(i) * step
					clk.Set(at)
					c.Offered("s", "park")
					c.Originated("s", "park", "n")
					r := call("x", "s", "park", "n", t0.Add(at), ms(10+i%97), ms(100+i%1000), OutcomeOK, "NORMAL_CLEARING", 200)
					require.NoError(t, c.End(r))
				}
			}
			warm, total := tc.warm*tc.perSecond, (tc.warm+tc.seconds)*tc.perSecond
			run(0, warm)
			before := heapAfterGC()
			run(warm, total-warm)
			after := heapAfterGC()
			grown := int64(after) - int64(before)
			t.Logf("heap grew %d bytes", grown)
			assert.Less(t, grown, tc.maxGrowth, "heap grew %d bytes over %d calls in %d s", grown, total-warm, tc.seconds)

			s := c.Summary()
			assert.Equal(t, int64(total), s.OK)
			// The series still covers every second and every call, in
			// at most its bound of entries.
			secs := c.Seconds()
			assert.LessOrEqual(t, len(secs), DefaultFullResolution+maxCoarse)
			var width int
			var calls int64
			for _, x := range secs {
				width += x.Width()
				calls += x.Calls
			}
			assert.Equal(t, tc.warm+tc.seconds-1, width, "seconds covered (the last is still open)")
			assert.Equal(t, int64(total-tc.perSecond), calls, "calls in the sealed seconds")
		})
	}
}

func heapAfterGC() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
