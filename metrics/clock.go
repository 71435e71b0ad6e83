package metrics

import (
	"slices"
	"time"
)

// Clock names the clock an interval was measured on. Every interval has
// both ends on one clock (docs/metrics.md says which per metric):
//
//   - node: both ends stamped by the same node, from its events'
//     Event-Date-Timestamp. Exact when the node's clock is fine, but
//     FreeSWITCH with default timer settings stamps events from its
//     cached runtime clock (switch_micro_time_now in src/switch_time.c),
//     which moves once per runtime.microseconds_per_tick, 20 ms by
//     default (src/switch_core.c): intervals come out as multiples of
//     20 ms, most setup latencies as 0.
//   - receipt: both ends stamped by the runner when each event arrived.
//     Fine-grained whatever the node, but it includes the jitter of event
//     delivery (loopback: tens of µs; a busy runner: more).
type Clock string

// Clocks.
const (
	ClockNode    Clock = "node"
	ClockReceipt Clock = "receipt"
)

// CoarseResolution is the step beyond which a node's event timestamps are
// taken as too coarse to measure latencies on ("coarser than about
// 1 ms"): FreeSWITCH's 1ms-timer gives 1 ms steps and is fine; its
// default 20 ms tick is not. Its latencies are then measured on the
// runner's receipt clock.
const CoarseResolution = 1500 * time.Microsecond

// Resolution estimates the step of a clock from timestamps it produced:
// the step of the lattice its distinct values sit on. ok is false when
// the stamps do not say: too few distinct values, or gaps that fit no
// lattice.
//
// A clock that advances in ticks never stamps two events closer than one
// tick apart, so the smallest gap between distinct stamps is its step; a
// fine clock shows gaps of microseconds once events are dense. The
// smallest gap is taken robustly, as the gap at the 2nd percentile, so a
// tick that came early after a stall does not pass for the step. A gap
// of at least CoarseResolution is believed only when at least 70% of all
// gaps lie within 20% of a whole number of steps: a fine clock sampled
// sparsely has gaps that fit a lattice about 40% of the time, a ticking
// clock nearly always. The step is then refined to the median of the gaps
// within one step (jitter of the tick averages out).
func Resolution(stamps []time.Time) (time.Duration, bool) {
	ts := make([]int64, 0, len(stamps))
	for _, t := range stamps {
		if !t.IsZero() {
			ts = append(ts, t.UnixNano())
		}
	}
	slices.Sort(ts)
	ts = slices.Compact(ts)
	if len(ts) < minResolutionStamps {
		return 0, false
	}
	gaps := make([]int64, len(ts)-1)
	for i := range gaps {
		gaps[i] = ts[i+1] - ts[i]
	}
	sorted := slices.Clone(gaps)
	slices.Sort(sorted)
	step := sorted[len(sorted)/50]
	if time.Duration(step) < CoarseResolution {
		return time.Duration(step), true
	}
	var near []int64
	fit := 0
	for _, g := range gaps {
		k := (g + step/2) / step
		if k >= 1 && abs64(g-k*step)*5 <= step {
			fit++
		}
		if k == 1 {
			near = append(near, g)
		}
	}
	if fit*10 < len(gaps)*7 {
		return 0, false
	}
	slices.Sort(near)
	return time.Duration(near[len(near)/2]), true
}

// minResolutionStamps is the fewest distinct stamps Resolution judges.
const minResolutionStamps = 16

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// ClockOffset estimates a node's clock minus the runner's from events the
// node stamped (node[i]) and the runner received (received[i]). An event
// arrives after it happened, and a ticking clock stamps it no later than
// it happened, so node − received is at most the true offset, short of it
// by the delivery delay and the tick's staleness; the largest value over
// many events is the tightest bound (the NTP idea of trusting the fastest
// exchange). ok is false with no pair.
func ClockOffset(node, received []time.Time) (time.Duration, bool) {
	var best time.Duration
	ok := false
	for i := range min(len(node), len(received)) {
		if node[i].IsZero() || received[i].IsZero() {
			continue
		}
		d := node[i].Sub(received[i])
		if !ok || d > best {
			best, ok = d, true
		}
	}
	return best, ok
}
