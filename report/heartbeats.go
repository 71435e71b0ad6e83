package report

import (
	"html/template"
	"maps"
	"math"
	"slices"

	"github.com/callplan/callplan/metrics"
)

// heartbeatCharts draw what each node's HEARTBEATs said over the run:
// Session-Count and Idle-CPU, the figures a stateful balancer steers by,
// so a reader can see whether the balancer (or callplan's least_loaded)
// followed the nodes' load. A heartbeat comes every few seconds (2 s on
// the agent, 20 s on FreeSWITCH), so each second shows the node's last
// one; before its first the line is empty. No heartbeats, no charts.
func heartbeatCharts(by []*metrics.Second, evs []chartEvent) []chart {
	n := len(by)
	nodes := map[string]bool{}
	for _, s := range by {
		if s != nil {
			for k := range s.Heartbeats {
				nodes[k] = true
			}
		}
	}
	if len(nodes) == 0 {
		return nil
	}
	names := slices.Sorted(maps.Keys(nodes))
	sessions, idle := map[string][]float64{}, map[string][]float64{}
	for _, name := range names {
		ses, cpu := make([]float64, n), make([]float64, n)
		last, seen := metrics.Heartbeat{}, false
		for j, s := range by {
			if s != nil {
				if hb, ok := s.Heartbeats[name]; ok {
					last, seen = hb, true
				}
			}
			ses[j], cpu[j] = math.NaN(), math.NaN()
			if seen {
				ses[j], cpu[j] = float64(last.SessionCount), last.IdleCPU
			}
		}
		sessions[name], idle[name] = ses, cpu
	}
	return []chart{
		{"Sessions per node (HEARTBEAT Session-Count)", template.HTML(lineChart("sessions per node", "sessions", n, nodeLines(names, sessions), evs))},
		{"Idle CPU per node (HEARTBEAT Idle-CPU)", template.HTML(lineChart("idle cpu per node", "%", n, nodeLines(names, idle), evs))},
	}
}
