package runner

import (
	"time"

	"github.com/callplan/callplan/metrics"
)

// Every latency is measured on one clock (docs/metrics.md, "Clocks"): the
// node's own stamps or the runner's receipt times. The engine keeps both
// for every event of a call, and feeds the collector's clock book, which
// learns each node's timestamp resolution and offset from them and picks
// each ending call's clock.

// observeClock hands an event's two times to the clock book. Events
// without a node stamp (a driver that has none, node-wide state changes)
// teach it nothing and are skipped there.
//
// A one-leg node (a cloud calls API) is left out: its times are the API's
// own record of the call (whole seconds), and its receipt times are when
// a poll happened to see a change, no finer; its calls keep the API's
// clock (docs/metrics.md, "Cloud calls").
func (e *engine) observeClock(n *node, ev LegEvent) {
	if n.OneLeg {
		return
	}
	e.col.Clocks().Observe(n.Name, ev.NodeTime, ev.Received)
}

// noteReceipt keeps the receipt time of a leg event on the call's record,
// beside the node stamp the engine keeps (first of each, as the engine
// keeps the node's; the hangup of each leg once). Called with e.mu held.
func noteReceipt(n *node, r *metrics.Record, callee bool, ev LegEvent) {
	if n.OneLeg {
		r.Clock = metrics.ClockNode // see observeClock
	}
	if ev.Received.IsZero() {
		return
	}
	rx := &r.Received
	setFirst := func(p *time.Time) {
		if p.IsZero() {
			*p = ev.Received
		}
	}
	switch {
	case callee && ev.Kind == EventCreated:
		setFirst(&rx.CalleeCreate)
	case callee && ev.Kind == EventAnswered:
		setFirst(&rx.CalleeAnswer)
	case callee && ev.Kind == EventHungUp:
		setFirst(&rx.CalleeHangup)
	case callee:
	case ev.Kind == EventCreated:
		setFirst(&rx.CallerCreate)
	case ev.Kind == EventProgress, ev.Kind == EventEarlyMedia:
		setFirst(&rx.CallerProgress)
	case ev.Kind == EventAnswered:
		setFirst(&rx.CallerAnswer)
	case ev.Kind == EventHungUp:
		setFirst(&rx.CallerHangup)
	}
}
