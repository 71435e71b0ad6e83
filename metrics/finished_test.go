package metrics

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFinished(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		in           Group
		calls        int64
		asr, success float64
	}{
		{"nothing ended", Group{Calls: 9, Active: 9}, 0, 0, 0},
		{"all held, three ended ok", Group{Calls: 9, Answered: 3, OK: 3, Active: 6}, 3, 1, 1},
		{"failed and unknown count", Group{Calls: 10, Answered: 6, OK: 5, Failed: 2, Unknown: 1}, 8, 0.75, 0.625},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := Finished(tc.in)
			assert.Equal(t, tc.calls, g.Calls, "Finished(%+v).Calls", tc.in)
			assert.InDelta(t, tc.asr, g.ASR, 1e-9)
			assert.InDelta(t, tc.success, g.Success, 1e-9)
			assert.Equal(t, tc.in.Active, g.Active, "in-progress calls are still reported active")
		})
	}
}

func TestFinishedSummaryLeavesTheSummaryAlone(t *testing.T) {
	t.Parallel()
	s := Summary{Group: Group{Calls: 4, OK: 1, Answered: 1},
		Stages: map[string]Group{"a": {Calls: 4, OK: 1, Answered: 1}},
		Flows:  map[string]Group{"park": {Calls: 4, Failed: 2}},
		Nodes:  map[string]Group{"n": {Calls: 4}}}
	f := FinishedSummary(&s)
	assert.Equal(t, int64(1), f.Calls)
	assert.Equal(t, 1.0, f.Stages["a"].Success)
	assert.Equal(t, int64(2), f.Flows["park"].Calls)
	assert.Equal(t, 0.0, f.Flows["park"].Success)
	assert.Equal(t, int64(0), f.Nodes["n"].Calls)
	assert.Equal(t, int64(4), s.Calls, "the original summary is unchanged")
	assert.Equal(t, int64(4), s.Stages["a"].Calls)
}

// TestFinishedWindowFromCollector: a call answered in one second and ended
// in a later one counts as an answer where it happened (Window) and as a
// finished answered call where it ended (FinishedWindow).
func TestFinishedWindowFromCollector(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewCollector("r", "p", WithClock(func() time.Time { return now }))
	c.SetStage("s")
	for range 4 {
		c.Offered("s", "park")
		c.Originated("s", "park", "n1")
		c.AnsweredIn("park", "n1")
	}
	now = now.Add(time.Second)
	ans := now.Add(-500 * time.Millisecond)
	for i := range 3 {
		r := &Record{Stage: "s", Flow: "park", CallerNode: "n1", CallerCreate: ans, CallerAnswer: ans, Outcome: OutcomeOK}
		if i == 2 {
			r.Outcome, r.Reason = OutcomeFailed, "x"
		}
		require.NoError(t, c.End(r))
	}
	now = now.Add(time.Second)
	c.Tick()
	secs := c.Seconds()
	require.Len(t, secs, 2)
	assert.Equal(t, int64(0), secs[0].EndedAnswered)
	assert.Equal(t, int64(3), secs[1].EndedAnswered)
	assert.Equal(t, int64(3), secs[1].Flow("park").EndedAnswered)
	assert.Equal(t, int64(3), secs[1].Node("n1").EndedAnswered)

	first := FinishedWindow(secs[:1])
	assert.Equal(t, int64(0), first.Calls, "nothing ended in the first second")
	both := FinishedWindow(secs)
	assert.Equal(t, int64(3), both.Calls)
	assert.Equal(t, int64(3), both.Answered)
	assert.InDelta(t, 2.0/3, both.Success, 1e-9)
	assert.Equal(t, int64(4), Window(secs).Answered, "Window still counts answers as they happen")
}
