package report

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/callplan/callplan/metrics"
)

// clocks is the table of each node's event clock: its timestamp
// resolution, its offset from the runner's clock, and the clock its
// calls' latencies were measured on (docs/metrics.md, "Clocks"). A node
// whose stamps were coarse gets a note under the table saying its
// latencies are on the receipt clock and how to make them precise.
func (t *tableWriter) clocks(r *Results) {
	cs := r.Summary.Clocks
	var rows [][]string
	for _, n := range slices.Sorted(maps.Keys(cs)) {
		c := cs[n]
		if c.Events == 0 {
			continue // nothing learnt: a driver without node stamps
		}
		rows = append(rows, []string{n, resolutionText(c), offsetText(c), latenciesText(c),
			count(c.NodeCalls), count(c.ReceiptCalls), count(c.Events)})
	}
	t.table("Clocks (calls measured on each clock)", []string{"node", "resolution", "offset", "latencies on", "node clock", "receipt clock", "events"}, rows)
	for _, n := range slices.Sorted(maps.Keys(cs)) {
		if note := ClockNote(n, cs[n]); note != "" {
			t.printf("%s\n", note)
		}
	}
}

// ClockNote says, for a node whose timestamps are coarse, that its
// latencies were measured on the runner's receipt clock, and what to set
// for precise timestamps; "" for other nodes. The live warning and the
// reports share it.
func ClockNote(node string, c metrics.NodeClock) string {
	if !c.Coarse() {
		return ""
	}
	return fmt.Sprintf("node %s stamps its events in %s steps, so its latencies were measured on callplan's receipt clock "+
		"(on FreeSWITCH set <param name=\"1ms-timer\" value=\"true\"/> in switch.conf.xml for 1 ms steps; docs/freeswitch.md)",
		node, roundClock(c.Resolution))
}

// latenciesText is the clock the node's calls were measured on: one, or
// both when the run started on the receipt clock until the node's
// resolution was known.
func latenciesText(c metrics.NodeClock) string {
	switch {
	case c.NodeCalls > 0 && c.ReceiptCalls > 0:
		return "receipt, then node"
	case c.NodeCalls > 0:
		return string(metrics.ClockNode)
	case c.ReceiptCalls > 0:
		return string(metrics.ClockReceipt)
	}
	return string(c.Latencies)
}

func resolutionText(c metrics.NodeClock) string {
	if !c.ResolutionKnown {
		return "unknown"
	}
	s := roundClock(c.Resolution).String()
	if c.Coarse() {
		s += " (coarse)"
	}
	return s
}

func offsetText(c metrics.NodeClock) string {
	if c.Events == 0 {
		return "-"
	}
	s := roundClock(c.Offset).String()
	if !strings.HasPrefix(s, "-") && c.Offset != 0 {
		s = "+" + s
	}
	return s
}

// roundClock keeps a clock figure readable: µs below a millisecond, 0.1 ms
// above.
func roundClock(d time.Duration) time.Duration {
	if d > -time.Millisecond && d < time.Millisecond {
		return d.Round(time.Microsecond)
	}
	return d.Round(100 * time.Microsecond)
}
