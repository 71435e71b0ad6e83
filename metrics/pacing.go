package metrics

import (
	"maps"
	"time"
)

// A stage keeps its time. The runner's pacer says when each arrival of a
// stage is due; when the runner is behind (a stall, a host short of CPU)
// it sends late arrivals a little late, and counts as missed those it
// could not send within MissAfter of their due time, and every arrival
// still unsent when its stage ends: a stage is never stretched by catching
// up after its end, and a plan that asked for 150 calls/s for 20 s never
// silently gets 3 000 calls over 25 s. The lag of every arrival sent is
// recorded, per stage and for the run.

// MissAfter is how late an arrival may be sent before it is counted
// missed instead.
const MissAfter = time.Second

// LagBound is the pacing lag (p95 over a stage) beyond which a stage is
// judged late even when nothing was missed.
const LagBound = 50 * time.Millisecond

// Bottleneck says which side held a stage's load back.
type Bottleneck string

// Bottlenecks.
const (
	BottleneckNone   Bottleneck = "none"   // on time, nothing held back
	BottleneckRunner Bottleneck = "runner" // pacing lagged while the nodes had capacity: the runner (its host) is short
	BottleneckNode   Bottleneck = "node"   // arrivals were held back because nodes were saturated or full
	BottleneckBoth   Bottleneck = "runner and node"
)

// StagePacing is the verdict on one stage's pacing.
type StagePacing struct {
	Bottleneck Bottleneck `json:"bottleneck"`
	// Why says what the verdict rests on, in words.
	Why string `json:"why,omitempty"`
}

// Missed counts n arrivals of stage not sent (see MissAfter).
func (c *Collector) Missed(stage string, n int64) {
	if n <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.roll(c.clock())
	c.cur.s.Missed += n
	var buf [4]*groupAcc
	for _, g := range c.groups(&buf, stage, "", "") {
		g.g.Missed += n
	}
}

// PacingLag records how late an arrival of stage was sent after its due
// time.
func (c *Collector) PacingLag(stage string, lag time.Duration) {
	lag = max(lag, time.Microsecond)
	c.mu.Lock()
	defer c.mu.Unlock()
	// Every arrival passes here: the run's and the stage's histograms are
	// found without groups(), which looks up the flow and node maps too.
	c.all.lag.add(lag)
	if a, ok := c.stages[stage]; ok {
		a.lag.add(lag)
	} else if stage != "" {
		a = newGroupAcc()
		a.lag.add(lag)
		c.stages[stage] = a
	}
}

// SetPacing records the verdict on a stage's pacing.
func (c *Collector) SetPacing(stage string, p StagePacing) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pacing == nil {
		c.pacing = map[string]StagePacing{}
	}
	c.pacing[stage] = p
}

func (c *Collector) pacingCopy() map[string]StagePacing { return maps.Clone(c.pacing) }
