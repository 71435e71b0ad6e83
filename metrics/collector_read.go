package metrics

// Reading a Collector's figures out: the seconds so far, the summary at any
// time, and the final summary when the run ends.

// Seconds returns the sealed seconds of the time series so far (a copy),
// oldest first, each with its per-flow and per-node breakdown
// (Second.Flows, Nodes; the maps are shared with the collector and must
// not be modified). The latest are single seconds; in a run longer than a
// few minutes the older ones are buckets of Span seconds (tiers.go).
func (c *Collector) Seconds() []Second {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.series.all()
}

// Summary returns the figures as of now. While the run is going the
// erlangs and spans run up to now; after Close they are fixed.
func (c *Collector) Summary() Summary {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock()
	live := c.closedAt.IsZero()
	if !live {
		now = c.closedAt
	} else {
		c.roll(now)
	}
	s := Summary{
		Run: c.run, Plan: c.plan, Started: c.start, Elapsed: now.Sub(c.start),
		Group:       c.all.snapshot(now, live),
		Stages:      make(map[string]Group, len(c.stages)),
		Flows:       make(map[string]Group, len(c.flows)),
		Nodes:       make(map[string]Group, len(c.nodes)),
		StageOrder:  append([]string(nil), c.stageOrder...),
		Generators:  make(map[string]Generator, len(c.gens)),
		Interrupted: c.interrupted,
		Clocks:      c.clocks.Clocks(),
		Pacing:      c.pacingCopy(),
	}
	for k, a := range c.stages {
		s.Stages[k] = a.snapshot(now, live)
	}
	for k, a := range c.flows {
		s.Flows[k] = a.snapshot(now, live)
	}
	for k, a := range c.nodes {
		s.Nodes[k] = a.snapshot(now, live)
	}
	for _, k := range sortedKeys(c.gens) {
		g := c.gens[k]
		g.Notes = append([]string(nil), g.Notes...)
		s.Generators[k] = g
	}
	c.dist.fill(&s)
	return s
}

// Close seals the last (partial) second, writes it, and fixes the summary's
// end time. Calls still active stay counted as active. It does not close
// the CDR writer, which the caller owns.
func (c *Collector) Close() (Summary, error) {
	c.mu.Lock()
	if c.closedAt.IsZero() {
		now := c.clock()
		c.roll(now)
		c.seal()
		c.closedAt = now
	}
	err := c.err
	c.mu.Unlock()
	return c.Summary(), err
}
