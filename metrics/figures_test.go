package metrics

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// 100 bert calls with sync times 1..100 ms and a percent figure 0..99,
// 10 that recorded none (they never synced), and 5 park calls: the
// figures are kept for bert alone, over the calls that recorded them.
func TestFlowFiguresAreKeptPerFlow(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{}
	clk.Set(0)
	c := NewCollector("r", "p", WithClock(clk.Now))
	for i := range 110 {
		c.Originated("s", "bert", "n")
		r := &Record{Call: "c", Stage: "s", Flow: "bert", CallerNode: "n", Outcome: OutcomeOK}
		if i < 100 {
			r.SetTiming("sync_time", time.Duration(i+1)*time.Millisecond)
			r.SetValue("lost_percent", float64(i))
		}
		require.NoError(t, c.End(r))
	}
	for range 5 {
		c.Originated("s", "park", "n")
		require.NoError(t, c.End(&Record{Call: "p", Stage: "s", Flow: "park", CallerNode: "n", Outcome: OutcomeOK}))
	}
	s := c.Summary()
	bert := s.Flows["bert"]
	st := bert.Timings["sync_time"]
	assert.Equal(t, int64(100), st.Count)
	assert.Equal(t, time.Millisecond, st.Min)
	assert.InDelta(t, float64(95*time.Millisecond), float64(st.P95), float64(100*time.Microsecond))
	assert.InDelta(t, float64(50500*time.Microsecond), float64(st.Mean), float64(100*time.Microsecond))
	assert.Equal(t, 100*time.Millisecond, st.Max.Round(100*time.Microsecond))
	lp := bert.Values["lost_percent"]
	assert.Equal(t, int64(100), lp.Count)
	assert.InDelta(t, 0.0, lp.Min, 1e-9)
	assert.InDelta(t, 4.0, lp.P5, 0.01)
	assert.InDelta(t, 99.0, lp.Max, 0.1)

	assert.Empty(t, s.Flows["park"].Timings, "park recorded no figures")
	assert.Empty(t, s.Group.Timings, "figures are the flow's, not the run's")
	assert.Empty(t, s.Stages["s"].Values)

	// The record keeps its figures in the CDR's JSON lines.
	r := &Record{Call: "x"}
	r.SetTiming("sync_time", 1020*time.Millisecond)
	b, err := json.Marshal(r)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"timings":{"sync_time":1020000000}`)
}

// A second keeps the MOS, loss and jitter of the calls that ended in it,
// and a window merges them: the per-second figures the HTML report draws
// and windowed assertions read.
func TestSecondsKeepQuality(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{}
	clk.Set(0)
	c := NewCollector("r", "p", WithClock(clk.Now))
	end := func(at time.Duration, mos float64, lost int64) {
		clk.Set(at)
		c.Originated("s", "bert", "n")
		r := &Record{Call: "c", Stage: "s", Flow: "bert", CallerNode: "n", Outcome: OutcomeOK}
		if mos > 0 {
			r.CallerMedia = LegMedia{Packets: 100 - lost, Lost: lost, MOS: mos, Jitter: 2 * time.Millisecond}
		}
		require.NoError(t, c.End(r))
	}
	end(100*time.Millisecond, 4.4, 0)
	end(200*time.Millisecond, 4.2, 1)
	end(300*time.Millisecond, 0, 0) // no media: not counted
	end(1500*time.Millisecond, 3.1, 10)
	clk.Set(3 * time.Second)
	c.Tick()
	secs := c.Seconds()
	require.Len(t, secs, 3)

	m := secs[0].MOSScore()
	assert.Equal(t, int64(2), m.Count)
	assert.InDelta(t, 4.2, m.Min, 4.2*0.008)
	assert.InDelta(t, 4.4, m.Max, 4.4*0.008)
	assert.InDelta(t, 0.01, secs[0].LossScore().Max, 0.01*0.008)
	assert.InDelta(t, 0.0, secs[0].LossScore().Min, 1e-9)
	assert.InDelta(t, 3.1, secs[1].MOSScore().P50, 3.1*0.008)
	assert.InDelta(t, 0.1, secs[1].LossScore().Max, 0.1*0.008)
	assert.Zero(t, secs[2].MOSScore().Count, "no call ended in it")
	assert.InDelta(t, 4.2, secs[0].Flow("bert").MOSScore().Min, 4.2*0.008, "per flow too")

	w := Window(secs)
	assert.Equal(t, int64(3), w.MOS.Count)
	assert.InDelta(t, 3.1, w.MOS.Min, 3.1*0.008)
	assert.InDelta(t, 0.1, w.Loss.Max, 0.1*0.008)
	assert.InDelta(t, float64(2*time.Millisecond), float64(w.Jitter.P50), float64(2*time.Millisecond)*0.008)

	b, err := json.Marshal(secs[2])
	require.NoError(t, err)
	assert.NotContains(t, string(b), `"mos"`, "a second without media carries no quality")
}
