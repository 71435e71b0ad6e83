package metrics

import (
	"sync"
	"time"
)

// NodeClock is what a run learnt about one node's event clock, from the
// events the runner received from it. The report shows it per node.
type NodeClock struct {
	// Resolution is the step of the node's event timestamps (see
	// Resolution): about 20 ms on FreeSWITCH with default timer settings,
	// 1 ms with 1ms-timer, a microsecond on the agent. 0 while unknown.
	Resolution time.Duration `json:"resolution"`
	// ResolutionKnown is false until the node's events have said (at
	// least 16 distinct stamps that fit a lattice, or a gap finer than
	// CoarseResolution).
	ResolutionKnown bool `json:"resolution_known"`
	// Offset is the node's clock minus the runner's (see ClockOffset):
	// positive when the node's clock is ahead.
	Offset time.Duration `json:"offset"`
	// Events is the number of events observed from the node.
	Events int64 `json:"events"`
	// Latencies is the clock the latencies of calls placed by this node
	// are measured on now: node when its resolution is known and fine,
	// receipt otherwise.
	Latencies Clock `json:"latencies"`
	// NodeCalls and ReceiptCalls count the ended calls placed by this node
	// whose intervals were measured on each clock (a run starts on the
	// receipt clock until the node's resolution is known).
	NodeCalls    int64 `json:"node_calls"`
	ReceiptCalls int64 `json:"receipt_calls"`
}

// Coarse reports whether the node's stamps are known to step by more than
// CoarseResolution.
func (c NodeClock) Coarse() bool { return c.ResolutionKnown && c.Resolution > CoarseResolution }

// clockFor is the clock a node's latencies are measured on: its own only
// when its resolution is known to be fine.
func (c NodeClock) clockFor() Clock {
	if c.ResolutionKnown && !c.Coarse() {
		return ClockNode
	}
	return ClockReceipt
}

// ClockBook learns each node's event clock as the run goes: the runner
// observes every event (the node's stamp and its own receipt time), and
// the collector asks it, as each call ends, which clock that call's
// intervals are measured on. It is safe for concurrent use. Memory is
// bounded: the last clockSamples events per node.
type ClockBook struct {
	mu    sync.Mutex
	nodes map[string]*clockRing
}

// clockSamples is how many recent events per node the estimates read.
const clockSamples = 1024

// clockRecompute is how many new events make the estimate stale: it sorts
// clockSamples stamps, so it is not redone for every event.
const clockRecompute = 64

// clockRecomputeAge is how old (on the runner's receipt clock) a known
// estimate must also be before new events make it stale. A recompute sorts
// 1 024 stamps twice, about 60 µs: every 64 events it was 10 µs of each
// call's CPU at 1 500 calls/s (10 events a call), 1 % of an embedded
// call. A node's step and offset do not change from one 64 events to the
// next, so once known the estimate is redone at most once a second; a
// slow run (under 64 events a second) recomputes as before.
const clockRecomputeAge = time.Second

type clockRing struct {
	stamp, rx    [clockSamples]time.Time
	n            int64 // events observed
	fresh        bool
	computedAt   int64
	computedRx   time.Time // the latest receipt time at computedAt
	est          NodeClock
	nodeCalls    int64
	receiptCalls int64
}

// NewClockBook returns an empty book.
func NewClockBook() *ClockBook { return &ClockBook{nodes: map[string]*clockRing{}} }

func (b *ClockBook) ring(node string) *clockRing {
	r, ok := b.nodes[node]
	if !ok {
		r = &clockRing{}
		b.nodes[node] = r
	}
	return r
}

// Observe records one event of node: stamped at stamp by the node,
// received at received by the runner. Events without a node stamp are
// ignored.
func (b *ClockBook) Observe(node string, stamp, received time.Time) {
	if node == "" || stamp.IsZero() || received.IsZero() {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.ring(node)
	i := r.n % clockSamples
	r.stamp[i], r.rx[i] = stamp, received
	r.n++
}

// clock brings the ring's estimate up to date. Called with b.mu held.
func (r *clockRing) clock() NodeClock {
	// While the resolution is unknown every new event may settle it, and
	// the calls ending meanwhile go on the receipt clock: recompute as soon
	// as there is anything new (the sample is small then).
	var last time.Time
	if r.n > 0 {
		last = r.rx[(r.n-1)%clockSamples]
	}
	stale := r.n-r.computedAt >= clockRecompute && last.Sub(r.computedRx) >= clockRecomputeAge ||
		!r.est.ResolutionKnown && r.n > r.computedAt
	if !r.fresh || stale {
		k := min(r.n, clockSamples)
		res, ok := Resolution(r.stamp[:k])
		off, _ := ClockOffset(r.stamp[:k], r.rx[:k])
		r.est = NodeClock{Resolution: res, ResolutionKnown: ok, Offset: off}
		r.fresh, r.computedAt, r.computedRx = true, r.n, last
	}
	c := r.est
	c.Events, c.NodeCalls, c.ReceiptCalls = r.n, r.nodeCalls, r.receiptCalls
	c.Latencies = c.clockFor()
	return c
}

// Clock is what the book knows of node's clock now.
func (b *ClockBook) Clock(node string) NodeClock {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ring(node).clock()
}

// Clocks is every observed node's clock.
func (b *ClockBook) Clocks() map[string]NodeClock {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]NodeClock, len(b.nodes))
	for k, r := range b.nodes {
		out[k] = r.clock()
	}
	return out
}

// assign sets the clock of an ending record whose clock is not set yet:
// the caller node's, as the book knows it now. A record without receipt
// times (from a driver that has none, or made by hand) keeps the node
// clock, the only one it has.
func (b *ClockBook) assign(r *Record) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ring := b.ring(r.CallerNode)
	if r.Clock == "" {
		r.Clock = ClockNode
		if !r.Received.CallerCreate.IsZero() {
			r.Clock = ring.clock().Latencies
		}
	}
	if r.Clock == ClockReceipt {
		ring.receiptCalls++
	} else {
		ring.nodeCalls++
	}
}
