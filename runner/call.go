package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/callplan/callplan/flows"
	"github.com/callplan/callplan/internal/hangup"
	"github.com/callplan/callplan/metrics"
)

// call is one call in flight. Guarded by the engine's mutex, except the
// fields set once at creation.
type call struct {
	id       string
	stage    int
	flowName string
	flow     flows.Flow
	node     *node // caller node
	smoke    bool  // the preflight smoke call: not counted

	ctx    context.Context // ends when the call ends
	cancel context.CancelFunc
	fc     flows.Call

	rec metrics.Record

	calleeID   string
	calleeNode *node
	reserved   int  // legs reserved on the caller node
	isPending  bool // counted in the caller node's pending originates

	sentAt                          time.Time
	created, arrived                bool
	callerDone, calleeDone, jobDone bool
	jobFailed                       bool
	unknown, interrupted, noCallee  bool
	refused                         bool // the generator would not create the leg
	stuck                           bool // outlived the run's drain grace
	flowErr                         error
	finished                        bool

	pending []flows.Event
	acting  bool
	// actorIdle, when set, is closed as the actor stops: end waits on it
	// so that the flow has every event before it judges the call.
	actorIdle chan struct{}
	// ready is closed when the caller leg takes actions (ready.go); nil
	// when its node needs no wait.
	ready   chan struct{}
	isReady bool
	timers  []*time.Timer
	done    chan struct{} // closed when the call has ended (smoke call)
}

// leg implements flows.CallControl on one leg of a call, as actions on
// the driver of the node the leg lives on.
type leg struct {
	e      *engine
	c      *call
	callee bool
}

var _ flows.CallControl = (*leg)(nil)

func (l *leg) target() (*node, string, error) {
	l.e.mu.Lock()
	defer l.e.mu.Unlock()
	if l.callee {
		if l.c.calleeNode == nil {
			return nil, "", fmt.Errorf("call %s has no callee leg", l.c.id)
		}
		return l.c.calleeNode, l.c.calleeID, nil
	}
	return l.c.node, l.c.id, nil
}

func (l *leg) do(ctx context.Context, a Action) error {
	if err := l.waitCallerReady(ctx, a); err != nil {
		return err
	}
	n, id, err := l.target()
	if err != nil {
		return err
	}
	return l.e.act(ctx, n, id, a)
}

func (l *leg) Answer(ctx context.Context) error    { return l.do(ctx, Action{Kind: ActAnswer}) }
func (l *leg) PreAnswer(ctx context.Context) error { return l.do(ctx, Action{Kind: ActPreAnswer}) }
func (l *leg) RingReady(ctx context.Context) error { return l.do(ctx, Action{Kind: ActRingReady}) }

func (l *leg) Respond(ctx context.Context, code int) error {
	return l.do(ctx, Action{Kind: ActRespond, Code: code})
}

func (l *leg) Hangup(ctx context.Context, cause string) error {
	if !l.callee {
		l.e.mu.Lock()
		l.c.rec.EndedByFlow = true
		l.e.mu.Unlock()
	}
	return l.do(ctx, Action{Kind: ActHangup, Cause: cause})
}

func (l *leg) Play(ctx context.Context, url string) error {
	return l.do(ctx, Action{Kind: ActPlay, URL: url})
}

func (l *leg) StopPlayback(ctx context.Context) error {
	return l.do(ctx, Action{Kind: ActStopPlayback})
}

func (l *leg) Record(ctx context.Context, path string, limit time.Duration) error {
	return l.do(ctx, Action{Kind: ActRecord, Path: path, Limit: limit})
}

func (l *leg) StopRecord(ctx context.Context, path string) error {
	return l.do(ctx, Action{Kind: ActStopRecord, Path: path})
}

func (l *leg) SendDTMF(ctx context.Context, digits string) error {
	return l.do(ctx, Action{Kind: ActSendDTMF, Digits: digits})
}

func (l *leg) SetVar(ctx context.Context, name, value string) error {
	return l.do(ctx, Action{Kind: ActSetVar, Name: name, Value: value})
}

func (l *leg) Execute(ctx context.Context, app, args string) error {
	return l.do(ctx, Action{Kind: ActExecute, App: app, Args: args})
}

func (l *leg) Mute(ctx context.Context, dir flows.AudioDirection, on bool) error {
	return l.do(ctx, Action{Kind: ActMute, Direction: dir, Mute: on})
}

// Schedule runs fn after d on its own goroutine (a kept one: the timer's
// own would grow its stack under fn's commands) unless the call has ended;
// the call's end stops the timer.
func (l *leg) Schedule(d time.Duration, fn func(ctx context.Context)) {
	c := l.c
	l.e.mu.Lock()
	defer l.e.mu.Unlock()
	if c.finished {
		return
	}
	run := func() {
		if c.ctx.Err() == nil {
			fn(c.ctx)
		}
	}
	t := time.AfterFunc(d, func() { l.e.work.Go(run) })
	c.timers = append(c.timers, t)
}

// timedOut reports whether an originate result's cause means "nothing
// answered in time": with no callee leg seen, the SUT never delivered the
// call.
func timedOut(cause string) bool {
	c, _ := hangup.ByName(cause)
	switch c {
	case hangup.NoAnswer, hangup.RecoveryOnTimerExpire, hangup.AllottedTimeout, hangup.NoUserResponse,
		hangup.ProgressTimeout, hangup.OriginatorCancel, hangup.NormalClearing, hangup.ManagerRequest:
		return true
	}
	return false
}

// judge fills in the call's outcome. The runner judges what no flow can:
// lost sight (unknown), stopped by the user (unknown, interrupted), never
// delivered (no_callee_leg / originate_X) and flow errors; the flow judges
// the rest.
func (c *call) judge() {
	r := &c.rec
	switch {
	case c.unknown:
		r.Outcome, r.Reason = metrics.OutcomeUnknown, "node_lost"
	case c.interrupted:
		r.Outcome, r.Reason = metrics.OutcomeUnknown, "interrupted"
	case c.refused:
		r.Outcome, r.Reason = metrics.OutcomeUnknown, "generator_refused"
	case c.stuck:
		r.Outcome, r.Reason = metrics.OutcomeFailed, "not_ended"
	case errors.Is(c.flowErr, errBuild):
		r.Outcome, r.Reason = metrics.OutcomeFailed, "originate_error"
	case c.calleeID == "" && (!c.node.OneLeg || c.jobFailed):
		r.Outcome = metrics.OutcomeFailed
		cause := r.Cause()
		if !c.noCallee && strings.HasPrefix(r.OriginateResult, "-ERR") && cause != "" && !timedOut(cause) {
			r.Reason = "originate_" + cause
		} else {
			r.Reason = metrics.NameNoCallee
		}
	case c.flowErr != nil:
		r.Outcome, r.Reason = metrics.OutcomeFailed, "flow_error"
		if r.Fields == nil {
			r.Fields = map[string]string{}
		}
		r.Fields["flow_error"] = c.flowErr.Error()
	default:
		c.flow.Judge(r)
	}
}

// sipStatus is the caller leg's final SIP status for the record: the
// status it received, else 200 for an answered call (an answered call's
// status is its 200, whatever ended it).
func sipStatus(received int, answered bool) int {
	if received >= 100 {
		if answered && received >= 300 {
			return 200
		}
		return received
	}
	if answered {
		return 200
	}
	return 0
}
