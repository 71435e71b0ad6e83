package runner

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/callplan/callplan/flows"
	"github.com/callplan/callplan/metrics"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dialTo sends each call toward the node it should land on ("callplan@"
// + its SIP host, or what dest says), ringing at most timeout.
func dialTo(dest func(o Origination) string, timeout time.Duration) func(Origination) (Origination, error) {
	return func(o Origination) (Origination, error) {
		to := o.Node.SIPHost
		if dest != nil {
			to = dest(o)
		}
		o.Destination, o.Timeout = "callplan@"+to, timeout
		return o, nil
	}
}

// inBubble runs a test of the engine's logic on synctest's fake clock:
// time moves only when every goroutine of the test waits, so a run of
// seconds takes milliseconds, and a loaded machine cannot make the
// arrivals of a one-second stage spill past its end.
func inBubble(t *testing.T, f func(t *testing.T)) {
	t.Parallel()
	synctest.Test(t, f)
}

func mustFlow(t *testing.T, use string, with map[string]string) flows.Flow {
	t.Helper()
	f, err := flows.New(use, with)
	require.NoError(t, err)
	return f
}

func park(t *testing.T) FlowMix {
	return FlowMix{Name: "park", Flow: mustFlow(t, "park", nil), Weight: 1}
}

func baseConfig(t *testing.T, run string, nodes ...NodeSpec) Config {
	return Config{
		RunID: run, Nodes: nodes, Flows: []FlowMix{park(t)},
		Dial: dialTo(nil, 2*time.Second), OriginateTimeout: 2 * time.Second,
		Collector: metrics.NewCollector(run, "test"), Guard: DefaultGuard,
		StopGrace: 2 * time.Second, Linger: time.Second,
	}
}

func TestRunParkCallsEndOK(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		cl := newFakeCluster(t)
		n := cl.node("a")
		cfg := baseConfig(t, "r1", n.spec())
		cfg.SmokeCall = true
		cfg.Stages = []Stage{{Name: "steady", Duration: time.Second, From: 20, To: 20, Hold: 200 * time.Millisecond, Limit: 100}}
		res, err := Run(context.Background(), cfg)
		require.NoError(t, err)
		s := res.Summary
		assert.Equal(t, int64(20), s.Offered)
		assert.Equal(t, int64(20), s.Calls, "the smoke call is not counted")
		assert.Equal(t, int64(20), s.OK, "reasons %v", s.Reasons)
		assert.Equal(t, int64(20), s.Answered)
		assert.Equal(t, int64(0), s.Active)
		assert.Equal(t, map[string]int64{"NORMAL_CLEARING": 20}, s.Causes)
		assert.Equal(t, int64(20), s.Duration.Count)
		assert.InDelta(t, float64(200*time.Millisecond), float64(s.Duration.P50), float64(50*time.Millisecond))
		assert.True(t, s.Healthy())
		assert.Equal(t, 0, cl.legsUp("r1"))
		// Each leg's end-of-call media figures reach the record and the summary.
		assert.Equal(t, int64(20), s.MOS.Count)
		assert.InDelta(t, 4.40, s.MOS.P50, 0.005)
		assert.InDelta(t, 1.0/51, s.Loss.Max, 1e-4)
		assert.InDelta(t, float64(2500*time.Microsecond), float64(s.Jitter.Max), float64(10*time.Microsecond), "3 significant digits")
	})
}

func TestRunMixedFlowsOnARamp(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		cl := newFakeCluster(t)
		n := cl.node("a")
		cfg := baseConfig(t, "r1", n.spec())
		cfg.Flows = []FlowMix{
			{Name: "park", Flow: mustFlow(t, "park", nil), Weight: 2},
			{Name: "busy", Flow: mustFlow(t, "reject", nil), Weight: 1},
			{Name: "rejected", Flow: mustFlow(t, "reject", map[string]string{"cause": "CALL_REJECTED"}), Weight: 1},
			{Name: "ring", Flow: mustFlow(t, "ringback", map[string]string{"ring_for": "100ms"}), Weight: 1},
			{Name: "cancel", Flow: mustFlow(t, "ringback", map[string]string{"ring_for": "100ms", "then": "caller_hangup", "mode": "pre_answer"}), Weight: 1},
		}
		// 0 → 60/s over 1 s: exactly 30 calls; then 30/s for 1 s: 30 more.
		cfg.Stages = []Stage{
			{Name: "ramp", Duration: time.Second, From: 0, To: 60, Hold: 100 * time.Millisecond},
			{Name: "flat", Duration: time.Second, From: 30, To: 30, Hold: 100 * time.Millisecond},
		}
		res, err := Run(context.Background(), cfg)
		require.NoError(t, err)
		s := res.Summary
		assert.Equal(t, int64(60), s.Calls)
		assert.Equal(t, int64(60), s.OK, "reasons %v unknown %d active %d failed %d", s.Reasons, s.Unknown, s.Active, s.Failed)
		assert.Equal(t, int64(30), s.Stages["ramp"].Calls)
		assert.Equal(t, int64(30), s.Stages["flat"].Calls)
		// Smooth weighted round-robin: exact shares.
		for name, want := range map[string]int64{"park": 20, "busy": 10, "rejected": 10, "ring": 10, "cancel": 10} {
			assert.Equal(t, want, s.Flows[name].Calls, "flow %s calls", name)
			assert.Equal(t, want, s.Flows[name].OK, "flow %s ok (reasons %v)", name, s.Flows[name].Reasons)
		}
		assert.Equal(t, int64(10), s.Flows["busy"].Counters["expected"])
		assert.Equal(t, int64(10), s.SIP["486"])
		assert.Equal(t, int64(10), s.Causes["CALL_REJECTED"])
		assert.Equal(t, int64(30), s.Answered, "park and ring answer; reject and cancel never do")
		assert.Equal(t, int64(10), s.Flows["ring"].PDD.Count)
	})
}

func TestRunLimitDropsAndMaxCalls(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		cl := newFakeCluster(t)
		n := cl.node("a")
		cfg := baseConfig(t, "r1", n.spec())
		// 50/s for 1 s with 2 s holds and a limit of 10: the first 10 calls
		// fill the limit, the remaining 40 arrivals find it full.
		cfg.Stages = []Stage{
			{Name: "full", Duration: time.Second, From: 50, To: 50, Hold: 2 * time.Second, Limit: 10},
			{Name: "capped", Duration: time.Second, From: 20, To: 20, Hold: 10 * time.Millisecond, MaxCalls: 5},
		}
		res, err := Run(context.Background(), cfg)
		require.NoError(t, err)
		s := res.Summary
		full, capped := s.Stages["full"], s.Stages["capped"]
		assert.Equal(t, int64(50), full.Offered)
		assert.Equal(t, int64(10), full.Calls)
		assert.Equal(t, int64(40), full.Dropped)
		assert.LessOrEqual(t, full.Erlangs.Max, 10.0, "never above the limit")
		assert.Equal(t, int64(5), capped.Calls)
		assert.Equal(t, int64(5), capped.Offered, "arrivals after max_calls are not offered")
		assert.Equal(t, int64(15), s.OK, "reasons %v", s.Reasons)

		// max_calls for the run.
		cfg = baseConfig(t, "r2", n.spec())
		cfg.MaxCalls = 7
		cfg.Stages = []Stage{{Name: "s", Duration: time.Second, From: 30, To: 30, Hold: 10 * time.Millisecond}}
		res, err = Run(context.Background(), cfg)
		require.NoError(t, err)
		assert.Equal(t, int64(7), res.Summary.Calls)
	})
}

func TestRunNoCalleeLegAndOriginateFailure(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		cl := newFakeCluster(t)
		a := cl.node("a")
		cfg := baseConfig(t, "r1", a.spec())
		cfg.Dial = dialTo(func(Origination) string { return "nowhere" }, time.Second)
		cfg.OriginateTimeout = time.Second
		cfg.Stages = []Stage{{Name: "s", Duration: 200 * time.Millisecond, From: 10, To: 10, Hold: time.Second}}
		res, err := Run(context.Background(), cfg)
		require.NoError(t, err)
		s := res.Summary
		assert.Equal(t, int64(2), s.Calls)
		assert.Equal(t, int64(2), s.Failed)
		assert.Equal(t, map[string]int64{"no_callee_leg": 2}, s.Reasons)

		b := cl.node("b")
		b.refuse = "NORMAL_TEMPORARY_FAILURE"
		cfg = baseConfig(t, "r2", b.spec())
		cfg.Stages = []Stage{{Name: "s", Duration: 200 * time.Millisecond, From: 10, To: 10, Hold: time.Second}}
		res, err = Run(context.Background(), cfg)
		require.NoError(t, err)
		assert.Equal(t, map[string]int64{"originate_NORMAL_TEMPORARY_FAILURE": 2}, res.Summary.Reasons)
		assert.Equal(t, int64(2), res.Summary.Causes["NORMAL_TEMPORARY_FAILURE"])

		// A smoke call that fails stops the run before any load.
		cfg = baseConfig(t, "r3", b.spec())
		cfg.SmokeCall = true
		cfg.Stages = []Stage{{Name: "s", Duration: time.Second, From: 10, To: 10, Hold: time.Second}}
		_, err = Run(context.Background(), cfg)
		require.ErrorIs(t, err, ErrSmokeCall)
		assert.ErrorContains(t, err, "node b")
	})
}

func TestRunInterruptHangsUpOnlyThisRun(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		cl := newFakeCluster(t)
		n := cl.node("a")
		// Another run's calls on the same node, held long.
		other := baseConfig(t, "other", n.spec())
		other.Stages = []Stage{{Name: "s", Duration: 200 * time.Millisecond, From: 20, To: 20, Hold: time.Hour}}
		otherCtx, stopOther := context.WithCancel(context.Background())
		otherDone := make(chan Result, 1)
		go func() {
			res, _ := Run(otherCtx, other)
			otherDone <- res
		}()

		cfg := baseConfig(t, "mine", n.spec())
		cfg.Stages = []Stage{{Name: "s", Duration: 10 * time.Second, From: 20, To: 20, Hold: time.Hour}}
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(500*time.Millisecond, cancel)
		res, err := Run(ctx, cfg)
		require.NoError(t, err)
		assert.True(t, res.Interrupted)
		assert.True(t, res.Summary.Interrupted)
		assert.Equal(t, 0, cl.legsUp("mine"), "this run's legs are hung up")
		assert.Equal(t, int64(0), res.Summary.Active)
		assert.Equal(t, res.Summary.Calls, res.Summary.Unknown, "interrupted calls are neither ok nor failed")
		assert.Equal(t, 8, cl.legsUp("other"), "the other run's 4 calls (8 legs) survive")

		stopOther()
		<-otherDone
		assert.Equal(t, 0, cl.legsUp("other"))
		assert.Equal(t, []string{"MANAGER_REQUEST mine", "MANAGER_REQUEST other"}, n.ends, "each run ended its own calls, and only at its stop")
	})
}

func TestRunNodeLostMidRun(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		cl := newFakeCluster(t)
		a, b := cl.node("a"), cl.node("b")
		cfg := baseConfig(t, "r1", a.spec(), b.spec())
		cfg.Stages = []Stage{{Name: "s", Duration: time.Second, From: 20, To: 20, Hold: 2 * time.Second}}
		time.AfterFunc(300*time.Millisecond, a.kill)
		res, err := Run(context.Background(), cfg)
		require.NoError(t, err)
		s := res.Summary
		assert.Equal(t, int64(1), s.Generators["a"].Disconnects)
		assert.False(t, s.Healthy(), "a lost generator makes the run untrustworthy")
		assert.Greater(t, s.Nodes["a"].Unknown, int64(0), "in-flight calls on a are unknown")
		assert.Equal(t, int64(0), s.Nodes["a"].Failed)
		assert.Equal(t, s.Nodes["b"].Calls, s.Nodes["b"].OK, "b carries on")
		assert.Greater(t, s.Nodes["b"].Calls, s.Nodes["a"].Calls, "after the loss every call goes to b")
		assert.Equal(t, int64(20), s.Calls)
		assert.NotEmpty(t, s.Generators["a"].Notes)
	})
}

func TestRunClusterCalleeOnOtherNode(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		cl := newFakeCluster(t)
		a, b := cl.node("a"), cl.node("b")
		cfg := baseConfig(t, "r1", a.spec(), b.spec())
		// Each node calls the other.
		cfg.Dial = dialTo(func(o Origination) string {
			if o.Node.Name == "a" {
				return "b"
			}
			return "a"
		}, 2*time.Second)
		cfg.Stages = []Stage{{Name: "s", Duration: time.Second, From: 20, To: 20, Hold: 50 * time.Millisecond}}
		res, err := Run(context.Background(), cfg)
		require.NoError(t, err)
		s := res.Summary
		assert.Equal(t, int64(20), s.OK, "reasons %v", s.Reasons)
		assert.Equal(t, int64(10), s.Nodes["a"].Calls, "round robin")
		assert.Equal(t, int64(10), s.Nodes["b"].Calls)
	})
}

func TestRunOverdriveGuardThrottles(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		cl := newFakeCluster(t)
		slow := cl.node("slow")
		slow.replyDelay = 50 * time.Millisecond
		cfg := baseConfig(t, "r1", slow.spec())
		cfg.Guard = Guard{MaxReplyLatency: 20 * time.Millisecond, MaxPending: 1000, MinPending: 1}
		cfg.Stages = []Stage{{Name: "s", Duration: time.Second, From: 50, To: 50, Hold: 10 * time.Millisecond}}
		res, err := Run(context.Background(), cfg)
		require.NoError(t, err)
		s := res.Summary
		assert.True(t, s.Generators["slow"].Saturated)
		assert.False(t, s.Healthy())
		assert.Greater(t, s.Throttled, int64(0))
		assert.Equal(t, s.Offered, s.Calls+s.Throttled+s.Dropped)
		assert.Equal(t, s.Calls, s.OK, "throttling protects the calls that were placed (reasons %v)", s.Reasons)

		// Low Idle-CPU alone (a busy shared host, replies still fast) is noted
		// but holds nothing back; with replies slowing it trips the guard.
		busy := cl.node("busy")
		cfg = baseConfig(t, "r2", busy.spec())
		cfg.Guard = Guard{MaxReplyLatency: 40 * time.Millisecond, MinIdleCPU: 2}
		cfg.Stages = []Stage{{Name: "s", Duration: 500 * time.Millisecond, From: 20, To: 20, Hold: 10 * time.Millisecond}}
		busy.heartbeat(0, 1000, 0.5)
		res, err = Run(context.Background(), cfg)
		require.NoError(t, err)
		g := res.Summary.Generators["busy"]
		assert.False(t, g.Saturated)
		assert.Equal(t, 0.5, g.MinIdleCPU)
		assert.Contains(t, g.Notes, "Idle-CPU fell to 0.5%")
		assert.Equal(t, int64(0), res.Summary.Throttled)

		busy.replyDelay = 25 * time.Millisecond // past half the limit
		cfg = baseConfig(t, "r3", busy.spec())
		cfg.Guard = Guard{MaxReplyLatency: 40 * time.Millisecond, MinIdleCPU: 2, MinPending: 1}
		cfg.Stages = []Stage{{Name: "s", Duration: 500 * time.Millisecond, From: 20, To: 20, Hold: 10 * time.Millisecond}}
		busy.heartbeat(0, 1000, 0.5)
		res, err = Run(context.Background(), cfg)
		require.NoError(t, err)
		assert.True(t, res.Summary.Generators["busy"].Saturated)
		assert.Greater(t, res.Summary.Throttled, int64(0))
	})
}

func TestRunNeverAboveMaxSessions(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		cl := newFakeCluster(t)
		n := cl.node("a")
		spec := n.spec()
		spec.MaxSessions = 6 // three loop calls
		cfg := baseConfig(t, "r1", spec)
		cfg.Stages = []Stage{{Name: "s", Duration: 500 * time.Millisecond, From: 20, To: 20, Hold: time.Second}}
		res, err := Run(context.Background(), cfg)
		require.NoError(t, err)
		s := res.Summary
		assert.Equal(t, int64(3), s.Calls)
		assert.Equal(t, int64(7), s.Throttled)
		assert.LessOrEqual(t, s.Erlangs.Max, 3.0)
	})
}

func TestGuardNeedsOutstandingWorkForLatency(t *testing.T) {
	t.Parallel()
	g := DefaultGuard
	n := newNode(0, NodeSpec{Name: "a", Caller: true})
	n.reply.add(2 * time.Second) // a busy host answered slowly...
	n.pending = 1                // ...with almost nothing outstanding
	n.checkGuard(g)
	assert.False(t, n.saturated, "slow replies at trivial load are the host, not overdrive")
	n.pending = g.MinPending
	n.checkGuard(g)
	assert.True(t, n.saturated, "slow replies with work piling up trip the guard")
	m := newNode(1, NodeSpec{Name: "b", Caller: true})
	m.pending = g.MaxPending + 1
	m.checkGuard(g)
	assert.True(t, m.saturated, "too many pending originates trip it alone")
}

func TestGuardRecoversWhenLatencyGoesStale(t *testing.T) {
	t.Parallel()
	g := Guard{MaxReplyLatency: 100 * time.Millisecond}
	n := newNode(0, NodeSpec{Name: "a", Caller: true})
	n.reply.add(time.Second)
	n.checkGuard(g)
	require.True(t, n.saturated)
	ok, _ := n.canTake()
	assert.False(t, ok, "a saturated node takes no calls")
	// No samples come while it is held back; the stale figure decays.
	now := n.reply.last
	for i := 1; i <= 5 && n.saturated; i++ {
		n.tick(now.Add(time.Duration(i)*time.Second), g)
	}
	assert.False(t, n.saturated, "the node recovers once its stale latency has decayed")
	assert.True(t, n.saturatedEver, "and the run still reports it was saturated")
}

func TestRunOriginateErrors(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		cl := newFakeCluster(t)
		n := cl.node("a")
		// A command that cannot be built is the plan's problem: failed.
		cfg := baseConfig(t, "r1", n.spec())
		cfg.Dial = func(Origination) (Origination, error) { return Origination{}, errors.New("bad destination") }
		cfg.Stages = []Stage{{Name: "s", Duration: 200 * time.Millisecond, From: 10, To: 10, Hold: time.Second}}
		res, err := Run(context.Background(), cfg)
		require.NoError(t, err)
		assert.Equal(t, map[string]int64{"originate_error": 2}, res.Summary.Reasons)

		// A connection that fails under the originate: the call's fate is unknown.
		m := cl.node("b")
		m.kill()
		spec := m.spec()
		cfg = baseConfig(t, "r2", spec)
		cfg.Stages = []Stage{{Name: "s", Duration: 200 * time.Millisecond, From: 10, To: 10, Hold: time.Second}}
		res, err = Run(context.Background(), cfg)
		require.NoError(t, err)
		assert.Equal(t, int64(0), res.Summary.Failed)
		assert.Equal(t, res.Summary.Calls, res.Summary.Unknown)
	})
}

// answerOnly answers and never hangs up: a flow whose end is lost.
type answerOnly struct{}

func (answerOnly) Use() string { return "answer_only" }
func (answerOnly) On(ctx context.Context, c *flows.Call, ev flows.Event) error {
	if ev.Kind == flows.CalleeArrived {
		return c.Callee.Answer(ctx)
	}
	return nil
}
func (answerOnly) Judge(r *metrics.Record) { r.Outcome = metrics.OutcomeOK }

func TestRunDrainIsBoundedAndRecordsStuckCalls(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		cl := newFakeCluster(t)
		cfg := baseConfig(t, "r1", cl.node("a").spec())
		cfg.Flows = []FlowMix{{Name: "stuck", Flow: answerOnly{}, Weight: 1}}
		cfg.OriginateTimeout = 100 * time.Millisecond
		cfg.DrainMargin = 300 * time.Millisecond
		cfg.Stages = []Stage{{Name: "s", Duration: 200 * time.Millisecond, From: 10, To: 10, Hold: 100 * time.Millisecond}}
		start := time.Now()
		res, err := Run(context.Background(), cfg)
		require.NoError(t, err)
		assert.Less(t, time.Since(start), 3*time.Second, "the run does not wait forever")
		s := res.Summary
		assert.Equal(t, int64(2), s.Calls)
		assert.Equal(t, int64(0), s.Active, "no call is left out of the records")
		assert.Equal(t, map[string]int64{"not_ended": 2}, s.Reasons)
		assert.Equal(t, 0, cl.legsUp("r1"), "and they were hung up")
	})
}

// TestFlowsGetMediaEventsWithPayloads: the driver's media events reach the
// flow as flow events carrying what the node reported, and a leg's end
// carries its media figures while the other leg is still up.
func TestFlowsGetMediaEventsWithPayloads(t *testing.T) {
	t.Parallel()
	cl := newFakeCluster(t)
	e, err := newEngine(baseConfig(t, "r1", cl.node("a").spec()))
	require.NoError(t, err)
	e.ctx = context.Background()
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.newCall(0, e.cfg.Flows[0], e.nodes[0], false)
	c.calleeID, c.calleeNode = "in-1", e.nodes[0]
	at := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)

	got := e.onCallee(c, LegEvent{Kind: EventDTMF, LegID: "in-1", NodeTime: at, Payload: flows.Payload{Digit: "5", DigitDuration: 100 * time.Millisecond}})
	assert.Equal(t, []flows.Event{{Kind: flows.DTMFReceived, Leg: flows.LegCallee, At: at, Payload: flows.Payload{Digit: "5", DigitDuration: 100 * time.Millisecond}}}, got)
	lost := flows.BERTReport{LostPercent: 96, LostCount: 1}
	got = e.onCaller(e.nodes[0], c, LegEvent{Kind: EventBERTLostSync, Payload: flows.Payload{BERT: lost}})
	require.Len(t, got, 1)
	assert.Equal(t, flows.BERTLostSync, got[0].Kind)
	assert.Equal(t, flows.LegCaller, got[0].Leg)
	assert.Equal(t, lost, got[0].BERT)

	stats := flows.MediaStats{{Name: "rtp_audio_in_mos", Value: "4.20"}}
	got = e.onCallee(c, LegEvent{Kind: EventHungUp, Cause: "NORMAL_CLEARING", Payload: flows.Payload{Stats: stats}})
	require.Len(t, got, 1, "the caller is still up: the flow hears of the callee's end")
	assert.Equal(t, flows.LegHungUp, got[0].Kind)
	assert.Equal(t, stats, got[0].Stats)
	assert.Empty(t, e.onCaller(e.nodes[0], c, LegEvent{Kind: EventHungUp}), "the last leg's end ends the call")
}

// TestMediaEventKinds: each media result a driver reports reaches the flow
// as its flow event on the leg it came from; a leg event that is no media
// result tells the flow nothing through this path.
func TestMediaEventKinds(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		driver EventKind
		flow   flows.EventKind
	}{
		{EventDTMF, flows.DTMFReceived},
		{EventPlaybackStart, flows.PlaybackStarted},
		{EventPlaybackStop, flows.PlaybackStopped},
		{EventRecordStart, flows.RecordStarted},
		{EventRecordStop, flows.RecordStopped},
		{EventBERTInSync, flows.BERTInSync},
		{EventBERTLostSync, flows.BERTLostSync},
		{EventBERTTimeout, flows.BERTTimeout},
		{EventToneDetected, flows.ToneDetected},
	} {
		got := mediaEvent(flows.LegCallee, LegEvent{Kind: tc.driver})
		require.Len(t, got, 1, "%v", tc.driver)
		assert.Equal(t, tc.flow, got[0].Kind, "%v", tc.driver)
		assert.Equal(t, flows.LegCallee, got[0].Leg, "%v", tc.driver)
	}
	for _, k := range []EventKind{EventCreated, EventAnswered, EventHungUp, EventJobResult, EventHeartbeat} {
		assert.Empty(t, mediaEvent(flows.LegCaller, LegEvent{Kind: k}), "%v", k)
	}
}
