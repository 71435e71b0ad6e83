package report

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/callplan/callplan/metrics"
)

// infraReason is the one line that says why a run's status is
// infrastructure: which generator was unhealthy and how, so a reader sees
// at the top of the page why the figures below cannot be trusted. It is
// "" for any other status.
func infraReason(r *Results) string {
	if r.Status != StatusInfrastructure {
		return ""
	}
	if r.Failure != nil {
		return r.Failure.text()
	}
	var parts []string
	for _, n := range slices.Sorted(maps.Keys(r.Summary.Generators)) {
		if g := r.Summary.Generators[n]; !g.Healthy() {
			parts = append(parts, fmt.Sprintf("generator %s %s", n, unhealthyText(g)))
		}
	}
	if len(parts) == 0 {
		return "a generator node failed: the figures cannot be trusted"
	}
	return strings.Join(parts, "; ") + ": the figures cannot be trusted"
}

// unhealthyText says what made a generator unhealthy, first things first.
func unhealthyText(g metrics.Generator) string {
	var what []string
	if g.Disconnects > 0 {
		what = append(what, fmt.Sprintf("lost its ESL connection %d time(s)", g.Disconnects))
	}
	if g.Saturated {
		what = append(what, "was saturated (calls were held back)")
	}
	if g.AtMaxSessions {
		what = append(what, "reached its Max-Sessions")
	}
	if g.DroppedEvents > 0 {
		what = append(what, fmt.Sprintf("dropped %d event(s)", g.DroppedEvents))
	}
	return strings.Join(what, " and ")
}

// healthText is a generator's health as the table and the page show it:
// "ok" or "UNHEALTHY", and its notes. A healthy node's notes are marked as
// warnings that did not hold calls back ("ok", "warning, calls not held
// back: Idle-CPU fell to 0.0%"): the runner notes a low Idle-CPU even when
// the node kept answering promptly (runner/node.go checkGuard), and
// "healthy (Idle-CPU fell to 0.0%)" read as a contradiction.
func healthText(g metrics.Generator) (health, notes string) {
	notes = strings.Join(g.Notes, "; ")
	if !g.Healthy() {
		return "UNHEALTHY", notes
	}
	if notes != "" {
		notes = "warning, calls not held back: " + notes
	}
	return "ok", notes
}

// slowHeartbeat is the interval past which a node's heartbeats are too
// sparse for the health figures and the least_loaded policy to follow a
// run (FreeSWITCH's default event-heartbeat-interval is 20 s).
const slowHeartbeat = 5

// heartbeatNote says when a node's HEARTBEAT events came too seldom,
// reading the series' per-second heartbeats: "" when they came often
// enough, or the run was too short to tell.
func heartbeatNote(r *Results, node string) string {
	var first, last, n int
	for i := range r.Seconds {
		if _, ok := r.Seconds[i].Heartbeats[node]; ok {
			if n == 0 {
				first = r.Seconds[i].Index
			}
			last = r.Seconds[i].Index
			n++
		}
	}
	span := 0
	if k := len(r.Seconds); k > 0 {
		span = r.Seconds[k-1].Index + r.Seconds[k-1].Width() - r.Seconds[0].Index
	}
	switch {
	case n >= 2 && (last-first)/(n-1) > slowHeartbeat:
		return fmt.Sprintf("a heartbeat every %d s: set event-heartbeat-interval to 2 (docs/freeswitch.md)", (last-first)/(n-1))
	case n == 1 && span > 4*slowHeartbeat:
		return fmt.Sprintf("one heartbeat in %d s: set event-heartbeat-interval to 2 (docs/freeswitch.md)", span)
	}
	return ""
}

// nodeNotes are a generator's notes for the table and the page: its
// health notes, then advice about its heartbeats.
func nodeNotes(r *Results, node string, g metrics.Generator) (health, notes string) {
	health, notes = healthText(g)
	if hb := heartbeatNote(r, node); hb != "" {
		if notes == "" && health == "ok" {
			notes = "warning: " + hb
		} else {
			notes += "; " + hb
		}
	}
	return health, notes
}

// idleCPU is a generator's lowest Idle-CPU, "-" when no heartbeat arrived
// (metrics.Generator.MinIdleCPU is -1 then).
func idleCPU(v float64) string {
	if v < 0 {
		return "-"
	}
	return num(v)
}
