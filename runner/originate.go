package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/callplan/callplan/flows"
	"github.com/callplan/callplan/metrics"
)

// This file starts calls: a new call's record and reservations, its
// originate through the node's driver, the deadline for its callee leg,
// and the preflight smoke call.

// newCall registers a call on node n. Called with e.mu held.
func (e *engine) newCall(si int, fm FlowMix, n *node, smoke bool) *call {
	id := uuid.NewString()
	ctx, cancel := context.WithCancel(e.ctx)
	c := &call{
		id: id, stage: si, flowName: fm.Name, flow: flows.ForCall(fm.Flow), node: n,
		smoke: smoke, ctx: ctx, cancel: cancel, done: make(chan struct{}),
	}
	if callerParks(n.Driver) {
		c.ready = make(chan struct{})
	}
	c.fc = flows.Call{ID: id, Caller: &leg{e: e, c: c}, Callee: &leg{e: e, c: c, callee: true}}
	stageName := ""
	if si >= 0 && si < len(e.cfg.Stages) {
		stageName = e.cfg.Stages[si].Name
		c.fc.Hold = e.holds[si].next()
	}
	c.rec = metrics.Record{Run: e.cfg.RunID, Call: id, Stage: stageName, Flow: fm.Name, CallerNode: n.Name}
	c.reserved = n.legsPerCall()
	n.legs += c.reserved
	n.pending++
	c.isPending = true
	e.calls[id] = c
	e.active++
	return c
}

// originate hands the call to its node's driver.
func (e *engine) originate(c *call) {
	defer e.wg.Done()
	defer e.origWG.Done()
	e.mu.Lock()
	if e.stopping {
		// Stopped between the arrival and now: never sent.
		c.interrupted = true
		c.jobDone, c.callerDone = true, true
		fin := e.maybeFinish(c)
		e.mu.Unlock()
		e.end(fin)
		return
	}
	e.mu.Unlock()
	o, err := e.cfg.Dial(Origination{
		CallID: c.id, RunID: e.cfg.RunID, Flow: c.flowName, Stage: c.rec.Stage, Node: c.node.NodeSpec,
	})
	if err != nil {
		err = fmt.Errorf("%w: %w", errBuild, err)
	}
	sent := time.Now()
	e.mu.Lock()
	c.sentAt, c.rec.OriginateSent = sent, sent
	e.mu.Unlock()
	if err == nil {
		if err = c.node.Driver.Originate(e.ctx, o); errors.Is(err, ErrBadOrigination) {
			err = fmt.Errorf("%w: %w", errBuild, err)
		}
	}
	e.mu.Lock()
	c.node.reply.add(time.Since(sent))
	c.node.checkGuard(e.cfg.Guard)
	if err != nil {
		// Not sent, or sent on a connection that failed under it: whether
		// the node started the call is unknown (node_lost), unless the
		// command could not even be built (a plan problem: failed).
		c.jobDone, c.jobFailed, c.callerDone = true, true, true
		if errors.Is(err, errBuild) {
			c.flowErr = err
		} else {
			c.unknown = true
		}
		if c.rec.Fields == nil {
			c.rec.Fields = map[string]string{}
		}
		c.rec.Fields["originate_error"] = err.Error()
		fin := e.maybeFinish(c)
		e.mu.Unlock()
		e.end(fin)
		return
	}
	// The callee must arrive within the originate timeout (plus a second
	// for the INVITE's trip); otherwise the call fails no_callee_leg.
	if !c.node.OneLeg {
		c.timers = append(c.timers, time.AfterFunc(e.cfg.OriginateTimeout+time.Second, func() { e.noCallee(c) }))
	}
	e.mu.Unlock()
}

// errBuild marks an origination that could not be built or expressed.
var errBuild = errors.New("building originate")

// noCallee ends a call whose callee leg never arrived.
func (e *engine) noCallee(c *call) {
	e.mu.Lock()
	if c.finished || c.calleeID != "" {
		e.mu.Unlock()
		return
	}
	c.noCallee = true
	up := c.created && !c.callerDone
	var fin *call
	if !up {
		// No caller leg to wait for: whatever the job says later is moot.
		c.jobDone, c.callerDone = true, true
		fin = e.maybeFinish(c)
	}
	e.mu.Unlock()
	if up {
		_ = (&leg{e: e, c: c}).Hangup(e.ctx, "NORMAL_CLEARING")
	}
	e.end(fin)
}

// smoke runs one park call through the whole path and requires it to end
// ok. It is not counted in the run's metrics.
func (e *engine) smoke(ctx context.Context) error {
	park, err := flows.New("park", nil)
	if err != nil {
		return err
	}
	e.mu.Lock()
	n := e.sel.pick(e.nodes)
	if n == nil {
		e.mu.Unlock()
		return fmt.Errorf("%w: no node can take a call", ErrSmokeCall)
	}
	c := e.newCall(-1, FlowMix{Name: "smoke", Flow: park}, n, true)
	c.fc.Hold = 100 * time.Millisecond
	c.rec.Stage = "smoke"
	e.mu.Unlock()
	e.wg.Add(1)
	e.origWG.Add(1)
	e.work.Go(func() { e.originate(c) })
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
	}
	if c.rec.Outcome != metrics.OutcomeOK {
		return &SmokeError{Node: n.Name, Record: c.rec}
	}
	return nil
}
