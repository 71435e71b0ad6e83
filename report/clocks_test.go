package report

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/callplan/callplan/metrics"
)

// TestClocksTable: the table report shows each node's clock, and a coarse
// node gets the note that its latencies are on the receipt clock.
func TestClocksTable(t *testing.T) {
	t.Parallel()
	r := fixture(t, "pass")
	r.Summary.Clocks = map[string]metrics.NodeClock{
		"fs1": {Resolution: 20 * time.Millisecond, ResolutionKnown: true, Offset: -180 * time.Microsecond,
			Events: 4000, Latencies: metrics.ClockReceipt, ReceiptCalls: 500},
		"embedded": {Resolution: 3 * time.Microsecond, ResolutionKnown: true, Offset: -42 * time.Microsecond,
			Events: 4000, Latencies: metrics.ClockNode, ReceiptCalls: 2, NodeCalls: 498},
		"cloud": {Latencies: metrics.ClockReceipt}, // no events: not shown
	}
	out := render(t, Table(r))
	assert.Contains(t, out, "│ fs1      │ 20ms (coarse) │ -180µs │            receipt │          0 │           500 │   4000 │")
	assert.Contains(t, out, "│ embedded │           3µs │  -42µs │ receipt, then node │        498 │             2 │   4000 │")
	assert.NotContains(t, out, "│ cloud")
	assert.Contains(t, out, "node fs1 stamps its events in 20ms steps, so its latencies were measured on callplan's receipt clock")
	assert.NotContains(t, out, "node embedded stamps")
	assert.Empty(t, ClockNote("embedded", r.Summary.Clocks["embedded"]))
}
