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

// TestPacingTable: the table report shows each stage's planned, offered,
// sent and missed arrivals with the pacing lag, and says why a stage that
// was not on time was held back.
func TestPacingTable(t *testing.T) {
	t.Parallel()
	r := fixture(t, "pass") // stages warm (4/s for 5 s) and ramp (4 → 12/s over 10 s)
	warm, ramp := r.Summary.Stages["warm"], r.Summary.Stages["ramp"]
	warm.PacingLag = metrics.Latency{Count: 20, P50: 300 * time.Microsecond, P95: 900 * time.Microsecond, Max: 2 * time.Millisecond}
	ramp.Missed, ramp.Offered = 12, 68
	ramp.PacingLag = metrics.Latency{Count: 68, P50: 40 * time.Millisecond, P95: 700 * time.Millisecond, Max: 990 * time.Millisecond}
	r.Summary.Stages["warm"], r.Summary.Stages["ramp"] = warm, ramp
	r.Summary.Pacing = map[string]metrics.StagePacing{
		"warm": {Bottleneck: metrics.BottleneckNone},
		"ramp": {Bottleneck: metrics.BottleneckRunner, Why: "pacing lag p95 700ms, max 990ms, 12 arrival(s) missed while the nodes took every call"},
	}
	out := render(t, Table(r))
	assert.Contains(t, out, "Pacing by stage")
	assert.Contains(t, out, "│ warm  │      20 │      20 │   20 │      0 │     0.3 │     0.9 │     2.0 │ none       │")
	assert.Contains(t, out, "│ ramp  │      80 │      68 │   80 │     12 │    40.0 │   700.0 │   990.0 │ runner     │")
	assert.Contains(t, out, "stage ramp: runner held the load back: pacing lag p95 700ms")
}
