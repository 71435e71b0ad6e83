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
	// Warnings say why the two runs may not be comparable (they ran
	// different plans, or the same plan with different stages).
	Warnings []string `json:"warnings,omitempty"`
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
	// Floor is the smallest absolute change, in the metric's unit (ms,
	// a ratio, or MOS points), that can count as a regression.
	Floor float64 `json:"floor"`
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
	// media: an audio-quality figure, shown only when a run had media and
	// judged only when both did (a run without media reads 0).
	media bool
	// format writes a value; nil: a latency in ms, else a percentage.
	format func(float64) string
	// floor is the default absolute floor (DefaultFloors).
	floor float64
}

func latencyMs(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// comparedMetrics are the figures a regression is judged on: the quality
// ratios and the latency tails. Counts are left out: they follow the plan's
// load, not the SUT's quality.
//
// Each has an absolute floor: a relative change alone turns noise on a
// small figure into a regression (+21% on a 0.8 ms PDD is 0.17 ms). The
// latency floors are 20 ms, the step real FreeSWITCH stamps events in with
// its default timer (docs/freeswitch.md): a smaller change cannot be
// told from clock granularity. ASR and success allow half a percentage
// point, one call in two hundred. MOS allows 0.1 (the E-model moves that
// much between 0 and 0.5 % loss on G.711), loss half a percentage point.
var comparedMetrics = []compared{
	{name: "asr", get: func(g metrics.Group) float64 { return g.ASR }, floor: 0.005},
	{name: "success", get: func(g metrics.Group) float64 { return g.Success }, floor: 0.005},
	{name: "pdd.p95", get: func(g metrics.Group) float64 { return latencyMs(g.PDD.P95) }, higherWorse: true, latency: true, floor: 20},
	{name: "pdd.p99", get: func(g metrics.Group) float64 { return latencyMs(g.PDD.P99) }, higherWorse: true, latency: true, floor: 20},
	{name: "setup_latency.p95", get: func(g metrics.Group) float64 { return latencyMs(g.SetupLatency.P95) }, higherWorse: true, latency: true, floor: 20},
	{name: "answer_latency.p95", get: func(g metrics.Group) float64 { return latencyMs(g.AnswerLatency.P95) }, higherWorse: true, latency: true, floor: 20},
	{name: "mos.p5", get: func(g metrics.Group) float64 { return g.MOS.P5 }, media: true, format: f2, floor: 0.1},
	{name: "loss.p95", get: func(g metrics.Group) float64 { return g.Loss.P95 }, higherWorse: true, media: true, format: func(v float64) string { return pct2(v) + "%" }, floor: 0.005},
}

// DefaultFloors are the absolute floors by metric name: ms for latencies,
// a ratio for asr, success and loss, MOS points for mos.
func DefaultFloors() map[string]float64 {
	out := make(map[string]float64, len(comparedMetrics))
	for _, m := range comparedMetrics {
		out[m.name] = m.floor
	}
	return out
}

// ComparedMetrics names the metrics a comparison judges, in order.
func ComparedMetrics() []string {
	out := make([]string, len(comparedMetrics))
	for i, m := range comparedMetrics {
		out[i] = m.name
	}
	return out
}

// Compare is CompareFloors with DefaultFloors.
func Compare(base, r *Results, tolerance float64) *Comparison {
	return CompareFloors(base, r, tolerance, nil)
}

// CompareFloors holds r against base: a metric regresses when it moved
// the worse way by more than tolerance relative to the baseline (ratios:
// new < old × (1 − tolerance); latencies: new > old × (1 + tolerance)) and
// by more than its absolute floor. floors overrides DefaultFloors by
// metric name. A latency absent from either run (no calls had the
// interval) is shown but not judged.
func CompareFloors(base, r *Results, tolerance float64, floors map[string]float64) *Comparison {
	c := &Comparison{Run: base.Summary.Run, Tolerance: tolerance, Warnings: planWarnings(base, r)}
	for _, m := range comparedMetrics {
		baseMedia, curMedia := base.Summary.MOS.Count > 0, r.Summary.MOS.Count > 0
		if m.media && !baseMedia && !curMedia {
			continue
		}
		floor := m.floor
		if f, ok := floors[m.name]; ok {
			floor = f
		}
		old, cur := m.get(base.Summary.Group), m.get(r.Summary.Group)
		d := Delta{Metric: m.name, Old: old, New: cur, Floor: floor}
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
			switch {
			case m.format != nil:
				return m.format(v)
			case m.latency:
				return fmt.Sprintf("%.1fms", v)
			}
			return pct(v)
		}
		d.OldText, d.NewText = text(old), text(cur)
		d.ChangeText = changeText(d.Change)
		judged := !m.latency || (old > 0 && cur > 0)
		if m.media {
			judged = baseMedia && curMedia
		}
		if judged {
			if m.higherWorse {
				d.Regressed = cur > old*(1+tolerance) && cur-old > floor
			} else {
				d.Regressed = cur < old*(1-tolerance) && old-cur > floor
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

// planWarnings says when base and r did not run the same plan: a
// comparison of different loads or different flows says little about the
// SUT.
func planWarnings(base, r *Results) []string {
	var out []string
	bp, rp := base.Plan, r.Plan
	if bp.Name != rp.Name {
		out = append(out, fmt.Sprintf("the runs come from different plans: baseline %q, this run %q", bp.Name, rp.Name))
	} else if !sameStages(bp.Stages, rp.Stages) {
		out = append(out, fmt.Sprintf("plan %q had different stages in the baseline run: the loads differ", rp.Name))
	}
	return out
}

func sameStages(a, b []StageInfo) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
