package metrics

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRecordQualityIsTheWorseDirection(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name           string
		caller, callee LegMedia
		mos, loss      float64
		jitter         time.Duration
		ok             bool
	}{
		{"no media on either leg", LegMedia{}, LegMedia{}, 0, 0, 0, false},
		{"one leg heard audio", LegMedia{Packets: 100, MOS: 4.4, Jitter: 2 * time.Millisecond}, LegMedia{}, 4.4, 0, 2 * time.Millisecond, true},
		{"the worse of each figure", LegMedia{Packets: 95, Lost: 5, MOS: 3.9, Jitter: time.Millisecond},
			LegMedia{Packets: 99, Lost: 1, MOS: 4.3, Jitter: 7 * time.Millisecond}, 3.9, 0.05, 7 * time.Millisecond, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Record{CallerMedia: tc.caller, CalleeMedia: tc.callee}
			mos, loss, jitter, ok := r.Quality()
			assert.Equal(t, tc.ok, ok)
			assert.InDelta(t, tc.mos, mos, 1e-9, "mos")
			assert.InDelta(t, tc.loss, loss, 1e-9, "loss")
			assert.Equal(t, tc.jitter, jitter, "jitter")
		})
	}
}

// 100 calls with MOS 4.40 down to 3.41 (one each), loss 0..99 ‰, jitter
// 1..100 ms, plus 20 calls without media that must not count.
func TestSummaryQualityDistributions(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{}
	clk.Set(0)
	c := NewCollector("r", "p", WithClock(clk.Now))
	for i := range 120 {
		c.Originated("s", "playrec", "n")
		r := &Record{Call: "c", Stage: "s", Flow: "playrec", CallerNode: "n", Outcome: OutcomeOK}
		if i < 100 {
			r.CallerMedia = LegMedia{Packets: 1000 - int64(i), Lost: int64(i), MOS: 4.40 - float64(i)/100,
				Jitter: time.Duration(i+1) * time.Millisecond}
			r.CalleeMedia = LegMedia{Packets: 1000, MOS: 4.5}
		}
		require.NoError(t, c.End(r))
	}
	s := c.Summary()
	for name, g := range map[string]Group{"run": s.Group, "flow": s.Flows["playrec"], "stage": s.Stages["s"]} {
		assert.Equal(t, int64(100), g.MOS.Count, "%s: only calls with media count", name)
		assert.InDelta(t, 3.41, g.MOS.Min, 0.005, name)
		assert.InDelta(t, 3.41, g.MOS.P1, 0.005, name)
		assert.InDelta(t, 3.45, g.MOS.P5, 0.005, name)
		assert.InDelta(t, 3.90, g.MOS.P50, 0.005, name)
		assert.InDelta(t, 3.905, g.MOS.Mean, 0.005, name)
		assert.InDelta(t, 4.40, g.MOS.Max, 0.005, name)
		assert.InDelta(t, 0.099, g.Loss.Max, 0.0005, name)
		assert.InDelta(t, 0.0, g.Loss.Min, 1e-9, name)
		assert.InDelta(t, float64(95*time.Millisecond), float64(g.Jitter.P95), float64(200*time.Microsecond), name)
		assert.Equal(t, 100*time.Millisecond, g.Jitter.Max.Round(100*time.Microsecond), name)
	}
}

func TestCDRQualityColumns(t *testing.T) {
	t.Parallel()
	r := &Record{Run: "r", Call: "c", Outcome: OutcomeOK,
		CallerMedia: LegMedia{Packets: 190, Lost: 10, MOS: 3.95, Jitter: 1500 * time.Microsecond},
		CalleeMedia: LegMedia{Packets: 200, MOS: 4.5}}
	row := cdrRow(r)
	require.Len(t, row, len(cdrHeader))
	got := map[string]string{}
	for i, h := range cdrHeader {
		got[h] = row[i]
	}
	assert.Equal(t, "3.95", got["mos"])
	assert.Equal(t, "0.050000", got["loss"])
	assert.Equal(t, "1.500", got["jitter_ms"])
	assert.Equal(t, "190", got["caller_in_packets"])
	assert.Equal(t, "4.50", got["callee_in_mos"])

	row = cdrRow(&Record{Run: "r", Call: "quiet", Outcome: OutcomeOK})
	require.Len(t, row, len(cdrHeader))
	assert.Empty(t, row[len(row)-1], "no media, no quality columns")
}
