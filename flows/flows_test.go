package flows

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/callplan/callplan/metrics"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeLeg records what a flow did to a leg. Scheduled functions are kept
// so the test decides when (and whether) they fire.
type fakeLeg struct {
	did   []string
	timer []scheduled
	fail  error
}

type scheduled struct {
	after time.Duration
	fn    func(context.Context)
}

func (l *fakeLeg) do(s string) error {
	l.did = append(l.did, s)
	return l.fail
}
func (l *fakeLeg) Answer(context.Context) error             { return l.do("answer") }
func (l *fakeLeg) PreAnswer(context.Context) error          { return l.do("pre_answer") }
func (l *fakeLeg) RingReady(context.Context) error          { return l.do("ring_ready") }
func (l *fakeLeg) Respond(_ context.Context, c int) error   { return l.do(fmt.Sprintf("respond %d", c)) }
func (l *fakeLeg) Hangup(_ context.Context, c string) error { return l.do("hangup " + c) }
func (l *fakeLeg) Play(_ context.Context, u string) error   { return l.do("play " + u) }
func (l *fakeLeg) Record(_ context.Context, p string, d time.Duration) error {
	return l.do(fmt.Sprintf("record %s %v", p, d))
}
func (l *fakeLeg) SendDTMF(_ context.Context, d string) error { return l.do("dtmf " + d) }
func (l *fakeLeg) SetVar(_ context.Context, n, v string) error {
	return l.do("set " + n + "=" + v)
}
func (l *fakeLeg) Execute(_ context.Context, app, args string) error {
	return l.do("execute " + app + " " + args)
}
func (l *fakeLeg) StopPlayback(context.Context) error           { return l.do("stop_playback") }
func (l *fakeLeg) StopRecord(_ context.Context, p string) error { return l.do("stop_record " + p) }
func (l *fakeLeg) Mute(_ context.Context, d AudioDirection, on bool) error {
	state := "off"
	if on {
		state = "on"
	}
	return l.do("mute " + string(d) + " " + state)
}
func (l *fakeLeg) Schedule(d time.Duration, fn func(context.Context)) {
	l.timer = append(l.timer, scheduled{d, fn})
}

// fire runs every scheduled function, returning their delays.
func (l *fakeLeg) fire() []time.Duration {
	var ds []time.Duration
	ts := l.timer
	l.timer = nil
	for _, s := range ts {
		ds = append(ds, s.after)
		s.fn(context.Background())
	}
	return ds
}

func newCall(hold time.Duration) (*Call, *fakeLeg, *fakeLeg) {
	caller, callee := &fakeLeg{}, &fakeLeg{}
	return &Call{ID: "c1", Hold: hold, Caller: caller, Callee: callee}, caller, callee
}

func build(t *testing.T, use string, with map[string]string) Flow {
	t.Helper()
	f, err := New(use, with)
	require.NoError(t, err)
	return f
}

func TestEverySpecHasABehaviour(t *testing.T) {
	t.Parallel()
	for _, s := range Specs() {
		f, err := New(s.Name, nil)
		require.NoError(t, err, "New(%q) with defaults", s.Name)
		assert.Equal(t, s.Name, f.Use())
	}
	_, err := New("nosuch", nil)
	assert.ErrorContains(t, err, "unknown flow")
	_, err = New("reject", map[string]string{"code": "200"})
	assert.ErrorContains(t, err, "code")
}

func TestParkAnswersHoldsFromCalleeAnswerThenHangsUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := build(t, "park", nil)
	c, caller, callee := newCall(3 * time.Second)
	require.NoError(t, f.On(ctx, c, Event{Kind: CalleeArrived}))
	assert.Equal(t, []string{"answer"}, callee.did)
	assert.Empty(t, caller.timer, "hold must not start before the callee answers")
	require.NoError(t, f.On(ctx, c, Event{Kind: CallerAnswered}))
	assert.Empty(t, caller.timer, "hold runs from the callee's answer")
	require.NoError(t, f.On(ctx, c, Event{Kind: CalleeAnswered}))
	assert.Equal(t, []time.Duration{3 * time.Second}, caller.fire())
	assert.Equal(t, []string{"hangup NORMAL_CLEARING"}, caller.did)

	// answer_delay schedules the answer instead.
	f = build(t, "park", map[string]string{"answer_delay": "250ms"})
	c, _, callee = newCall(time.Second)
	require.NoError(t, f.On(ctx, c, Event{Kind: CalleeArrived}))
	assert.Empty(t, callee.did)
	assert.Equal(t, []time.Duration{250 * time.Millisecond}, callee.fire())
	assert.Equal(t, []string{"answer"}, callee.did)

	// A failing command is the flow's error.
	c, _, callee = newCall(time.Second)
	callee.fail = errors.New("-ERR No such channel!")
	assert.ErrorContains(t, build(t, "park", nil).On(ctx, c, Event{Kind: CalleeArrived}), "answering callee")
}

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func TestJudge(t *testing.T) {
	t.Parallel()
	answered := metrics.Record{CallerCreate: at(0), CallerProgress: at(100), CallerAnswer: at(2100),
		CalleeCreate: at(5), CallerHangup: at(5100), CallerCause: "NORMAL_CLEARING", SIPStatus: 200, EndedByFlow: true}
	byeFromFarEnd := answered
	byeFromFarEnd.EndedByFlow = false
	answeredNoRing := answered
	answeredNoRing.CallerProgress = time.Time{}
	busy := metrics.Record{CallerCreate: at(0), CalleeCreate: at(5), CallerHangup: at(10),
		CallerCause: "USER_BUSY", SIPStatus: 486, OriginateResult: "-ERR USER_BUSY"}
	rejected603 := metrics.Record{CallerCreate: at(0), CalleeCreate: at(5), CallerHangup: at(10),
		CallerCause: "CALL_REJECTED", SIPStatus: 603}
	cancelled := metrics.Record{CallerCreate: at(0), CallerProgress: at(50), CalleeCreate: at(5),
		CallerHangup: at(2000), CallerCause: "NORMAL_CLEARING", CalleeCause: "ORIGINATOR_CANCEL"}
	dropped := answered
	dropped.CallerCause = "MEDIA_TIMEOUT"

	tests := []struct {
		name    string
		use     string
		with    map[string]string
		r       metrics.Record
		outcome metrics.Outcome
		reason  string
		counts  map[string]int64
		fields  map[string]string
	}{
		{"park answered", "park", nil, answered, metrics.OutcomeOK, "", nil, nil},
		{"park busy", "park", nil, busy, metrics.OutcomeFailed, "USER_BUSY", nil, nil},
		{"park dropped mid-call", "park", nil, dropped, metrics.OutcomeFailed, "MEDIA_TIMEOUT", nil, nil},
		{"park ended by the far end", "park", nil, byeFromFarEnd, metrics.OutcomeFailed, "early_hangup", nil, nil},
		{"reject 486 got 486", "reject", nil, busy, metrics.OutcomeOK, "", map[string]int64{"expected": 1}, map[string]string{"expected_sip": "486"}},
		{"reject 486 got answered", "reject", nil, answered, metrics.OutcomeFailed, "unexpected_answer", map[string]int64{"unexpected": 1}, map[string]string{"expected_sip": "486"}},
		{"reject 486 got 603", "reject", nil, rejected603, metrics.OutcomeFailed, "unexpected_sip_603", map[string]int64{"unexpected": 1}, map[string]string{"expected_sip": "486"}},
		{"reject cause CALL_REJECTED", "reject", map[string]string{"cause": "CALL_REJECTED"}, rejected603, metrics.OutcomeOK, "", map[string]int64{"expected": 1}, map[string]string{"expected_sip": "603"}},
		{"reject 603 seen only as cause", "reject", map[string]string{"code": "603"},
			metrics.Record{CalleeCreate: at(1), CallerCause: "CALL_REJECTED"}, metrics.OutcomeOK, "", map[string]int64{"expected": 1}, map[string]string{"expected_sip": "603"}},
		{"ringback answered", "ringback", nil, answered, metrics.OutcomeOK, "", nil, map[string]string{"ringback_ms": "2000.000"}},
		{"ringback without ringing", "ringback", nil, answeredNoRing, metrics.OutcomeFailed, "no_ringback", map[string]int64{"no_ringback": 1}, nil},
		{"ringback caller hangs up", "ringback", map[string]string{"then": "caller_hangup"}, cancelled, metrics.OutcomeOK, "", nil, nil},
		{"ringback caller hangup but answered", "ringback", map[string]string{"then": "caller_hangup"}, answered, metrics.OutcomeFailed, "unexpected_answer", nil, map[string]string{"ringback_ms": "2000.000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := tt.r
			build(t, tt.use, tt.with).Judge(&r)
			assert.Equal(t, tt.outcome, r.Outcome, "outcome")
			assert.Equal(t, tt.reason, r.Reason, "reason")
			assert.Equal(t, tt.counts, r.Counts, "counts")
			assert.Equal(t, tt.fields, r.Fields, "fields")
			spec, _ := Lookup(tt.use)
			for name := range r.Counts {
				assert.True(t, declared(spec.Counters, name), "%s counts %q, which its Spec does not declare", tt.use, name)
			}
			for name := range r.Fields {
				assert.True(t, declared(spec.Fields, name), "%s sets field %q, which its Spec does not declare", tt.use, name)
			}
			checkFigures(t, tt.use, &r, map[string]string{"ringback_time": "ringback_ms"})
		})
	}
}

func declared(ms []Measure, name string) bool {
	for _, m := range ms {
		if m.Name == name {
			return true
		}
	}
	return false
}

func TestEventNames(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for k := CalleeArrived; k <= LegHungUp; k++ {
		name := k.String()
		assert.NotEqual(t, "unknown", name, "EventKind(%d) has no name", k)
		assert.False(t, seen[name], "EventKind(%d): name %q used twice", k, name)
		seen[name] = true
	}
	assert.Equal(t, "unknown", (LegHungUp + 1).String())
	assert.Equal(t, "callee_arrived", Event{Kind: CalleeArrived}.String())
	assert.Equal(t, "callee", LegCallee.String())
	stats := MediaStats{{Name: "rtp_audio_in_mos", Value: "4.50"}, {Name: "rtp_audio_in_packet_count", Value: "250"},
		{Name: "bad", Value: "x"}}
	mos, ok := stats.Float("rtp_audio_in_mos")
	assert.True(t, ok)
	assert.InDelta(t, 4.5, mos, 1e-9)
	n, ok := stats.Int("rtp_audio_in_packet_count")
	assert.True(t, ok)
	assert.Equal(t, int64(250), n)
	_, ok = stats.Float("bad")
	assert.False(t, ok)
	_, ok = stats.Int("missing")
	assert.False(t, ok)
	v, ok := stats.Get("bad")
	assert.True(t, ok)
	assert.Equal(t, "x", v)
	_, ok = stats.Get("missing")
	assert.False(t, ok)
}

func TestRejectActions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _, callee := newCall(0)
	require.NoError(t, build(t, "reject", nil).On(ctx, c, Event{Kind: CalleeArrived}))
	assert.Equal(t, []string{"respond 486"}, callee.did)
	c, _, callee = newCall(0)
	require.NoError(t, build(t, "reject", map[string]string{"cause": "CALL_REJECTED"}).On(ctx, c, Event{Kind: CalleeArrived}))
	assert.Equal(t, []string{"hangup CALL_REJECTED"}, callee.did)
	require.NoError(t, build(t, "reject", nil).On(ctx, c, Event{Kind: CalleeAnswered}), "other events are ignored")
}

func TestRingbackActions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	f := build(t, "ringback", map[string]string{"ring_for": "3s"})
	c, caller, callee := newCall(10 * time.Second)
	require.NoError(t, f.On(ctx, c, Event{Kind: CalleeArrived}))
	assert.Equal(t, []string{"ring_ready"}, callee.did)
	assert.Equal(t, []time.Duration{3 * time.Second}, callee.fire())
	assert.Equal(t, []string{"ring_ready", "answer"}, callee.did)
	require.NoError(t, f.On(ctx, c, Event{Kind: CalleeAnswered}))
	assert.Equal(t, []time.Duration{10 * time.Second}, caller.fire())
	assert.Equal(t, []string{"hangup NORMAL_CLEARING"}, caller.did)

	f = build(t, "ringback", map[string]string{"mode": "pre_answer", "then": "caller_hangup", "ring_for": "1s"})
	c, caller, callee = newCall(10 * time.Second)
	require.NoError(t, f.On(ctx, c, Event{Kind: CalleeArrived}))
	assert.Equal(t, []string{"pre_answer", "play " + RingbackTone}, callee.did)
	assert.Empty(t, callee.timer, "the callee never answers")
	assert.Equal(t, []time.Duration{time.Second}, caller.fire())
	assert.Equal(t, []string{"hangup NORMAL_CLEARING"}, caller.did)
}
