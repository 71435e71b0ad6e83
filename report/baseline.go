package report

import (
	"fmt"
	"math"
	"time"

	"github.com/callplan/callplan/metrics"
)

// Comparison is a run held against a baseline run.
type Comparison struct {
	// Run is the baseline's run id; Tolerance the relative change allowed
	// before a metric counts as regressed (0.1 is 10%).
	Run       string  `json:"run"`
	Tolerance float64 `json:"tolerance"`
	Deltas    []Delta `json:"deltas"`
}

// Delta is one metric in both runs.
type Delta struct {
	Metric string  `json:"metric"`
	Old    float64 `json:"old"`
	New    float64 `json:"new"`
	// Change is (new - old) / old; 0 when both are 0, ±Inf when only old is.
	Change     float64 `json:"-"`
	ChangeText string  `json:"change"`
	OldText    string  `json:"old_text"`
	NewText    string  `json:"new_text"`
	Regressed  bool    `json:"regressed"`
}

// Regressed reports whether any metric regressed.
func (c *Comparison) Regressed() bool {
	if c == nil {
		return false
	}
	for _, d := range c.Deltas {
		if d.Regressed {
			return true
		}
	}
	return false
}

// compared is a metric a baseline comparison checks, and which way is
// worse.
type compared struct {
	name        string
	get         func(metrics.Group) float64
	higherWorse bool
	latency     bool
}

func latencyMs(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// comparedMetrics are the figures a regression is judged on: the quality
// ratios and the latency tails. Counts are left out: they follow the plan's
// load, not the SUT's quality.
var comparedMetrics = []compared{
	{"asr", func(g metrics.Group) float64 { return g.ASR }, false, false},
	{"success", func(g metrics.Group) float64 { return g.Success }, false, false},
	{"pdd.p95", func(g metrics.Group) float64 { return latencyMs(g.PDD.P95) }, true, true},
	{"pdd.p99", func(g metrics.Group) float64 { return latencyMs(g.PDD.P99) }, true, true},
	{"setup_latency.p95", func(g metrics.Group) float64 { return latencyMs(g.SetupLatency.P95) }, true, true},
	{"answer_latency.p95", func(g metrics.Group) float64 { return latencyMs(g.AnswerLatency.P95) }, true, true},
}

// Compare holds r against base: a metric regresses when it moved the
// worse way by more than tolerance relative to the baseline (ratios:
// new < old × (1 − tolerance); latencies: new > old × (1 + tolerance)). A
// latency absent from either run (no calls had the interval) is shown but
// not judged.
func Compare(base, r *Results, tolerance float64) *Comparison {
	c := &Comparison{Run: base.Summary.Run, Tolerance: tolerance}
	for _, m := range comparedMetrics {
		old, cur := m.get(base.Summary.Group), m.get(r.Summary.Group)
		d := Delta{Metric: m.name, Old: old, New: cur}
		switch {
		case old == cur:
			d.Change = 0
		case old == 0:
			d.Change = math.Inf(1)
			if cur < 0 {
				d.Change = math.Inf(-1)
			}
		default:
			d.Change = (cur - old) / old
		}
		text := func(v float64) string {
			if m.latency {
				return fmt.Sprintf("%.1fms", v)
			}
			return pct(v)
		}
		d.OldText, d.NewText = text(old), text(cur)
		d.ChangeText = changeText(d.Change)
		judged := !m.latency || (old > 0 && cur > 0)
		if judged {
			if m.higherWorse {
				d.Regressed = cur > old*(1+tolerance)
			} else {
				d.Regressed = cur < old*(1-tolerance)
			}
		}
		c.Deltas = append(c.Deltas, d)
	}
	return c
}

func changeText(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "new"
	case math.IsInf(f, -1):
		return "gone"
	}
	return fmt.Sprintf("%+.1f%%", f*100)
}
