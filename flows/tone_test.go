package flows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/metrics"
)

// fireOnly runs the leg's timers scheduled after d and keeps the others,
// so a test picks which of a hold and a timeout comes first.
func (l *fakeLeg) fireOnly(d time.Duration) int {
	var keep []scheduled
	n := 0
	ts := l.timer
	l.timer = nil
	for _, s := range ts {
		if s.after != d {
			keep = append(keep, s)
			continue
		}
		n++
		s.fn(context.Background())
	}
	l.timer = append(keep, l.timer...)
	return n
}

func answeredRecord() metrics.Record {
	return metrics.Record{CallerCreate: at(0), CallerAnswer: at(100), CalleeCreate: at(5), CalleeAnswer: at(90),
		CallerHangup: at(3100), CallerCause: "NORMAL_CLEARING", SIPStatus: 200, EndedByFlow: true}
}

func heard(name string, leg Leg) Event {
	return Event{Kind: ToneDetected, Leg: leg, Payload: Payload{Tone: name}}
}

func TestToneEventOrders(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	key := ToneKey(toneName, "c1")
	start := []string{"execute tone_detect " + key + " 1004 r +5", "play " + MilliwattTone}
	tests := []struct {
		name string
		// run drives the call's events and timers after the callee's
		// arrival and the two answers.
		run      func(t *testing.T, f Flow, c *Call, caller, callee *fakeLeg)
		callerDo []string
		outcome  metrics.Outcome
		reason   string
		counts   map[string]int64
		hasField bool
	}{
		{"heard, then held", func(t *testing.T, f Flow, c *Call, caller, _ *fakeLeg) {
			require.NoError(t, f.On(ctx, c, heard(toneName, LegCaller)))
			require.NoError(t, f.On(ctx, c, heard(toneName, LegCaller)), "a second hit")
			assert.Equal(t, 1, caller.fireOnly(5*time.Second), "the timeout fires and does nothing")
			assert.Equal(t, 1, caller.fireOnly(3*time.Second))
		}, append(start, "stop_playback", "hangup NORMAL_CLEARING"), metrics.OutcomeOK, "", map[string]int64{"detected": 1}, true},
		{"never heard: hung up at the timeout", func(t *testing.T, f Flow, c *Call, caller, _ *fakeLeg) {
			assert.Equal(t, 1, caller.fireOnly(5*time.Second))
		}, append(start, "hangup NORMAL_CLEARING"), metrics.OutcomeFailed, "tone_not_detected", map[string]int64{"not_detected": 1}, false},
		{"heard only after the timeout (and after hangup)", func(t *testing.T, f Flow, c *Call, caller, _ *fakeLeg) {
			assert.Equal(t, 1, caller.fireOnly(5*time.Second))
			require.NoError(t, f.On(ctx, c, heard(toneName, LegCaller)))
			require.NoError(t, f.On(ctx, c, Event{Kind: LegHungUp, Leg: LegCaller}))
		}, append(start, "hangup NORMAL_CLEARING"), metrics.OutcomeFailed, "tone_not_detected", map[string]int64{"not_detected": 1}, false},
		{"hold shorter than the timeout", func(t *testing.T, f Flow, c *Call, caller, _ *fakeLeg) {
			assert.Equal(t, 1, caller.fireOnly(3*time.Second))
		}, append(start, "hangup NORMAL_CLEARING"), metrics.OutcomeFailed, "tone_not_detected", map[string]int64{"not_detected": 1}, false},
		{"another detector's tone, or on the callee", func(t *testing.T, f Flow, c *Call, caller, _ *fakeLeg) {
			require.NoError(t, f.On(ctx, c, heard("ringback", LegCaller)))
			require.NoError(t, f.On(ctx, c, heard(toneName, LegCallee)))
			assert.Equal(t, 1, caller.fireOnly(5*time.Second))
		}, append(start, "hangup NORMAL_CLEARING"), metrics.OutcomeFailed, "tone_not_detected", map[string]int64{"not_detected": 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			shared := build(t, "tone", nil)
			f := ForCall(shared)
			require.NotSame(t, shared, f, "each call gets its own instance")
			c, caller, callee := newCall(3 * time.Second)
			require.NoError(t, f.On(ctx, c, Event{Kind: CalleeArrived, Leg: LegCallee}))
			assert.Equal(t, []string{"answer", "execute echo "}, callee.did)
			require.NoError(t, f.On(ctx, c, Event{Kind: CalleeAnswered, Leg: LegCallee}))
			assert.Empty(t, caller.did, "nothing plays before the caller is answered")
			require.NoError(t, f.On(ctx, c, Event{Kind: CallerAnswered, Leg: LegCaller}))
			assert.Equal(t, start, caller.did)
			tt.run(t, f, c, caller, callee)
			assert.Equal(t, tt.callerDo, caller.did)

			r := answeredRecord()
			f.Judge(&r)
			assert.Equal(t, tt.outcome, r.Outcome)
			assert.Equal(t, tt.reason, r.Reason)
			assert.Equal(t, tt.counts, r.Counts)
			_, has := r.Fields["tone_ms"]
			assert.Equal(t, tt.hasField, has)
			checkFigures(t, "tone", &r, map[string]string{"tone_time": "tone_ms"})

			// The shared flow kept nothing of this call.
			r = answeredRecord()
			ForCall(shared).Judge(&r)
			assert.Equal(t, "tone_not_detected", r.Reason)
		})
	}
}

func TestToneJudgesUnansweredAsPark(t *testing.T) {
	t.Parallel()
	r := metrics.Record{CallerCreate: at(0), CalleeCreate: at(5), CallerHangup: at(10), CallerCause: "USER_BUSY", SIPStatus: 486}
	ForCall(build(t, "tone", nil)).Judge(&r)
	assert.Equal(t, metrics.OutcomeFailed, r.Outcome)
	assert.Equal(t, "USER_BUSY", r.Reason)
	assert.Nil(t, r.Counts, "an unanswered call is not a tone check")

	dropped := answeredRecord()
	dropped.EndedByFlow = false
	ForCall(build(t, "tone", nil)).Judge(&dropped)
	assert.Equal(t, "early_hangup", dropped.Reason, "a dropped call says so, not that the tone was missing")
	assert.Equal(t, map[string]int64{"not_detected": 1}, dropped.Counts)
}

func TestToneParamsAndErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := ForCall(build(t, "tone", map[string]string{"tone": "tone_stream://%(500,0,350,440)", "freqs": "350,440", "timeout": "1500ms"}))
	c, caller, _ := newCall(time.Second)
	require.NoError(t, f.On(ctx, c, Event{Kind: CallerAnswered}))
	assert.Equal(t, []string{"execute tone_detect " + ToneKey(toneName, "c1") + " 350,440 r +2", "play tone_stream://%(500,0,350,440)"}, caller.did,
		"the detector's timeout is whole seconds, rounded up")
	assert.Equal(t, []time.Duration{1500 * time.Millisecond}, caller.fire())

	for _, bad := range []string{"1004 r", "abc", "5000", ",", "350+440", "1004;hangup", " 1004"} {
		_, err := New("tone", map[string]string{"freqs": bad})
		assert.ErrorContains(t, err, "freqs", bad)
	}
	_, err := New("tone", map[string]string{"tone": "tone_stream://%(100,0,1004) hangup"})
	assert.ErrorContains(t, err, "spaces")
	_, err = New("tone", map[string]string{"freqs": "350,440"})
	assert.NoError(t, err)

	c, caller, callee := newCall(time.Second)
	callee.fail = errors.New("-ERR No such channel!")
	assert.ErrorContains(t, f.On(ctx, c, Event{Kind: CalleeArrived}), "answering callee")
	caller.fail = errors.New("-ERR no reply")
	assert.ErrorContains(t, ForCall(f).On(ctx, c, Event{Kind: CallerAnswered}), "tone_detect")
}

func TestToneKeyRoundTrip(t *testing.T) {
	t.Parallel()
	name, uuid, ok := ParseToneKey(ToneKey("callplan_tone", "5f0c9c3e-1b7e-4c8e-9d1e-7f3f7b1a2c3d"))
	require.True(t, ok)
	assert.Equal(t, "callplan_tone", name)
	assert.Equal(t, "5f0c9c3e-1b7e-4c8e-9d1e-7f3f7b1a2c3d", uuid)
	for _, k := range []string{"", "plain", "@x", "x@"} {
		_, _, ok := ParseToneKey(k)
		assert.False(t, ok, k)
	}
}
