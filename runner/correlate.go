package runner

import (
	"errors"
	"time"

	"github.com/callplan/callplan/flows"
	"github.com/callplan/callplan/internal/hangup"
)

// This file takes the drivers' events: each is matched to its call by
// leg id (a callee leg by the call id it carries on arrival) and applied
// by small functions, one per leg side.

// pump moves a node's events into the engine.
func (e *engine) pump(n *node) {
	defer e.wg.Done()
	for {
		select {
		case <-e.ctx.Done():
			return
		case ev, ok := <-n.Driver.Events():
			if !ok {
				e.connDown(n, errors.New("connection closed"))
				return
			}
			ev.Node = n.Name
			e.handle(n, ev)
		}
	}
}

// connDown marks a lost node: its in-flight calls become unknown.
func (e *engine) connDown(n *node, err error) {
	e.mu.Lock()
	if !n.up {
		e.mu.Unlock()
		return
	}
	n.up = false
	n.disconnects++
	n.note("connection lost: %v; its in-flight calls are unknown", err)
	var fins []*call
	for _, c := range e.calls {
		if c.node == n || c.calleeNode == n {
			c.unknown = true
			c.callerDone, c.calleeDone, c.jobDone = true, true, true
			if f := e.maybeFinish(c); f != nil {
				fins = append(fins, f)
			}
		}
	}
	e.mu.Unlock()
	for _, c := range fins {
		e.end(c)
	}
}

// handle applies one event: a node's own (connection, heartbeat) or a
// leg's.
func (e *engine) handle(n *node, ev LegEvent) {
	e.observeClock(n, ev)
	switch ev.Kind {
	case EventNodeDown:
		e.connDown(n, ev.Err)
	case EventNodeUp:
		e.connUp(n)
	case EventHeartbeat:
		e.onHeartbeat(n, ev.Health)
	default:
		e.onLeg(n, ev)
	}
}

// connUp marks a node whose connection is back.
func (e *engine) connUp(n *node) {
	e.mu.Lock()
	n.up = true
	n.note("connection re-established")
	e.mu.Unlock()
}

// onHeartbeat takes a node's health figures: they feed the overdrive guard
// and the time series.
func (e *engine) onHeartbeat(n *node, h Health) {
	e.mu.Lock()
	n.heartbeat(h)
	n.checkGuard(e.cfg.Guard)
	e.col.Heartbeat(n.Name, n.heartbeatFigures())
	e.mu.Unlock()
}

// onLeg applies an event of a call's leg or originate. Every update is
// keyed on the leg's id or, for an originate's result, the call id;
// events of legs of other runs are ignored.
func (e *engine) onLeg(n *node, ev LegEvent) {
	e.mu.Lock()
	c, callee := e.lookup(n, ev)
	if c == nil || c.finished {
		e.mu.Unlock()
		return
	}
	if e.stopping && ev.Kind == EventCreated {
		e.hangUpLate(n, ev.LegID)
	}
	c.rec.Fields = mergeInto(c.rec.Fields, ev.Fields)
	c.rec.Counts = mergeInto(c.rec.Counts, ev.Counts)
	noteReceipt(n, &c.rec, callee, ev)
	var post []flows.Event
	switch {
	case ev.Kind == EventJobResult:
		e.onJobResult(n, c, ev)
	case callee:
		post = e.onCallee(c, ev)
	default:
		post = e.onCaller(n, c, ev)
	}
	for _, p := range post {
		e.post(c, p)
	}
	fin := e.maybeFinish(c)
	e.mu.Unlock()
	e.end(fin)
}

// hangUpLate hangs up a leg that appears after the stop's endRuns (its
// originate was already on its way). Called with e.mu held; the hangup
// runs outside it.
func (e *engine) hangUpLate(n *node, legID string) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		_ = e.act(e.ctx, n, legID, Action{Kind: ActHangup, Cause: hangup.ManagerRequest.String()})
	}()
}

// mergeInto adds a driver's per-call figures (LegEvent.Fields, Counts) to
// the record's.
func mergeInto[V any](dst, src map[string]V) map[string]V {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(map[string]V, len(src))
	}
	for k, v := range src {
		dst[k] = v
	}
	return dst
}

// onJobResult takes the originate's outcome. Called with e.mu held.
func (e *engine) onJobResult(n *node, c *call, ev LegEvent) {
	if c.jobDone {
		return
	}
	c.jobDone = true
	c.rec.OriginateResult = ev.Result
	c.jobFailed = ev.Failed
	e.unpend(c)
	if c.jobFailed && !c.created {
		c.callerDone = true // the leg never existed
		if cause, _ := hangup.ByName(ev.Cause); cause == hangup.DestinationOutOfOrder {
			// The node would not even create the leg: over its sps or
			// max_sessions, which FreeSWITCH's switch_core_session.c
			// enforces as it creates a session. A generator limit, not
			// the SUT's failure.
			c.refused = true
			n.refuse(e.cfg.Guard)
		}
	}
}

// onCallee takes an event of the callee leg and returns what the flow is
// told. Called with e.mu held.
func (e *engine) onCallee(c *call, ev LegEvent) []flows.Event {
	r := &c.rec
	switch ev.Kind {
	case EventCreated:
		r.CalleeCreate = ev.NodeTime
	case EventParked:
		if !c.arrived {
			c.arrived = true
			return flowEvent(flows.CalleeArrived, flows.LegCallee, ev)
		}
	case EventAnswered:
		if r.CalleeAnswer.IsZero() {
			r.CalleeAnswer = ev.NodeTime
			return flowEvent(flows.CalleeAnswered, flows.LegCallee, ev)
		}
	case EventHungUp:
		c.calleeDone = true
		r.CalleeHangup = ev.NodeTime
		r.CalleeCause = ev.Cause
		r.CalleeMedia = ev.Stats.Received()
		c.calleeNode.legs--
		if !c.callerDone {
			return flowEvent(flows.LegHungUp, flows.LegCallee, ev)
		}
	default:
		return mediaEvent(flows.LegCallee, ev)
	}
	return nil
}

// onCaller takes an event of the caller leg and returns what the flow is
// told. Called with e.mu held.
func (e *engine) onCaller(n *node, c *call, ev LegEvent) []flows.Event {
	r := &c.rec
	switch ev.Kind {
	case EventCreated:
		if !c.created {
			c.created = true
			r.CallerCreate = ev.NodeTime
			e.unpend(c)
			n.create.add(time.Since(c.sentAt))
			n.checkGuard(e.cfg.Guard)
		}
	case EventProgress, EventEarlyMedia:
		if r.CallerProgress.IsZero() {
			r.CallerProgress = ev.NodeTime
			return flowEvent(flows.CallerProgress, flows.LegCaller, ev)
		}
	case EventAnswered:
		if r.CallerAnswer.IsZero() {
			r.CallerAnswer = ev.NodeTime
			if !c.smoke {
				e.col.AnsweredIn(r.Flow, r.CallerNode)
			}
			e.awaitCallerBound(c)
			return flowEvent(flows.CallerAnswered, flows.LegCaller, ev)
		}
	case EventParked:
		c.callerReady()
	case EventHungUp:
		c.callerReady() // what is held fails now: the leg is gone
		c.callerDone = true
		r.CallerHangup = ev.NodeTime
		r.CallerCause = ev.Cause
		r.CallerMedia = ev.Stats.Received()
		r.SIPStatus = sipStatus(ev.SIPStatus, !r.CallerAnswer.IsZero())
		// Release the caller leg, and the callee reservation if the
		// callee never landed here.
		c.node.legs -= c.reserved
		c.reserved = 0
		if !c.jobDone || c.calleeID != "" && !c.calleeDone {
			c.timers = append(c.timers, time.AfterFunc(e.cfg.Linger, func() { e.lingerOver(c) }))
		}
		if c.calleeID != "" && !c.calleeDone {
			return flowEvent(flows.LegHungUp, flows.LegCaller, ev)
		}
	default:
		return mediaEvent(flows.LegCaller, ev)
	}
	return nil
}

func flowEvent(k flows.EventKind, leg flows.Leg, ev LegEvent) []flows.Event {
	return []flows.Event{{Kind: k, Leg: leg, At: ev.NodeTime, Payload: ev.Payload}}
}

// mediaKinds are the driver's media results and the flow events that
// pass them on as they are.
var mediaKinds = map[EventKind]flows.EventKind{
	EventDTMF:          flows.DTMFReceived,
	EventPlaybackStart: flows.PlaybackStarted,
	EventPlaybackStop:  flows.PlaybackStopped,
	EventRecordStart:   flows.RecordStarted,
	EventRecordStop:    flows.RecordStopped,
	EventBERTInSync:    flows.BERTInSync,
	EventBERTLostSync:  flows.BERTLostSync,
	EventBERTTimeout:   flows.BERTTimeout,
	EventToneDetected:  flows.ToneDetected,
}

// mediaEvent passes the media results of a leg to the flow as they are.
func mediaEvent(leg flows.Leg, ev LegEvent) []flows.Event {
	k, ok := mediaKinds[ev.Kind]
	if !ok {
		return nil
	}
	return flowEvent(k, leg, ev)
}

// lookup finds the call an event is about; callee says it is about the
// callee leg. A callee leg is recognised on its EventCreated by the call
// id it carries (on any node).
func (e *engine) lookup(n *node, ev LegEvent) (*call, bool) {
	if ev.Kind == EventJobResult {
		return e.calls[ev.CallID], false
	}
	if c, ok := e.calls[ev.LegID]; ok {
		return c, false
	}
	if c, ok := e.byCallee[ev.LegID]; ok {
		return c, true
	}
	if ev.Kind != EventCreated || ev.Leg != flows.LegCallee || ev.LegID == "" {
		return nil, false
	}
	c, ok := e.calls[ev.CallID]
	if !ok || c.calleeID != "" || c.finished {
		return nil, false
	}
	if ev.RunID != "" && ev.RunID != e.cfg.RunID {
		return nil, false
	}
	id := ev.LegID
	c.calleeID = id
	c.calleeNode = n
	c.rec.CalleeNode = n.Name
	e.col.Landed(&c.rec)
	e.byCallee[id] = c
	// The callee leg takes one of the legs reserved on the caller node
	// when it lands there; elsewhere the spare reservation is released and
	// the landing node gets a leg of its own.
	if n == c.node && c.reserved > 1 {
		c.reserved--
	} else {
		if c.reserved > 1 {
			c.node.legs--
			c.reserved--
		}
		n.legs++
	}
	return c, true
}
