package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/callplan/callplan/flows"
)

// This file is a call's life after its start: the flow's actor, timed
// actions on legs, and the end of the call once nothing more is to come.

// unpend takes the call off its node's pending originates (once).
func (e *engine) unpend(c *call) {
	if c.isPending {
		c.isPending = false
		c.node.pending--
	}
}

// lingerOver ends a call that waited too long for its callee's end or its
// originate result after the caller leg ended.
func (e *engine) lingerOver(c *call) {
	e.mu.Lock()
	if c.calleeID != "" && !c.calleeDone {
		c.calleeDone = true
		c.calleeNode.legs--
	}
	c.jobDone = true
	fin := e.maybeFinish(c)
	e.mu.Unlock()
	e.end(fin)
}

// post queues a flow event; one actor per call runs them in order.
func (e *engine) post(c *call, ev flows.Event) {
	c.pending = append(c.pending, ev)
	if c.acting {
		return
	}
	c.acting = true
	e.wg.Add(1)
	e.work.Go(func() { e.runFlow(c) })
}

// runFlow is a call's actor: it hands the flow its events one at a time.
func (e *engine) runFlow(c *call) {
	defer e.wg.Done()
	for {
		e.mu.Lock()
		// A finished call's queued events still reach its flow: a
		// report the node sent just before the hangup (mod_bert's
		// timeout, then MEDIA_TIMEOUT) must count in the verdict. The
		// call's context is cancelled, so any command a flow sends now
		// fails at once and is ignored below.
		if len(c.pending) == 0 {
			c.acting = false
			if c.actorIdle != nil {
				close(c.actorIdle)
				c.actorIdle = nil
			}
			e.mu.Unlock()
			return
		}
		ev := c.pending[0]
		c.pending = c.pending[1:]
		if len(c.pending) == 0 {
			// Events carry payloads now; a held call must not keep the
			// drained queue's array for its whole hold.
			c.pending = nil
		}
		e.mu.Unlock()
		if err := c.flow.On(c.ctx, &c.fc, ev); err != nil && c.ctx.Err() == nil {
			e.mu.Lock()
			// A command on a leg that has just ended fails for that reason;
			// the call's own end says what happened, not the flow.
			gone := c.callerDone || c.calleeDone
			if c.flowErr == nil && !gone {
				c.flowErr = fmt.Errorf("%s: %w", ev, err)
			}
			e.mu.Unlock()
			if gone {
				continue
			}
			// End both legs: the flow cannot carry on.
			_ = c.fc.Callee.Hangup(e.ctx, "NORMAL_CLEARING")
			_ = c.fc.Caller.Hangup(e.ctx, "NORMAL_CLEARING")
		}
	}
}

// maybeFinish marks the call finished when nothing more is to come and
// returns it for end; nil otherwise. Called with e.mu held.
func (e *engine) maybeFinish(c *call) *call {
	if c.finished || !c.jobDone || !c.callerDone {
		return nil
	}
	if c.calleeID != "" && !c.calleeDone {
		return nil
	}
	c.finished = true
	for _, t := range c.timers {
		t.Stop()
	}
	c.timers = nil
	c.cancel()
	e.unpend(c)
	if c.reserved > 0 {
		c.node.legs -= c.reserved
		c.reserved = 0
	}
	delete(e.calls, c.id)
	if c.calleeID != "" {
		delete(e.byCallee, c.calleeID)
	}
	return c
}

// end hands a finished call's record to the collector, outside the lock.
func (e *engine) end(c *call) {
	if c == nil {
		return
	}
	// The flow judges once its actor has handed it every queued event.
	e.mu.Lock()
	for c.acting {
		if c.actorIdle == nil {
			c.actorIdle = make(chan struct{})
		}
		idle := c.actorIdle
		e.mu.Unlock()
		<-idle
		e.mu.Lock()
	}
	c.judge()
	e.mu.Unlock()
	if !c.smoke {
		_ = e.col.End(&c.rec) // a write error surfaces from Collector.Close
	}
	// The call leaves the active count only once its record is in: the
	// run must not close the books between the two.
	e.mu.Lock()
	e.active--
	if e.active == 0 && e.idle != nil {
		close(e.idle)
		e.idle = nil
	}
	e.mu.Unlock()
	close(c.done)
}

// act performs an action on a leg of node n, timing the node's reply
// for the overdrive guard.
func (e *engine) act(ctx context.Context, n *node, legID string, a Action) error {
	t := time.Now()
	err := n.Driver.Act(ctx, legID, a)
	e.replied(n, t)
	return err
}

// endRun hangs up this run's calls on node n, timing the reply.
func (e *engine) endRun(ctx context.Context, n *node) {
	t := time.Now()
	_, _ = n.Driver.EndRun(ctx, e.cfg.RunID, "MANAGER_REQUEST")
	e.replied(n, t)
}

func (e *engine) replied(n *node, sent time.Time) {
	e.mu.Lock()
	n.reply.add(time.Since(sent))
	n.checkGuard(e.cfg.Guard)
	e.mu.Unlock()
}
