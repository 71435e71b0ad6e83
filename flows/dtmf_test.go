package flows

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/callplan/callplan/metrics"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runTimers runs the first n of a leg's scheduled functions (all when n <
// 0) and keeps the rest, returning the delays of those it ran.
func runTimers(l *fakeLeg, n int) []time.Duration {
	if n < 0 || n > len(l.timer) {
		n = len(l.timer)
	}
	run := l.timer[:n]
	l.timer = append([]scheduled(nil), l.timer[n:]...)
	var ds []time.Duration
	for _, s := range run {
		ds = append(ds, s.after)
		s.fn(context.Background())
	}
	return ds
}

func TestDTMFActions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := build(t, "dtmf", map[string]string{"digits": "12#", "duration": "80ms", "gap": "420ms", "timeout": "1s"})
	c, caller, callee := newCall(500 * time.Millisecond)
	require.NoError(t, f.On(ctx, c, Event{Kind: CalleeArrived, Leg: LegCallee}))
	assert.Equal(t, []string{"answer"}, callee.did)
	require.NoError(t, f.On(ctx, c, Event{Kind: CalleeAnswered, Leg: LegCallee}))
	assert.Empty(t, caller.timer, "nothing is sent before both legs are answered")
	require.NoError(t, f.On(ctx, c, Event{Kind: CallerAnswered, Leg: LegCaller}))
	require.NoError(t, f.On(ctx, c, Event{Kind: CallerAnswered, Leg: LegCaller}), "a repeated answer starts nothing twice")
	// Digits one at a time, duration+gap apart; the hangup timeout after
	// the last digit ends (longer than the 500ms hold).
	assert.Equal(t, []time.Duration{0, 500 * time.Millisecond, time.Second, 2080 * time.Millisecond}, runTimers(caller, -1))
	assert.Equal(t, []string{"dtmf 1@80", "dtmf 2@80", "dtmf #@80", "hangup NORMAL_CLEARING"}, caller.did)
	assert.Empty(t, callee.timer)

	// The hold wins when it is longer; from: both sends on both legs.
	// (The hangup: 1s + 80ms after the last digit starts, the timeout after
	// that, as the 500ms hold is shorter.)
	f = build(t, "dtmf", map[string]string{"digits": "9", "from": "both"})
	c, caller, callee = newCall(10 * time.Second)
	require.NoError(t, f.On(ctx, c, Event{Kind: CallerAnswered, Leg: LegCaller}))
	require.NoError(t, f.On(ctx, c, Event{Kind: CalleeAnswered, Leg: LegCallee}))
	assert.Equal(t, []time.Duration{0}, runTimers(callee, -1))
	assert.Equal(t, []string{"dtmf 9@100"}, callee.did)
	assert.Equal(t, []time.Duration{0, 10 * time.Second}, runTimers(caller, -1))
	assert.Equal(t, []string{"dtmf 9@100", "hangup NORMAL_CLEARING"}, caller.did)

	c, _, callee = newCall(time.Second)
	callee.fail = errors.New("-ERR No such channel!")
	assert.ErrorContains(t, f.On(ctx, c, Event{Kind: CalleeArrived}), "answering callee")
}

func TestDTMFParams(t *testing.T) {
	t.Parallel()
	spec, _ := Lookup("dtmf")
	assert.Empty(t, spec.CheckParams(map[string]string{"digits": "0123456789*#ABCD", "from": "both"}))
	for _, bad := range []map[string]string{{"digits": ""}, {"digits": "12x"}, {"digits": "1 2"}, {"duration": "50ms"}, {"duration": "60500us"}, {"gap": "399ms"}, {"from": "nobody"}} {
		assert.NotEmpty(t, spec.CheckParams(bad), "%v", bad)
	}
}

func dtmfAnswered(id string) metrics.Record {
	return metrics.Record{Call: id, CallerCreate: at(0), CallerAnswer: at(100), CalleeCreate: at(5), CalleeAnswer: at(90),
		CallerHangup: at(5100), CallerCause: "NORMAL_CLEARING", SIPStatus: 200, EndedByFlow: true}
}

// TestDTMFEventOrders: digits received in order, late, wrong, twice, on
// the wrong leg, before anything was sent, after the hangup, and digits
// the node refused to send.
func TestDTMFEventOrders(t *testing.T) {
	t.Parallel()
	digit := func(leg Leg, d string) Event { return Event{Kind: DTMFReceived, Leg: leg, Payload: Payload{Digit: d}} }
	callee := func(ds string) []Event {
		var evs []Event
		for i := range ds {
			evs = append(evs, digit(LegCallee, ds[i:i+1]))
		}
		return evs
	}
	dropped := dtmfAnswered("")
	dropped.EndedByFlow = false
	busy := metrics.Record{CallerCreate: at(0), CalleeCreate: at(5), CallerHangup: at(10), CallerCause: "USER_BUSY", SIPStatus: 486}
	f := func(sent, received, missing, wrong, extra int) map[string]string {
		return map[string]string{"sent": strconv.Itoa(sent), "received": strconv.Itoa(received),
			"missing": strconv.Itoa(missing), "wrong": strconv.Itoa(wrong), "extra": strconv.Itoa(extra)}
	}
	tests := []struct {
		name    string
		with    map[string]string
		before  []Event // before both legs are answered
		during  []Event // after the digits were sent, before the hangup
		after   []Event // after the flow's hangup
		sendErr bool
		r       *metrics.Record
		reason  string
		counts  map[string]int64
		fields  map[string]string
		latency bool
	}{
		{name: "every digit in order", during: callee("123"), fields: f(3, 3, 0, 0, 0), latency: true},
		{name: "one missing", during: callee("13"), reason: "dtmf_missing", counts: map[string]int64{"missing": 1}, fields: f(3, 2, 1, 0, 0), latency: true},
		{name: "none received", reason: "dtmf_missing", counts: map[string]int64{"missing": 3}, fields: f(3, 0, 3, 0, 0)},
		{name: "one wrong", during: callee("143"), reason: "dtmf_wrong", counts: map[string]int64{"wrong": 1}, fields: f(3, 3, 0, 1, 0), latency: true},
		{name: "one twice", during: callee("1223"), reason: "dtmf_extra", counts: map[string]int64{"extra": 1}, fields: f(3, 4, 0, 0, 1), latency: true},
		{name: "out of order", during: callee("132"), reason: "dtmf_wrong", counts: map[string]int64{"wrong": 2}, fields: f(3, 3, 0, 2, 0), latency: true},
		{name: "missing beats wrong and extra", during: callee("4"), reason: "dtmf_missing", counts: map[string]int64{"missing": 2, "wrong": 1}, fields: f(3, 1, 2, 1, 0)},
		{name: "a digit before anything was sent is extra", before: callee("7"), during: callee("123"), reason: "dtmf_extra", counts: map[string]int64{"extra": 1}, fields: f(3, 4, 0, 0, 1), latency: true},
		{name: "a digit on the sending leg is extra", during: append(callee("123"), digit(LegCaller, "1")), reason: "dtmf_extra", counts: map[string]int64{"extra": 1}, fields: f(3, 4, 0, 0, 1), latency: true},
		{name: "digits after the hangup are missing", during: callee("1"), after: callee("23"), reason: "dtmf_missing", counts: map[string]int64{"missing": 2}, fields: f(3, 1, 2, 0, 0), latency: true},
		{name: "digits after a leg hung up are not counted", during: append(callee("1"), Event{Kind: LegHungUp, Leg: LegCallee}, digit(LegCallee, "2")),
			r: &dropped, reason: "early_hangup", counts: map[string]int64{"missing": 2}, fields: f(3, 1, 2, 0, 0), latency: true},
		{name: "refused sends are missing, not wrong", sendErr: true, during: callee("1"), reason: "dtmf_missing", counts: map[string]int64{"missing": 3, "extra": 1}, fields: f(0, 1, 3, 0, 1)},
		{name: "from callee", with: map[string]string{"from": "callee"}, during: []Event{digit(LegCaller, "1"), digit(LegCaller, "2"), digit(LegCaller, "3")}, fields: f(3, 3, 0, 0, 0), latency: true},
		{name: "from callee, received on the callee", with: map[string]string{"from": "callee"}, during: callee("123"), reason: "dtmf_missing",
			counts: map[string]int64{"missing": 3, "extra": 3}, fields: f(3, 3, 3, 0, 3)},
		{name: "both, interleaved", with: map[string]string{"from": "both"},
			during: []Event{digit(LegCaller, "1"), digit(LegCallee, "1"), digit(LegCallee, "2"), digit(LegCaller, "2"), digit(LegCaller, "3"), digit(LegCallee, "3")}, fields: f(6, 6, 0, 0, 0), latency: true},
		{name: "both, one direction short", with: map[string]string{"from": "both"}, during: append(callee("123"), digit(LegCaller, "1")), reason: "dtmf_missing",
			counts: map[string]int64{"missing": 2}, fields: f(6, 4, 2, 0, 0), latency: true},
		{name: "dropped call is judged for the drop", during: callee("1"), r: &dropped, reason: "early_hangup", counts: map[string]int64{"missing": 2}, fields: f(3, 1, 2, 0, 0), latency: true},
		{name: "not answered", r: &busy, reason: "USER_BUSY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			with := map[string]string{"digits": "123"}
			for k, v := range tt.with {
				with[k] = v
			}
			fl := build(t, "dtmf", with)
			c, caller, callee := newCall(time.Second)
			c.ID = "call-" + tt.name
			if tt.sendErr {
				caller.fail = errors.New("-ERR Operation failed")
			}
			for _, ev := range tt.before {
				require.NoError(t, fl.On(ctx, c, ev))
			}
			if tt.r == nil || tt.r.Answered() {
				require.NoError(t, fl.On(ctx, c, Event{Kind: CallerAnswered, Leg: LegCaller}))
				require.NoError(t, fl.On(ctx, c, Event{Kind: CalleeAnswered, Leg: LegCallee}))
				runTimers(callee, -1)
				runTimers(caller, len(caller.timer)-1) // the digits, not the hangup
				for _, ev := range tt.during {
					require.NoError(t, fl.On(ctx, c, ev))
				}
				require.Len(t, caller.timer, 1)
				runTimers(caller, -1)
				for _, ev := range tt.after {
					require.NoError(t, fl.On(ctx, c, ev))
				}
			}
			r := dtmfAnswered(c.ID)
			if tt.r != nil {
				r = *tt.r
				r.Call = c.ID
			}
			fl.Judge(&r)
			want := metrics.OutcomeOK
			if tt.reason != "" {
				want = metrics.OutcomeFailed
			}
			assert.Equal(t, want, r.Outcome, "outcome")
			assert.Equal(t, tt.reason, r.Reason, "reason")
			assert.Equal(t, tt.counts, r.Counts, "counts")
			checkFigures(t, "dtmf", &r, map[string]string{"digit_latency": "worst_latency_ms"})
			lat, hasLat := r.Fields["worst_latency_ms"]
			assert.Equal(t, tt.latency, hasLat, "worst_latency_ms %q", lat)
			if hasLat {
				ms, err := strconv.ParseFloat(lat, 64)
				require.NoError(t, err)
				assert.GreaterOrEqual(t, ms, 0.0)
				delete(r.Fields, "worst_latency_ms")
			}
			assert.Equal(t, tt.fields, r.Fields, "fields")
			spec, _ := Lookup("dtmf")
			for name := range r.Counts {
				assert.True(t, declared(spec.Counters, name), "undeclared counter %q", name)
			}
			assert.Zero(t, fl.(*DTMF).calls.len(), "Judge releases the call's state")
		})
	}
}
