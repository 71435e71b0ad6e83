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

var bertVars = []string{"set bert_window_ms=1000", "set bert_timeout_ms=3000", "set bert_max_err=30", "set bert_hangup_on_error=true"}

func TestBertActions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := build(t, "bert", nil)
	c, caller, callee := newCall(5 * time.Second)
	require.NoError(t, f.On(ctx, c, Event{Kind: CalleeArrived, Leg: LegCallee}))
	assert.Equal(t, []string{"answer", "execute echo "}, callee.did)
	require.NoError(t, f.On(ctx, c, Event{Kind: CallerAnswered, Leg: LegCaller}))
	assert.Equal(t, append(append([]string{}, bertVars...), "execute bert_test "), caller.did)
	require.NoError(t, f.On(ctx, c, Event{Kind: CalleeAnswered, Leg: LegCallee}))
	assert.Equal(t, []time.Duration{5 * time.Second}, caller.fire())
	assert.Equal(t, "hangup NORMAL_CLEARING", caller.did[len(caller.did)-1])

	// two_sided runs bert_test on the callee too, with its own variables
	// set first; parameters reach the variables.
	f = build(t, "bert", map[string]string{"two_sided": "true", "window": "500ms", "max_err": "10", "timeout": "2s", "hangup_on_error": "false"})
	c, _, callee = newCall(time.Second)
	require.NoError(t, f.On(ctx, c, Event{Kind: CalleeArrived, Leg: LegCallee}))
	assert.Equal(t, []string{"answer", "set bert_window_ms=500", "set bert_timeout_ms=2000", "set bert_max_err=10",
		"set bert_hangup_on_error=false", "execute bert_test "}, callee.did)

	// A failing command is the flow's error.
	c, caller, _ = newCall(time.Second)
	caller.fail = errors.New("-ERR No such channel!")
	assert.ErrorContains(t, build(t, "bert", nil).On(ctx, c, Event{Kind: CallerAnswered}), "setting bert_window_ms")
}

func TestBertParams(t *testing.T) {
	t.Parallel()
	spec, _ := Lookup("bert")
	assert.Empty(t, spec.CheckParams(map[string]string{"window": "200ms"}))
	assert.NotEmpty(t, spec.CheckParams(map[string]string{"window": "30ms"}), "mod_bert never judges a window that is not a multiple of 20 ms")
	assert.NotEmpty(t, spec.CheckParams(map[string]string{"max_err": "101"}))
	assert.NotEmpty(t, spec.CheckParams(map[string]string{"max_err": "x"}))
}

// bertAnswered is an answered call the flow hung up after the hold.
func bertAnswered(id string) metrics.Record {
	return metrics.Record{Call: id, CallerCreate: at(0), CallerAnswer: at(100), CalleeCreate: at(5), CalleeAnswer: at(90),
		CallerHangup: at(5100), CallerCause: "NORMAL_CLEARING", SIPStatus: 200, EndedByFlow: true}
}

// TestBertEventOrders feeds the flow the event sequences it can see and
// checks its verdict, counters and fields.
func TestBertEventOrders(t *testing.T) {
	t.Parallel()
	ans := func(leg Leg, ms int) Event {
		k := CallerAnswered
		if leg == LegCallee {
			k = CalleeAnswered
		}
		return Event{Kind: k, Leg: leg, At: at(ms)}
	}
	inSync := func(leg Leg, ms int) Event { return Event{Kind: BERTInSync, Leg: leg, At: at(ms)} }
	lost := func(leg Leg, ms int, pct float64) Event {
		return Event{Kind: BERTLostSync, Leg: leg, At: at(ms), Payload: Payload{BERT: BERTReport{LostPercent: pct, LostCount: 1}}}
	}
	timeout := func(leg Leg, ms int) Event { return Event{Kind: BERTTimeout, Leg: leg, At: at(ms)} }
	hungUp := func(leg Leg, ms int) Event { return Event{Kind: LegHungUp, Leg: leg, At: at(ms)} }
	mediaTimeout := func(r metrics.Record) metrics.Record {
		r.CallerCause, r.EndedByFlow = "MEDIA_TIMEOUT", false
		return r
	}
	notAnswered := metrics.Record{CallerCreate: at(0), CalleeCreate: at(5), CallerHangup: at(10), CallerCause: "USER_BUSY", SIPStatus: 486}

	tests := []struct {
		name   string
		with   map[string]string
		events []Event
		hangup bool // the hold timer fires after the events
		after  []Event
		r      metrics.Record
		reason string
		counts map[string]int64
		fields map[string]string
	}{
		{name: "clean", events: []Event{ans(LegCallee, 90), ans(LegCaller, 100), inSync(LegCaller, 1120)}, hangup: true,
			fields: map[string]string{"sync_time_ms": "1020.000", "lost_sync": "0", "worst_lost_percent": "0.00", "timed_out": "false"}},
		{name: "caller answer before callee answer", events: []Event{ans(LegCaller, 100), ans(LegCallee, 101), inSync(LegCaller, 1100)}, hangup: true,
			fields: map[string]string{"sync_time_ms": "1000.000", "lost_sync": "0", "worst_lost_percent": "0.00", "timed_out": "false"}},
		{name: "in sync reported twice keeps the first", events: []Event{ans(LegCaller, 100), inSync(LegCaller, 1100), inSync(LegCaller, 3100)}, hangup: true,
			fields: map[string]string{"sync_time_ms": "1000.000", "lost_sync": "0", "worst_lost_percent": "0.00", "timed_out": "false"}},
		{name: "lost sync then resynced still fails", events: []Event{ans(LegCaller, 100), inSync(LegCaller, 1100), lost(LegCaller, 2100, 96), inSync(LegCaller, 3100)}, hangup: true,
			reason: "bert_lost_sync", counts: map[string]int64{"lost_sync": 1},
			fields: map[string]string{"sync_time_ms": "1000.000", "lost_sync": "1", "worst_lost_percent": "96.00", "timed_out": "false"}},
		{name: "lost sync twice, node hangs up", events: []Event{ans(LegCaller, 100), inSync(LegCaller, 1100), lost(LegCaller, 2100, 40), lost(LegCaller, 4100, 55.5), hungUp(LegCaller, 4101)},
			r: mediaTimeout(bertAnswered("")), reason: "bert_lost_sync", counts: map[string]int64{"lost_sync": 2},
			fields: map[string]string{"sync_time_ms": "1000.000", "lost_sync": "2", "worst_lost_percent": "55.50", "timed_out": "false"}},
		{name: "timeout, node hangs up MEDIA_TIMEOUT", events: []Event{ans(LegCaller, 100), timeout(LegCaller, 3100), hungUp(LegCaller, 3101)},
			r: mediaTimeout(bertAnswered("")), reason: "bert_timeout", counts: map[string]int64{"timeouts": 1},
			fields: map[string]string{"lost_sync": "0", "worst_lost_percent": "0.00", "timed_out": "true"}},
		{name: "timeout without hangup_on_error", with: map[string]string{"hangup_on_error": "false"}, events: []Event{ans(LegCaller, 100), timeout(LegCaller, 3100)}, hangup: true,
			reason: "bert_timeout", counts: map[string]int64{"timeouts": 1},
			fields: map[string]string{"lost_sync": "0", "worst_lost_percent": "0.00", "timed_out": "true"}},
		{name: "hold ends before any sync", events: []Event{ans(LegCaller, 100)}, hangup: true,
			reason: "bert_no_sync", counts: map[string]int64{"no_sync": 1},
			fields: map[string]string{"lost_sync": "0", "worst_lost_percent": "0.00", "timed_out": "false"}},
		{name: "reports after the flow's hangup are not judged", events: []Event{ans(LegCaller, 100), inSync(LegCaller, 1100)}, hangup: true,
			after:  []Event{lost(LegCaller, 5200, 100), timeout(LegCallee, 5300)},
			fields: map[string]string{"sync_time_ms": "1000.000", "lost_sync": "0", "worst_lost_percent": "0.00", "timed_out": "false"}},
		{name: "reports after a leg hung up are not judged", events: []Event{ans(LegCaller, 100), inSync(LegCaller, 1100), hungUp(LegCallee, 4000), lost(LegCaller, 5000, 100)},
			r: func() metrics.Record { r := bertAnswered(""); r.EndedByFlow = false; return r }(), reason: "early_hangup",
			fields: map[string]string{"sync_time_ms": "1000.000", "lost_sync": "0", "worst_lost_percent": "0.00", "timed_out": "false"}},
		{name: "in sync before the answer event is measured from itself", events: []Event{inSync(LegCaller, 1100), ans(LegCaller, 100)}, hangup: true,
			fields: map[string]string{"sync_time_ms": "0.000", "lost_sync": "0", "worst_lost_percent": "0.00", "timed_out": "false"}},
		{name: "one-sided ignores a callee report", events: []Event{ans(LegCaller, 100), inSync(LegCaller, 1100), lost(LegCallee, 2000, 80)}, hangup: true,
			fields: map[string]string{"sync_time_ms": "1000.000", "lost_sync": "0", "worst_lost_percent": "0.00", "timed_out": "false"}},
		{name: "two-sided: slower leg's sync time", with: map[string]string{"two_sided": "true"},
			events: []Event{ans(LegCallee, 90), ans(LegCaller, 100), inSync(LegCaller, 1120), inSync(LegCallee, 1590)}, hangup: true,
			fields: map[string]string{"sync_time_ms": "1500.000", "lost_sync": "0", "worst_lost_percent": "0.00", "timed_out": "false"}},
		{name: "two-sided: callee never syncs", with: map[string]string{"two_sided": "true"},
			events: []Event{ans(LegCallee, 90), ans(LegCaller, 100), inSync(LegCaller, 1120)}, hangup: true,
			reason: "bert_no_sync", counts: map[string]int64{"no_sync": 1},
			fields: map[string]string{"lost_sync": "0", "worst_lost_percent": "0.00", "timed_out": "false"}},
		{name: "two-sided: callee loses sync", with: map[string]string{"two_sided": "true"},
			events: []Event{ans(LegCallee, 90), ans(LegCaller, 100), inSync(LegCaller, 1120), inSync(LegCallee, 1100), lost(LegCallee, 2100, 70)}, hangup: true,
			reason: "bert_lost_sync", counts: map[string]int64{"lost_sync": 1},
			fields: map[string]string{"sync_time_ms": "1020.000", "lost_sync": "1", "worst_lost_percent": "70.00", "timed_out": "false"}},
		{name: "not answered is judged as park", events: nil, r: notAnswered, reason: "USER_BUSY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := build(t, "bert", tt.with)
			c, caller, _ := newCall(4 * time.Second)
			c.ID = "call-" + tt.name
			for _, ev := range tt.events {
				require.NoError(t, f.On(ctx, c, ev))
			}
			if tt.hangup {
				if len(caller.timer) == 0 {
					// The hold starts at the callee's answer.
					require.NoError(t, f.On(ctx, c, ans(LegCallee, 90)))
				}
				assert.Equal(t, []time.Duration{4 * time.Second}, caller.fire(), "the hold")
			}
			for _, ev := range tt.after {
				require.NoError(t, f.On(ctx, c, ev))
			}
			r := tt.r
			if r.CallerCreate.IsZero() {
				r = bertAnswered("")
			}
			r.Call = c.ID
			f.Judge(&r)
			want := metrics.OutcomeOK
			if tt.reason != "" {
				want = metrics.OutcomeFailed
			}
			assert.Equal(t, want, r.Outcome, "outcome")
			assert.Equal(t, tt.reason, r.Reason, "reason")
			assert.Equal(t, tt.counts, r.Counts, "counts")
			assert.Equal(t, tt.fields, r.Fields, "fields")
			spec, _ := Lookup("bert")
			for name := range r.Counts {
				assert.True(t, declared(spec.Counters, name), "undeclared counter %q", name)
			}
			for name := range r.Fields {
				assert.True(t, declared(spec.Fields, name), "undeclared field %q", name)
			}
			checkFigures(t, "bert", &r, map[string]string{"sync_time": "sync_time_ms"})
			if r.Answered() {
				wp, _ := strconv.ParseFloat(r.Fields["worst_lost_percent"], 64)
				assert.InDelta(t, wp, r.Values["lost_percent"], 0.005, "lost_percent")
			}
			assert.Zero(t, f.(*Bert).calls.len(), "Judge releases the call's state")
		})
	}
}

func TestBertCallsAreSeparate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := build(t, "bert", nil)
	a, _, _ := newCall(time.Second)
	b, _, _ := newCall(time.Second)
	a.ID, b.ID = "a", "b"
	require.NoError(t, f.On(ctx, a, Event{Kind: CallerAnswered, Leg: LegCaller, At: at(0)}))
	require.NoError(t, f.On(ctx, b, Event{Kind: CallerAnswered, Leg: LegCaller, At: at(0)}))
	require.NoError(t, f.On(ctx, a, Event{Kind: BERTInSync, Leg: LegCaller, At: at(1000)}))
	require.NoError(t, f.On(ctx, b, Event{Kind: BERTTimeout, Leg: LegCaller, At: at(3000)}))
	ra, rb := bertAnswered("a"), bertAnswered("b")
	f.Judge(&ra)
	f.Judge(&rb)
	assert.Equal(t, metrics.OutcomeOK, ra.Outcome)
	assert.Equal(t, "bert_timeout", rb.Reason)
	// A call the flow never saw an event of is judged without state.
	rc := bertAnswered("c")
	f.Judge(&rc)
	assert.Equal(t, "bert_no_sync", rc.Reason)
}
