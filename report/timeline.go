package report

import (
	"maps"
	"slices"

	"github.com/callplan/callplan/metrics"
)

// NodeEvent is something that happened to a generator node during the
// run, at a second of the series: the HTML report marks it on every
// chart's time axis, so a dip in answered calls can be read against the
// node that went away.
type NodeEvent struct {
	// Second is the series second (metrics.Second.Index) it happened in.
	Second int    `json:"t"`
	Node   string `json:"node"`
	// Kind is one of the NodeEvent kinds below.
	Kind string `json:"kind"`
}

// Node event kinds.
const (
	EventDown        = "down"        // the node's ESL connection was lost
	EventReconnected = "reconnected" // it came back
	EventSaturated   = "saturated"   // the overdrive guard held calls back from it
	EventThrottled   = "throttled"   // arrivals were throttled (no node had room)
)

// NodeSeries is one node's calls per second, laid out by series second:
// Placed counts calls it originated (caller node). The per-node figures of
// metrics.Second are not kept in report.json, so the charts' series are.
type NodeSeries struct {
	Node   string  `json:"node"`
	Placed []int64 `json:"placed"`
}

// nodeSeries builds each caller node's calls per second from the series'
// per-node breakdown, nil when there is none (a report read back from
// JSON has it already in Results.NodeSeries).
func nodeSeries(secs []metrics.Second) []NodeSeries {
	by := perSecond(secs)
	names := map[string]bool{}
	for _, s := range by {
		if s != nil {
			for n := range s.Nodes {
				names[n] = true
			}
		}
	}
	var out []NodeSeries
	for _, n := range slices.Sorted(maps.Keys(names)) {
		ns := NodeSeries{Node: n, Placed: make([]int64, len(by))}
		for i, s := range by {
			if s != nil {
				ns.Placed[i] = s.Nodes[n].Calls
			}
		}
		out = append(out, ns)
	}
	return out
}

// throttleEvents marks the first second of each burst of throttled
// arrivals (a burst ends after a second without any).
func throttleEvents(by []*metrics.Second) []NodeEvent {
	var out []NodeEvent
	prev := false
	for i, s := range by {
		now := s != nil && s.Throttled > 0
		if now && !prev {
			out = append(out, NodeEvent{Second: i, Kind: EventThrottled})
		}
		prev = now
	}
	return out
}
