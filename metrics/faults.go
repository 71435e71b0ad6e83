package metrics

import "time"

// FaultMark is a fault a plan injected into a node during the run, placed
// on the run's time axis so reports can mark it where the figures it
// explains are.
type FaultMark struct {
	// At is when it was applied, since the run started (the time
	// series' second 0).
	At time.Duration `json:"at"`
	// Second is the time series second At falls in.
	Second int    `json:"second"`
	Node   string `json:"node"`
	// Action is the plan's fault action: stop, start, reject, blackhole,
	// slow or heal.
	Action string `json:"action"`
	// Detail is the action's parameter as text ("503", "2s"), if any.
	Detail string `json:"detail,omitempty"`
	// Error says why the fault could not be applied, if it could not.
	Error string `json:"error,omitempty"`
}

// MarkFault records a fault applied now to node.
func (c *Collector) MarkFault(node, action, detail string, err error) FaultMark {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock()
	c.roll(now)
	m := FaultMark{At: now.Sub(c.start), Node: node, Action: action, Detail: detail}
	m.Second = int(m.At / time.Second)
	if err != nil {
		m.Error = err.Error()
	}
	c.dist.faults = append(c.dist.faults, m)
	return m
}
