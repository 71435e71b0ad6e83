package flows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/metrics"
	"github.com/callplan/callplan/plan"
)

func ringbackTone(leg Leg) Event {
	return Event{Kind: ToneDetected, Leg: leg, Payload: Payload{Tone: ringbackName}}
}

// hear_ringback arms tone_detect on the caller at its progress, re-arms
// it while unheard, and judges what was heard during the ringing phase.
func TestRingbackHearsRingback(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	answered := metrics.Record{CallerCreate: at(0), CallerProgress: at(100), CallerAnswer: at(2100),
		CalleeCreate: at(5), CallerHangup: at(5100), CallerCause: "NORMAL_CLEARING", SIPStatus: 200, EndedByFlow: true}
	cancelled := metrics.Record{CallerCreate: at(0), CallerProgress: at(50), CalleeCreate: at(5),
		CallerHangup: at(2000), CallerCause: "NORMAL_CLEARING", CalleeCause: "ORIGINATOR_CANCEL"}
	noRing := answered
	noRing.CallerProgress = time.Time{}

	tests := []struct {
		name    string
		with    map[string]string
		events  []Event // after CalleeArrived and CallerProgress
		r       metrics.Record
		reason  string
		counts  map[string]int64
		heardMS bool
	}{
		{"heard, then answered", nil, []Event{ringbackTone(LegCaller), {Kind: CalleeAnswered}}, answered, "", map[string]int64{"heard": 1}, true},
		{"not heard", nil, []Event{{Kind: CalleeAnswered}}, answered, "ringback_not_heard", map[string]int64{"not_heard": 1}, false},
		{"heard only after the answer", nil, []Event{{Kind: CalleeAnswered}, ringbackTone(LegCaller)}, answered, "ringback_not_heard", map[string]int64{"not_heard": 1}, false},
		{"the callee's detector is not the caller's", nil, []Event{ringbackTone(LegCallee), {Kind: CalleeAnswered}}, answered, "ringback_not_heard", map[string]int64{"not_heard": 1}, false},
		{"another tone", nil, []Event{{Kind: ToneDetected, Leg: LegCaller, Payload: Payload{Tone: toneName}}, {Kind: CalleeAnswered}}, answered, "ringback_not_heard", map[string]int64{"not_heard": 1}, false},
		{"heard twice counts once", nil, []Event{ringbackTone(LegCaller), ringbackTone(LegCaller), {Kind: CallerAnswered}}, answered, "", map[string]int64{"heard": 1}, true},
		{"caller hangs up after hearing it", map[string]string{"then": "caller_hangup"}, []Event{ringbackTone(LegCaller)}, cancelled, "", map[string]int64{"heard": 1}, true},
		{"caller hangs up unheard", map[string]string{"then": "caller_hangup"}, nil, cancelled, "ringback_not_heard", map[string]int64{"not_heard": 1}, false},
		{"no progress: no_ringback, not a hearing failure", nil, []Event{{Kind: CalleeAnswered}}, noRing, "no_ringback", map[string]int64{"no_ringback": 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			with := map[string]string{"hear_ringback": "true", "mode": "pre_answer"}
			for k, v := range tt.with {
				with[k] = v
			}
			f := ForCall(build(t, "ringback", with))
			c, caller, _ := newCall(time.Second)
			require.NoError(t, f.On(ctx, c, Event{Kind: CalleeArrived}))
			if !tt.r.CallerProgress.IsZero() {
				require.NoError(t, f.On(ctx, c, Event{Kind: CallerProgress, Leg: LegCaller}))
				assert.Equal(t, []string{"execute tone_detect " + ToneKey(ringbackName, "c1") + " 440,480 r +4"}, caller.did)
			} else {
				assert.Empty(t, caller.did, "no detector without progress")
			}
			for _, ev := range tt.events {
				require.NoError(t, f.On(ctx, c, ev))
			}
			r := tt.r
			f.Judge(&r)
			assert.Equal(t, tt.reason, r.Reason)
			assert.Equal(t, tt.reason == "", r.Outcome == metrics.OutcomeOK)
			assert.Equal(t, tt.counts, r.Counts)
			_, has := r.Fields["ringback_heard_ms"]
			assert.Equal(t, tt.heardMS, has, "fields %v", r.Fields)
		})
	}
}

// The detector is re-armed every 500 ms while unheard and the call still
// rings, at most maxArms times; a detection or the end of the ringing stops
// it.
func TestRingbackRearmsTheDetector(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	arms := func(caller *fakeLeg) int {
		n := 0
		for _, d := range caller.did {
			if len(d) > len("execute tone_detect") && d[:len("execute tone_detect")] == "execute tone_detect" {
				n++
			}
		}
		return n
	}
	run := func(stop func(f Flow, c *Call)) int {
		f := ForCall(build(t, "ringback", map[string]string{"hear_ringback": "true", "ring_for": "30s"}))
		c, caller, _ := newCall(time.Second)
		require.NoError(t, f.On(ctx, c, Event{Kind: CallerProgress, Leg: LegCaller}))
		for i := 0; i < 3*maxArms; i++ {
			if i == 2 && stop != nil {
				stop(f, c)
			}
			ds := caller.fire()
			if len(ds) == 0 {
				break
			}
			assert.Equal(t, []time.Duration{rearmEvery}, ds)
		}
		return arms(caller)
	}
	assert.Equal(t, maxArms, run(nil), "bounded while never heard")
	assert.Equal(t, 3, run(func(f Flow, c *Call) { require.NoError(t, f.On(ctx, c, ringbackTone(LegCaller))) }), "heard after the third")
	assert.Equal(t, 3, run(func(f Flow, c *Call) { require.NoError(t, f.On(ctx, c, Event{Kind: CallerAnswered})) }), "the ringing ended")

	// Without hear_ringback no detector runs; a refused detector is the
	// flow's error.
	f := ForCall(build(t, "ringback", nil))
	c, caller, _ := newCall(time.Second)
	require.NoError(t, f.On(ctx, c, Event{Kind: CallerProgress, Leg: LegCaller}))
	assert.Empty(t, caller.did)
	assert.Empty(t, caller.timer)
	f = ForCall(build(t, "ringback", map[string]string{"hear_ringback": "true"}))
	c, caller, _ = newCall(time.Second)
	caller.fail = errors.New("-ERR invalid session id")
	assert.ErrorContains(t, f.On(ctx, c, Event{Kind: CallerProgress, Leg: LegCaller}), "tone_detect on caller")
}

// Each call gets its own detector state.
func TestRingbackStateIsPerCall(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	shared := build(t, "ringback", map[string]string{"hear_ringback": "true"})
	a, b := ForCall(shared), ForCall(shared)
	c, _, _ := newCall(time.Second)
	require.NoError(t, a.On(ctx, c, Event{Kind: CallerProgress, Leg: LegCaller}))
	require.NoError(t, a.On(ctx, c, ringbackTone(LegCaller)))
	r := metrics.Record{CallerProgress: at(0), CallerAnswer: at(10), CallerCause: "NORMAL_CLEARING", EndedByFlow: true}
	rb := r
	a.Judge(&r)
	b.Judge(&rb)
	assert.Equal(t, int64(1), r.Counts["heard"])
	assert.Equal(t, int64(1), rb.Counts["not_heard"])
}

// hear_ringback needs originate to return at early media.
func TestRingbackNeedsEarlyMedia(t *testing.T) {
	t.Parallel()
	spec, _ := Lookup("ringback")
	require.NotNil(t, spec.CheckOriginate)
	on := spec.Resolve(map[string]string{"hear_ringback": "true"})
	errs := spec.CheckOriginate(on, plan.Originate{IgnoreEarlyMedia: true})
	require.Len(t, errs, 1)
	assert.Equal(t, "hear_ringback", errs[0].Param)
	assert.Contains(t, errs[0].Msg, "ignore_early_media: false")
	assert.Empty(t, spec.CheckOriginate(on, plan.Originate{}))
	assert.Empty(t, spec.CheckOriginate(spec.Resolve(nil), plan.Originate{IgnoreEarlyMedia: true}), "off by default")
}

func TestRingbackParams(t *testing.T) {
	t.Parallel()
	spec, _ := Lookup("ringback")
	tests := []struct {
		with map[string]string
		want string
	}{
		{map[string]string{"hear_ringback": "true", "freqs": "425"}, ""},
		{map[string]string{"hear_ringback": "true", "freqs": "440 480"}, "freqs: want frequencies"},
		{map[string]string{"hear_ringback": "yes"}, "hear_ringback: expected true or false"},
	}
	for _, tt := range tests {
		errs := spec.CheckParams(tt.with)
		if tt.want == "" {
			assert.Empty(t, errs, "%v", tt.with)
			continue
		}
		require.NotEmpty(t, errs, "%v", tt.with)
		assert.Contains(t, errs[0].Error(), tt.want)
	}
}

// With then: caller_hangup, the caller's hangup at ring_for ends the
// ringing phase: a detection reported after it (an event late on the
// wire, or after the hangup) does not count.
func TestRingbackToneAfterTheCallerHungUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := ForCall(build(t, "ringback", map[string]string{"hear_ringback": "true", "mode": "pre_answer", "then": "caller_hangup", "ring_for": "1s"}))
	c, caller, _ := newCall(time.Second)
	require.NoError(t, f.On(ctx, c, Event{Kind: CalleeArrived}))
	require.NoError(t, f.On(ctx, c, Event{Kind: CallerProgress, Leg: LegCaller}))
	assert.Equal(t, 1, caller.fireOnly(time.Second), "the caller's hangup at ring_for")
	assert.Contains(t, caller.did, "hangup NORMAL_CLEARING")
	require.NoError(t, f.On(ctx, c, ringbackTone(LegCaller)))
	require.NoError(t, f.On(ctx, c, Event{Kind: LegHungUp, Leg: LegCaller}))
	did := len(caller.did)
	assert.Equal(t, 1, caller.fireOnly(rearmEvery), "the pending re-arm")
	assert.Len(t, caller.did, did, "sends nothing once the ringing ended")
	assert.Empty(t, caller.timer, "and schedules nothing")
	r := metrics.Record{CallerCreate: at(0), CallerProgress: at(50), CalleeCreate: at(5),
		CallerHangup: at(1000), CallerCause: "NORMAL_CLEARING", CalleeCause: "ORIGINATOR_CANCEL"}
	f.Judge(&r)
	assert.Equal(t, "ringback_not_heard", r.Reason)
	assert.Equal(t, map[string]int64{"not_heard": 1}, r.Counts)
}
