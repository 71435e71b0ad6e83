package flows

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/metrics"
)

// mutedCall starts a muted_playrec call up to its first round's
// recordings: both legs answered, both playing, the first mute set and
// the settle delay passed.
func mutedCall(t *testing.T, with map[string]string) (Flow, *Call, *fakeLeg, *fakeLeg, string) {
	t.Helper()
	dir := t.TempDir()
	w := map[string]string{"dir": dir, "record_for": "1s"}
	for k, v := range with {
		w[k] = v
	}
	f := ForCall(build(t, "muted_playrec", w))
	c, caller, callee := newCall(time.Minute)
	ctx := context.Background()
	require.NoError(t, f.On(ctx, c, Event{Kind: CalleeArrived}))
	require.NoError(t, f.On(ctx, c, Event{Kind: CalleeAnswered}))
	require.NoError(t, f.On(ctx, c, Event{Kind: CallerAnswered}))
	require.Equal(t, 1, caller.fireOnly(muteSettle), "the settle delay, then the recordings")
	return f, c, caller, callee, dir
}

func mutedPath(dir string, round int, leg Leg) string {
	return filepath.Join(dir, fmt.Sprintf("c1-%d-%s.wav", round, leg))
}

// One round: the recordings run record_for, then stop on both legs.
func mutedRoundDone(t *testing.T, f Flow, c *Call, caller *fakeLeg, dir string, round int, callerAmp, calleeAmp float64) {
	t.Helper()
	ctx := context.Background()
	writeWAV(t, mutedPath(dir, round, LegCaller), 8000, callerAmp)
	writeWAV(t, mutedPath(dir, round, LegCallee), 8000, calleeAmp)
	require.Equal(t, 1, caller.fireOnly(time.Second), "the stop")
	require.NoError(t, f.On(ctx, c, recStop(LegCaller, mutedPath(dir, round, LegCaller), time.Second, "success-maxtime")))
	require.NoError(t, f.On(ctx, c, recStop(LegCallee, mutedPath(dir, round, LegCallee), time.Second, "success-maxtime")))
}

func TestMutedPlayRecMovesTheMute(t *testing.T) {
	t.Parallel()
	f, c, caller, callee, dir := mutedCall(t, nil)
	// The flow answers the callee; both legs record only what they
	// receive and play the clip; the callee is muted first; both record.
	assert.Equal(t, []string{
		"answer", "set RECORD_READ_ONLY=true", "play " + DefaultClip, "mute write on",
		"record " + mutedPath(dir, 1, LegCallee) + " 6s",
	}, callee.did)
	assert.Equal(t, []string{"set RECORD_READ_ONLY=true", "play " + DefaultClip, "record " + mutedPath(dir, 1, LegCaller) + " 6s"}, caller.did)
	// Round 1: the callee is muted, so the caller records silence.
	mutedRoundDone(t, f, c, caller, dir, 1, 0, 8000)
	// Round 2: the mute moves to the caller.
	assert.Equal(t, "mute write on", caller.did[len(caller.did)-1])
	assert.Contains(t, callee.did, "mute write off")
	require.Equal(t, 1, caller.fireOnly(muteSettle))
	mutedRoundDone(t, f, c, caller, dir, 2, 8000, 0)
	assert.Equal(t, "hangup NORMAL_CLEARING", caller.did[len(caller.did)-1])
	assert.NoFileExists(t, mutedPath(dir, 1, LegCaller), "removed once checked")

	r := answeredRecord()
	f.Judge(&r)
	assert.Equal(t, metrics.OutcomeOK, r.Outcome, r.Reason)
	assert.Equal(t, map[string]int64{"recordings": 4}, r.Counts)
	assert.Equal(t, "-200.0", r.Fields["muted_dbfs"])
	assert.Equal(t, "1000.000", r.Fields["record_ms"])
	assert.NotEmpty(t, r.Fields["open_dbfs"])
}

func TestMutedPlayRecJudges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const loud = 8000.0
	tests := []struct {
		name   string
		with   map[string]string
		run    func(t *testing.T, f Flow, c *Call, caller *fakeLeg, dir string)
		reason string
		counts map[string]int64
	}{
		{"audio through the muted direction", map[string]string{"iterations": "1"}, func(t *testing.T, f Flow, c *Call, caller *fakeLeg, dir string) {
			mutedRoundDone(t, f, c, caller, dir, 1, loud, loud)
		}, "muted_not_silent", map[string]int64{"not_silent": 1, "recordings": 1}},
		{"the open direction silent", map[string]string{"iterations": "1"}, func(t *testing.T, f Flow, c *Call, caller *fakeLeg, dir string) {
			mutedRoundDone(t, f, c, caller, dir, 1, 0, 0)
		}, "recording_silent", map[string]int64{"silent": 1, "recordings": 1}},
		{"mute_first caller", map[string]string{"iterations": "1", "mute_first": "caller"}, func(t *testing.T, f Flow, c *Call, caller *fakeLeg, dir string) {
			mutedRoundDone(t, f, c, caller, dir, 1, loud, 0)
		}, "", map[string]int64{"recordings": 2}},
		{"one RECORD_STOP never comes: the watchdog ends the call", map[string]string{"iterations": "1"}, func(t *testing.T, f Flow, c *Call, caller *fakeLeg, dir string) {
			writeWAV(t, mutedPath(dir, 1, LegCaller), 8000, 0)
			require.Equal(t, 1, caller.fireOnly(time.Second))
			require.NoError(t, f.On(ctx, c, recStop(LegCaller, mutedPath(dir, 1, LegCaller), time.Second, "success-maxtime")))
			require.NoError(t, f.On(ctx, c, recStop(LegCaller, mutedPath(dir, 1, LegCaller), time.Second, "success-maxtime")), "a second stop")
			require.NoError(t, f.On(ctx, c, recStop(LegCallee, mutedPath(dir, 1, LegCaller), time.Second, "success-maxtime")), "the other leg's path")
			assert.NotContains(t, caller.did, "hangup NORMAL_CLEARING")
			require.Equal(t, 1, caller.fireOnly(muteSettle+time.Second+recordGrace))
			assert.Contains(t, caller.did, "hangup NORMAL_CLEARING")
		}, "recording_missing", map[string]int64{"missing": 1, "recordings": 1}},
		{"the call ends before the second round", nil, func(t *testing.T, f Flow, c *Call, caller *fakeLeg, dir string) {
			mutedRoundDone(t, f, c, caller, dir, 1, 0, loud)
		}, "recording_missing", map[string]int64{"missing": 2, "recordings": 2}},
		{"wrong length", map[string]string{"iterations": "1", "tolerance": "100ms"}, func(t *testing.T, f Flow, c *Call, caller *fakeLeg, dir string) {
			writeWAV(t, mutedPath(dir, 1, LegCaller), 4000, 0)
			writeWAV(t, mutedPath(dir, 1, LegCallee), 8000, loud)
			require.NoError(t, f.On(ctx, c, recStop(LegCaller, mutedPath(dir, 1, LegCaller), 500*time.Millisecond, "success")))
			require.NoError(t, f.On(ctx, c, recStop(LegCallee, mutedPath(dir, 1, LegCallee), time.Second, "success")))
		}, "recording_length", map[string]int64{"wrong_length": 1, "recordings": 1}},
		{"verify event: lengths only", map[string]string{"iterations": "1", "verify": "event"}, func(t *testing.T, f Flow, c *Call, caller *fakeLeg, dir string) {
			require.NoError(t, f.On(ctx, c, recStop(LegCaller, mutedPath(dir, 1, LegCaller), time.Second, "success")))
			require.NoError(t, f.On(ctx, c, recStop(LegCallee, mutedPath(dir, 1, LegCallee), time.Second, "success")))
		}, "", map[string]int64{"recordings": 2, "by_event": 2}},
		{"empty-file", map[string]string{"iterations": "1"}, func(t *testing.T, f Flow, c *Call, caller *fakeLeg, dir string) {
			writeWAV(t, mutedPath(dir, 1, LegCallee), 8000, loud)
			require.NoError(t, f.On(ctx, c, recStop(LegCaller, mutedPath(dir, 1, LegCaller), 0, "empty-file")))
			require.NoError(t, f.On(ctx, c, recStop(LegCallee, mutedPath(dir, 1, LegCallee), time.Second, "success")))
		}, "recording_missing", map[string]int64{"missing": 1, "recordings": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, c, caller, _, dir := mutedCall(t, tt.with)
			tt.run(t, f, c, caller, dir)
			r := answeredRecord()
			f.Judge(&r)
			assert.Equal(t, tt.reason, r.Reason)
			assert.Equal(t, tt.reason == "", r.Outcome == metrics.OutcomeOK)
			assert.Equal(t, tt.counts, r.Counts)
		})
	}
}

// A call that was never answered is judged as park; a refused mute is
// the flow's error.
func TestMutedPlayRecFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := ForCall(build(t, "muted_playrec", nil))
	r := metrics.Record{CallerCreate: at(0), CalleeCreate: at(5), CallerHangup: at(10), CallerCause: "USER_BUSY", SIPStatus: 486}
	f.Judge(&r)
	assert.Equal(t, "USER_BUSY", r.Reason)
	assert.Empty(t, r.Counts)

	f = ForCall(build(t, "muted_playrec", map[string]string{"dir": t.TempDir()}))
	c, _, callee := newCall(time.Second)
	require.NoError(t, f.On(ctx, c, Event{Kind: CalleeArrived}))
	callee.fail = errors.New("-ERR No Such Channel!")
	assert.ErrorContains(t, f.On(ctx, c, Event{Kind: CallerAnswered}), "recording only what callee receives")
}

// Events after the last round (a late RECORD_STOP, a hangup) change
// nothing: no new round starts and the verdict stands.
func TestMutedPlayRecEventsAfterTheLastRound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, c, caller, callee, dir := mutedCall(t, map[string]string{"iterations": "1"})
	mutedRoundDone(t, f, c, caller, dir, 1, 0, 8000)
	assert.Equal(t, "hangup NORMAL_CLEARING", caller.did[len(caller.did)-1])
	did := len(callee.did)
	require.NoError(t, f.On(ctx, c, recStop(LegCallee, mutedPath(dir, 1, LegCallee), time.Second, "success")))
	require.NoError(t, f.On(ctx, c, recStop(LegCaller, mutedPath(dir, 2, LegCaller), time.Second, "success")))
	require.NoError(t, f.On(ctx, c, Event{Kind: LegHungUp, Leg: LegCallee}))
	assert.Len(t, callee.did, did, "nothing more done to the callee")
	assert.Equal(t, 1, caller.fireOnly(muteSettle+time.Second+recordGrace), "the watchdog fires and does nothing")
	assert.Equal(t, 1, countOf(caller.did, "hangup NORMAL_CLEARING"))
	r := answeredRecord()
	f.Judge(&r)
	assert.Equal(t, metrics.OutcomeOK, r.Outcome, r.Reason)
	assert.Equal(t, map[string]int64{"recordings": 2}, r.Counts)
}

func countOf(ss []string, s string) int {
	n := 0
	for _, x := range ss {
		if x == s {
			n++
		}
	}
	return n
}
