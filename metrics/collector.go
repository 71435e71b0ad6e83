package metrics

import (
	"encoding/csv"
	"fmt"
	"io"
	"sync"
	"time"
)

// Collector turns what the runner observes into metrics: it counts
// arrivals and originates as they happen, takes each call's Record when the
// call ends (writing it to the CDR), keeps the per-second time series, and
// produces a Summary at any time. It is safe for concurrent use.
//
// Memory stays flat as calls accumulate: an ended call leaves only counter
// increments and histogram counts behind. Nor does it grow with the run's
// length: the per-second series keeps its latest seconds one by one and
// merges older ones into a bounded number of buckets (tiers.go).
type Collector struct {
	mu    sync.Mutex
	clock func() time.Time
	run   string
	plan  string
	start time.Time

	all                  *groupAcc
	stages, flows, nodes map[string]*groupAcc
	stageOrder           []string
	stage                string

	cur    *openSecond
	series tiers // the sealed seconds, bounded (tiers.go)
	active int64
	areaAt time.Time
	// flowActive and nodeActive are the calls in progress per flow and
	// per caller node, for the per-flow and per-node seconds.
	flowActive, nodeActive map[string]int64

	cdr *CDRWriter
	ts  *csv.Writer

	dist distribution // calls per callee node (distribution.go)

	gens        map[string]Generator
	clocks      *ClockBook
	pacing      map[string]StagePacing
	interrupted bool
	closedAt    time.Time
	err         error // first write error; later writes are skipped
}

// Option configures a Collector.
type Option func(*Collector)

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(c *Collector) { c.clock = now } }

// WithCDR streams every ended call's record to w.
func WithCDR(w *CDRWriter) Option { return func(c *Collector) { c.cdr = w } }

// WithTimeSeries writes timeseries.csv rows to w, one per second as the
// second ends. The caller flushes nothing: each row is flushed as written.
func WithTimeSeries(w io.Writer) Option {
	return func(c *Collector) { c.ts = csv.NewWriter(w) }
}

// NewCollector starts collecting for run (its id) of plan (its name). The
// run's clock starts now.
func NewCollector(run, plan string, opts ...Option) *Collector {
	c := &Collector{
		clock: time.Now, run: run, plan: plan,
		all:    newGroupAcc(),
		stages: map[string]*groupAcc{}, flows: map[string]*groupAcc{}, nodes: map[string]*groupAcc{},
		gens:       map[string]Generator{},
		clocks:     NewClockBook(),
		flowActive: map[string]int64{}, nodeActive: map[string]int64{},
		dist: newDistribution(), series: newTiers(),
	}
	for _, o := range opts {
		o(c)
	}
	c.start = c.clock()
	c.areaAt = c.start
	c.cur = newOpenSecond(0, "", 0)
	if c.ts != nil {
		c.writeTS(timeseriesHeader)
	}
	return c
}

// Start is when the run's clock started.
func (c *Collector) Start() time.Time { return c.start }

// Err returns the first error writing the CDR or the time series.
func (c *Collector) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *Collector) writeTS(row []string) {
	if c.err != nil {
		return
	}
	if err := c.ts.Write(row); err != nil {
		c.err = fmt.Errorf("writing time series: %w", err)
		return
	}
	c.ts.Flush()
	if err := c.ts.Error(); err != nil {
		c.err = fmt.Errorf("writing time series: %w", err)
	}
}

// roll brings the open second up to now, sealing every second that has
// ended, and integrates active calls into erlangs.
func (c *Collector) roll(now time.Time) {
	if !c.closedAt.IsZero() {
		return
	}
	idx := int(now.Sub(c.start) / time.Second)
	for c.cur.s.Index < idx {
		boundary := c.start.Add(time.Duration(c.cur.s.Index+1) * time.Second)
		c.integrate(boundary)
		c.seal()
		c.cur = newOpenSecond(c.cur.s.Index+1, c.stage, c.active)
		c.openSubs()
	}
	c.integrate(now)
}

func (c *Collector) integrate(now time.Time) {
	if now.After(c.areaAt) {
		dt := now.Sub(c.areaAt).Seconds()
		c.cur.s.Erlangs += float64(c.active) * dt
		for k, a := range c.flowActive {
			if a > 0 {
				c.flow(k).s.Erlangs += float64(a) * dt
			}
		}
		for k, a := range c.nodeActive {
			if a > 0 {
				c.node(k).s.Erlangs += float64(a) * dt
			}
		}
		c.areaAt = now
	}
}

// openSubs starts the new second's buckets of the flows and nodes with
// calls in progress; the others get one when something happens in them.
func (c *Collector) openSubs() {
	for k, a := range c.flowActive {
		if a > 0 {
			c.flow(k)
		}
	}
	for k, a := range c.nodeActive {
		if a > 0 {
			c.node(k)
		}
	}
}

// flow and node are the open second's buckets of a flow and a caller node
// (nil for an empty name).
func (c *Collector) flow(name string) *openSecond {
	return c.cur.sub(&c.cur.flows, name, c.flowActive[name])
}

func (c *Collector) node(name string) *openSecond {
	return c.cur.sub(&c.cur.nodes, name, c.nodeActive[name])
}

func (c *Collector) seal() {
	c.cur.s.Active = c.active
	for k, b := range c.cur.flows {
		b.s.Active = c.flowActive[k]
	}
	for k, b := range c.cur.nodes {
		b.s.Active = c.nodeActive[k]
	}
	s := c.cur.seal()
	if err := c.dist.seal(&s); err != nil && c.err == nil {
		c.err = err
	}
	c.series.add(s)
	if c.ts != nil {
		c.writeTS(s.row())
	}
}

// groups returns the accumulators a call belongs to, in buf; empty names
// are skipped (an arrival has no node yet). The caller's array keeps the
// list off the heap: it was built three times a call (arrival, originate,
// end), three of the collector's few allocations per call.
func (c *Collector) groups(buf *[4]*groupAcc, stage, flow, node string) []*groupAcc {
	gs := append(buf[:0], c.all)
	for _, x := range [...]struct {
		m map[string]*groupAcc
		k string
	}{{c.stages, stage}, {c.flows, flow}, {c.nodes, node}} {
		if x.k == "" {
			continue
		}
		a, ok := x.m[x.k]
		if !ok {
			a = newGroupAcc()
			x.m[x.k] = a
		}
		gs = append(gs, a)
	}
	return gs
}

// SetStage records that stage name has begun; time series rows from now on
// carry its name.
func (c *Collector) SetStage(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.roll(c.clock())
	c.stage = name
	c.cur.s.Stage = name
	for _, s := range c.stageOrder {
		if s == name {
			return
		}
	}
	c.stageOrder = append(c.stageOrder, name)
	if _, ok := c.stages[name]; !ok {
		c.stages[name] = newGroupAcc()
	}
}

// Offered counts one arrival from the pacer.
func (c *Collector) Offered(stage, flow string) {
	c.arrival(stage, flow, func(s *Second) { s.Offered++ }, func(g *Group) { g.Offered++ })
}

// Dropped counts an arrival not originated because the concurrency limit
// was reached.
func (c *Collector) Dropped(stage, flow string) {
	c.arrival(stage, flow, func(s *Second) { s.Dropped++ }, func(g *Group) { g.Dropped++ })
}

// Throttled counts an arrival not originated because no node could take it
// (all saturated or at max sessions).
func (c *Collector) Throttled(stage, flow string) {
	c.arrival(stage, flow, func(s *Second) { s.Throttled++ }, func(g *Group) { g.Throttled++ })
}

// arrival counts one arrival in the current second (count) and in the run's,
// the stage's and the flow's groups (countGroup). An arrival has no node and
// no call yet, so it moves no span, active count or call-seconds integral.
func (c *Collector) arrival(stage, flow string, count func(*Second), countGroup func(*Group)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.roll(c.clock())
	count(&c.cur.s)
	if f := c.flow(flow); f != nil {
		count(&f.s)
	}
	var buf [4]*groupAcc
	for _, g := range c.groups(&buf, stage, flow, "") {
		countGroup(&g.g)
	}
}

// Originated counts an originate sent to node; the call is active until
// its record arrives through End.
func (c *Collector) Originated(stage, flow, node string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock()
	c.roll(now)
	c.cur.s.Calls++
	c.active++
	c.cur.s.MaxActive = max(c.cur.s.MaxActive, c.active)
	if flow != "" {
		c.flowActive[flow]++
		f := c.flow(flow)
		f.s.Calls++
		f.s.MaxActive = max(f.s.MaxActive, c.flowActive[flow])
	}
	if node != "" {
		c.nodeActive[node]++
		n := c.node(node)
		n.s.Calls++
		n.s.MaxActive = max(n.s.MaxActive, c.nodeActive[node])
	}
	var buf [4]*groupAcc
	for _, g := range c.groups(&buf, stage, flow, node) {
		g.originated(now)
	}
}

// Answered counts a caller answer in the time series at the moment it
// happens (the run's summary counts it from the record), for the run only;
// AnsweredIn also counts it for its flow and caller node.
func (c *Collector) Answered() { c.AnsweredIn("", "") }

// AnsweredIn counts a caller answer of a call of flow placed on caller node
// node (either may be empty) in the time series at the moment it happens.
func (c *Collector) AnsweredIn(flow, node string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.roll(c.clock())
	c.cur.s.Answered++
	if f := c.flow(flow); f != nil {
		f.s.Answered++
	}
	if n := c.node(node); n != nil {
		n.s.Answered++
	}
}

// End takes a finished call's record: it is written to the CDR and folded
// into the counters and histograms, then forgotten. Every originated call
// must end exactly once.
func (c *Collector) End(r *Record) error {
	c.clocks.assign(r)
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock()
	c.roll(now)
	if c.active > 0 {
		c.active--
	}
	c.cur.ended(r)
	if f := c.flow(r.Flow); f != nil {
		if c.flowActive[r.Flow] > 0 {
			c.flowActive[r.Flow]--
		}
		f.ended(r)
	}
	if n := c.node(r.CallerNode); n != nil {
		if c.nodeActive[r.CallerNode] > 0 {
			c.nodeActive[r.CallerNode]--
		}
		n.ended(r)
	}
	var buf [4]*groupAcc
	for _, g := range c.groups(&buf, r.Stage, r.Flow, r.CallerNode) {
		g.ended(now, r)
	}
	if f := c.flows[r.Flow]; f != nil {
		f.figures = f.figures.add(r)
	}
	c.dist.ended(r)
	if c.cdr != nil && c.err == nil {
		if err := c.cdr.Write(r); err != nil {
			c.err = err
		}
	}
	return c.err
}

// Clocks is the book of the nodes' event clocks: the runner observes every
// event in it, and End measures each record on the clock it says.
func (c *Collector) Clocks() *ClockBook { return c.clocks }

// Tick seals the seconds that have ended; the runner calls it about once a
// second so timeseries.csv keeps up when no call events arrive.
func (c *Collector) Tick() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.roll(c.clock())
}

// SetGenerator records a generator node's health.
func (c *Collector) SetGenerator(node string, g Generator) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gens[node] = g
}

// SetInterrupted marks the run as stopped by the user.
func (c *Collector) SetInterrupted() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.interrupted = true
}
