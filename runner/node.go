package runner

import (
	"fmt"
	"time"

	"github.com/callplan/callplan/metrics"
)

// NodeSpec is one generator node as the runner is given it.
type NodeSpec struct {
	Name   string
	Driver Driver
	// MaxSessions caps this run's live legs on the node; 0 takes the
	// node's own Max-Sessions (preflight `status`, then HEARTBEAT).
	MaxSessions int
	// Weight is the node's share under the weighted policy.
	Weight int
	// Caller / Callee say whether the node originates calls and whether
	// calls come back to it.
	Caller, Callee bool
	// SIPHost and SIPPort are where the node's SIP profile listens, for
	// the destination template.
	SIPHost string
	SIPPort int
	// OneLeg says the node's calls have only the caller leg (a cloud
	// calls API: the far end is not a node): no callee leg is awaited, and
	// the flow judges the call unless its originate failed.
	OneLeg bool
	// SUT marks a node that is also the system under test (cpusat.go).
	SUT bool
	// InProcess marks an agent running inside the runner's own process
	// (the embedded node): the idle CPU it reports is that of the host the
	// runner shares with everything else, so it alone does not flag the
	// node saturated; a starved runner host shows as pacing lag instead.
	InProcess bool
}

// Guard sets the overdrive guard's limits (see docs/load-model.md). A node
// crossing any of them is flagged saturated and gets no new calls until it
// is back under half of each.
type Guard struct {
	// MaxPending is the most originates sent to a node that have neither
	// created their caller channel nor returned a result.
	MaxPending int
	// MaxReplyLatency bounds the smoothed time a command takes to be
	// acknowledged (an originate's own reply, leg actions' replies).
	MaxReplyLatency time.Duration
	// MaxCreateLatency bounds the smoothed time from sending an originate
	// to the caller leg's EventCreated.
	MaxCreateLatency time.Duration
	// MinIdleCPU is the lowest Idle-CPU (percent) a heartbeat may report.
	MinIdleCPU float64
	// MinPending is how many originates must be pending before latency
	// or Idle-CPU can trip the guard: a slow reply while the node has
	// almost nothing outstanding means a busy host, not a node we are
	// overdriving (at 2 calls/s on a loaded CI machine, say).
	MinPending int
}

// DefaultGuard is tuned from real FreeSWITCH on a 2-core machine: it
// sustains about 90 loop calls/s; at about 110/s replies and set-up stretch
// to seconds and it does not recover. These limits trip well before that.
var DefaultGuard = Guard{
	MaxPending:       200,
	MaxReplyLatency:  500 * time.Millisecond,
	MaxCreateLatency: time.Second,
	MinIdleCPU:       2,
	MinPending:       10,
}

// node is the runner's view of one generator during a run. Guarded by the
// engine's mutex.
type node struct {
	NodeSpec
	index int
	up    bool

	legs    int // this run's live legs on the node, plus reservations
	pending int // originates sent without a caller CREATE or job result yet

	reply, create ewma
	cpu           cpuWatch // idle CPU saturation (cpusat.go)

	idleCPU    float64 // last heartbeat; -1 before any
	minIdleCPU float64
	hbSessions int
	hbOwn      int // this run's legs on the node when its last heartbeat came (balance.go)
	hbMax      int

	saturated, saturatedEver, atMaxEver bool
	refusedUntil                        time.Time // held back after refusing a leg
	cpuNoted                            bool
	disconnects                         int64
	notes                               []string
}

func newNode(i int, s NodeSpec) *node {
	return &node{NodeSpec: s, index: i, up: true, idleCPU: -1, minIdleCPU: -1}
}

// ewma is an exponentially weighted moving average of a latency.
type ewma struct {
	v    float64 // seconds
	set  bool
	last time.Time // when the last sample came
}

func (e *ewma) add(d time.Duration) {
	e.last = time.Now()
	x := d.Seconds()
	if !e.set {
		e.v, e.set = x, true
		return
	}
	e.v = 0.8*e.v + 0.2*x
}

func (e *ewma) dur() time.Duration { return time.Duration(e.v * float64(time.Second)) }

// decay halves a latency that has had no sample for a second. A throttled
// node gets no new calls and so no new samples; without this, one slow
// spell would hold it back for the rest of the run.
func (e *ewma) decay(now time.Time) {
	if e.set && now.Sub(e.last) >= time.Second {
		e.v /= 2
	}
}

// tick re-evaluates the guard once a second, with stale latencies decayed.
func (n *node) tick(now time.Time, g Guard) {
	n.reply.decay(now)
	n.create.decay(now)
	n.checkGuard(g)
}

// capacity is the node's session cap for this run, 0 when unknown.
func (n *node) capacity() int {
	if n.MaxSessions > 0 {
		return n.MaxSessions
	}
	return n.hbMax
}

// legsPerCall is how many legs a call reserves on its caller node: two
// when calls may loop back to it.
func (n *node) legsPerCall() int {
	if n.Callee {
		return 2
	}
	return 1
}

// canTake reports whether the node may originate one more call, and if
// not, whether that is because it is full (as opposed to down/saturated).
func (n *node) canTake() (ok, full bool) {
	if !n.up || !n.Caller || n.saturated || n.cpuHeld() {
		return false, false
	}
	if c := n.capacity(); c > 0 && n.legs+n.legsPerCall() > c {
		return false, true
	}
	return true, false
}

// heartbeat takes a heartbeat's figures; unknown ones leave the last.
func (n *node) heartbeat(h Health) {
	if h.IdleCPU >= 0 {
		n.idleCPU = h.IdleCPU
		if n.minIdleCPU < 0 || h.IdleCPU < n.minIdleCPU {
			n.minIdleCPU = h.IdleCPU
		}
	}
	if h.Sessions >= 0 {
		n.hbSessions = h.Sessions
		n.hbOwn = n.legs
	}
	if h.MaxSessions > 0 {
		n.hbMax = h.MaxSessions
		if n.hbSessions >= h.MaxSessions && !n.atMaxEver {
			n.atMaxEver = true
			n.note("Session-Count reached Max-Sessions (%d)", h.MaxSessions)
		}
	}
}

// load is the least_loaded policy's figure: this run's legs now plus what
// else the node carries according to its last heartbeat (balance.go).
func (n *node) load() int {
	return n.legs + n.foreign()
}

// checkGuard updates the saturated flag from the node's figures. Pending
// originates trip it alone; reply latency and create latency trip it when
// at least MinPending originates are outstanding (the node is falling
// behind our load, not merely on a busy host). Low
// Idle-CPU trips it only together with latency past half its limit: on a
// shared host (CI, or the embedded agent beside the runner) the CPU can be
// busy with other work while the node still answers promptly, and holding
// calls back then would distort the load for nothing. Low Idle-CPU alone is
// noted in the node's health.
func (n *node) checkGuard(g Guard) {
	cpuLow := g.MinIdleCPU > 0 && n.idleCPU >= 0 && n.idleCPU < g.MinIdleCPU
	slowish := g.MaxReplyLatency > 0 && n.reply.dur() > g.MaxReplyLatency/2 ||
		g.MaxCreateLatency > 0 && n.create.dur() > g.MaxCreateLatency/2
	if cpuLow && !n.cpuNoted {
		n.cpuNoted = true
		n.note("Idle-CPU fell to %.1f%%", n.idleCPU)
	}
	loaded := n.pending >= g.MinPending
	over := g.MaxPending > 0 && n.pending > g.MaxPending ||
		loaded && g.MaxReplyLatency > 0 && n.reply.dur() > g.MaxReplyLatency ||
		loaded && g.MaxCreateLatency > 0 && n.create.dur() > g.MaxCreateLatency ||
		loaded && cpuLow && slowish
	under := (g.MaxPending <= 0 || n.pending <= g.MaxPending/2) && !slowish &&
		time.Now().After(n.refusedUntil)
	switch {
	case !n.saturated && over:
		n.saturated = true
		if !n.saturatedEver {
			n.note("saturated: pending originates %d, reply latency %v, create latency %v, idle CPU %.1f%%; new calls held back",
				n.pending, n.reply.dur().Round(time.Millisecond), n.create.dur().Round(time.Millisecond), n.idleCPU)
		}
		n.saturatedEver = true
	case n.saturated && under:
		n.saturated = false
	}
}

// refuse takes a node's refusal to create a leg (-ERR
// DESTINATION_OUT_OF_ORDER before any channel: over its sps or
// max_sessions): it is held back for a second and flagged saturated.
func (n *node) refuse(g Guard) {
	if n.refusedUntil.IsZero() {
		n.note("refused to create legs (-ERR DESTINATION_OUT_OF_ORDER: over its sps or max_sessions limit); new calls held back")
	}
	n.refusedUntil = time.Now().Add(time.Second)
	n.saturated, n.saturatedEver = true, true
	n.checkGuard(g)
}

func (n *node) note(format string, args ...any) {
	if len(n.notes) < 20 {
		n.notes = append(n.notes, fmt.Sprintf(format, args...))
	}
}

// health is the node's generator health for the summary.
func (n *node) health() metrics.Generator {
	return metrics.Generator{
		Saturated:     n.saturatedEver || n.cpu.ever,
		SUT:           n.SUT,
		AtMaxSessions: n.atMaxEver,
		MinIdleCPU:    n.minIdle(),
		Disconnects:   n.disconnects,
		Notes:         append([]string(nil), n.notes...),
	}
}

// selector chooses the node for each call.
type selector struct {
	policy string
	next   int
	wrr    *smoothWRR
}

// Node policies (plan.NodePolicy values).
const (
	PolicyRoundRobin  = "round_robin"
	PolicyWeighted    = "weighted"
	PolicyLeastLoaded = "least_loaded"
)

func newSelector(policy string, nodes []*node) *selector {
	s := &selector{policy: policy}
	if policy == PolicyWeighted {
		w := make([]int, len(nodes))
		for i, n := range nodes {
			w[i] = max(n.Weight, 1)
		}
		s.wrr = newSmoothWRR(w)
	}
	return s
}

// pick returns the node for the next call, or nil when none can take it.
func (s *selector) pick(nodes []*node) *node {
	ok := func(i int) bool { t, _ := nodes[i].canTake(); return t }
	switch s.policy {
	case PolicyWeighted:
		if i := s.wrr.next(ok); i >= 0 {
			return nodes[i]
		}
		return nil
	case PolicyLeastLoaded:
		// Ties go round-robin, so equal nodes share calls evenly.
		var best *node
		s.next++
		for k := range nodes {
			i := (s.next + k) % len(nodes)
			n := nodes[i]
			if !ok(i) {
				continue
			}
			if best == nil || n.load()*max(best.capacity(), 1) < best.load()*max(n.capacity(), 1) {
				best = n
			}
		}
		return best
	default:
		for range nodes {
			i := s.next % len(nodes)
			s.next++
			if ok(i) {
				return nodes[i]
			}
		}
		return nil
	}
}
