package runner

import (
	"context"
	"time"
)

// This file holds a flow's actions on a caller leg until the leg is ready
// for commands. On FreeSWITCH 1.10.12 an outbound leg runs the originate's
// app (park) only once the originate has returned: at the answer, or at
// the 183 when early media is not ignored (esl/testdata/fixtures/01: the
// caller's CHANNEL_ANSWER, the BACKGROUND_JOB and CHANNEL_EXECUTE park in
// one 20 ms tick; fixtures/09: park on the still-early leg). A sendmsg
// execute that reaches the leg before then is lost: the originating
// session thread is not running an application loop that would take it
// (switch_ivr_originate.c hands the leg back first). So the runner sends a
// caller leg's actions only after the leg reports EventParked, in the
// order the flow gave them. The callee leg needs no hold: it is parked
// before it is announced (onCallee's EventParked).

// CallerParker is implemented by drivers whose caller legs take actions
// only once they have parked: CallerParks reports whether this driver's
// caller legs do, and then report EventParked when they are ready. Drivers
// that do not implement it (a cloud calls API) are sent actions at once.
type CallerParker interface {
	CallerParks() bool
}

// callerParks reports whether actions on d's caller legs wait for their
// park.
func callerParks(d Driver) bool {
	p, ok := d.(CallerParker)
	return ok && p.CallerParks()
}

// callerReady releases the actions held for the caller leg (once). Called
// with e.mu held.
func (c *call) callerReady() {
	if c.ready != nil && !c.isReady {
		c.isReady = true
		close(c.ready)
	}
}

// awaitCallerBound arms the bound on the hold once the caller leg is
// answered: a leg that has not parked by then never will (an originate
// app other than park, a node that does not report it), and the held
// actions are sent anyway rather than wait for the call's end; on a node
// that loses them the flow then fails on its own checks. The bound is the
// originate timeout. Called with e.mu held.
func (e *engine) awaitCallerBound(c *call) {
	if c.ready == nil || c.isReady {
		return
	}
	c.timers = append(c.timers, time.AfterFunc(e.cfg.OriginateTimeout, func() {
		e.mu.Lock()
		c.callerReady()
		e.mu.Unlock()
	}))
}

// waitCallerReady blocks an action on the caller leg until the leg is
// ready (or the call or ctx ends). Hangups are never held: uuid_kill is an
// api command that ends a leg in any state, and a flow cancelling a ringing
// call must not wait for a park that only follows an answer.
func (l *leg) waitCallerReady(ctx context.Context, a Action) error {
	if l.callee || a.Kind == ActHangup || l.c.ready == nil {
		return nil
	}
	select {
	case <-l.c.ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-l.c.ctx.Done():
		return l.c.ctx.Err()
	}
}
