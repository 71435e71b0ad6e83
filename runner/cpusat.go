package runner

import (
	"time"
)

// Saturated generator nodes are seen. The overdrive guard (node.go) trips
// on what the runner measures itself: pending originates, reply and
// create latency. A node can also be short of CPU before those grow (or
// while they grow on a host the runner shares). The ESL driver polls the
// node's idle CPU once a second (eslstatus.go); a node whose idle CPU
// stays under SaturatedIdleCPU for SaturatedFor is flagged saturated: the
// live line and the report say so, new originates to it are held back
// (counted throttled when no other node can take them), and the run's
// generator health fails (exit 3), because a generator out of CPU
// distorts every figure it measures. It is back once its idle CPU reaches
// RecoveredIdleCPU. A node the plan marks `sut: true` is also the system
// under test: its saturation is reported, but it is the result being
// measured, so it is neither a generator failure nor held back. The
// embedded agent, inside the runner's process, is not judged by idle CPU
// (NodeSpec.InProcess).
//
// The thresholds are for FreeSWITCH on a small host: at 150 calls/s on 2
// cores it used 1.8 of them (idle 10%) and replies and set-up stretched;
// 10% idle held for two polls is past where its figures can be trusted,
// and 20% leaves room before calls are let through again.
const (
	SaturatedIdleCPU = 10.0            // percent
	SaturatedFor     = 2 * time.Second // idle CPU under SaturatedIdleCPU this long: saturated
	RecoveredIdleCPU = 20.0            // percent: no longer saturated at or over this
)

// cpuWatch is one node's CPU saturation state. Guarded by the engine's
// mutex, as the node is.
type cpuWatch struct {
	lowSince time.Time // when idle CPU went under the threshold; zero when not under
	sat      bool      // saturated now
	ever     bool      // saturated at some point of the run
	lowest   float64   // lowest idle CPU polled, -1 before any
	polled   bool
}

// watchCPU takes the node's idle CPU as its driver last reported it
// (percent; negative: unknown) at now, once a second from the ticker.
// Called with the engine's mutex held.
func (n *node) watchCPU(now time.Time, idle float64) {
	w := &n.cpu
	if idle < 0 {
		return
	}
	if !w.polled || idle < w.lowest {
		w.lowest = idle
	}
	w.polled = true
	if n.InProcess {
		return // see NodeSpec.InProcess
	}
	switch {
	case idle < SaturatedIdleCPU:
		if w.lowSince.IsZero() {
			w.lowSince = now
		}
		if !w.sat && now.Sub(w.lowSince) >= SaturatedFor {
			w.sat = true
			if !w.ever {
				if n.SUT {
					n.note("saturated: idle CPU under %.0f%% for %v (now %.1f%%); the node is also the SUT, so this is the result, not a generator failure", SaturatedIdleCPU, SaturatedFor, idle)
				} else {
					n.note("saturated: idle CPU under %.0f%% for %v (now %.1f%%); new calls held back", SaturatedIdleCPU, SaturatedFor, idle)
				}
			}
			w.ever = true
		}
	case idle >= RecoveredIdleCPU:
		w.lowSince, w.sat = time.Time{}, false
	default:
		w.lowSince = time.Time{} // between the thresholds: not newly saturating, not recovered
	}
}

// cpuHeld reports whether new calls are held back from the node for want
// of CPU (never for a node that is also the SUT).
func (n *node) cpuHeld() bool { return n.cpu.sat && !n.SUT }

// minIdle is the lowest idle CPU the node reported, by heartbeat or
// status poll; -1 when it reported none.
func (n *node) minIdle() float64 {
	if n.cpu.polled && (n.minIdleCPU < 0 || n.cpu.lowest < n.minIdleCPU) {
		return n.cpu.lowest
	}
	return n.minIdleCPU
}
