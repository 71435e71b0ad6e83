package report

import (
	"math"
	"time"

	"github.com/callplan/callplan/metrics"
)

// pacing is the table of each stage's delivered load: the arrivals the
// plan asked for, those offered to the nodes, those sent, those missed
// (not sent within a second of their due time, or not before the stage's
// end), how late arrivals were sent, and which side held the load back
// (metrics/pacing.go). A stage that was not on time gets a line saying
// why under the table.
func (t *tableWriter) pacing(r *Results) {
	s := &r.Summary
	var rows [][]string
	var notes []string
	for _, name := range stageNames(s) {
		g := s.Stages[name]
		p, judged := s.Pacing[name]
		bottleneck := "-"
		if judged {
			bottleneck = string(p.Bottleneck)
			if p.Bottleneck != metrics.BottleneckNone && p.Why != "" {
				notes = append(notes, "stage "+name+": "+string(p.Bottleneck)+" held the load back: "+p.Why)
			}
		}
		rows = append(rows, []string{name, plannedText(r.Plan, name), count(g.Offered), count(g.Calls), count(g.Missed),
			ms(g.PacingLag.P50, g.PacingLag.Count), ms(g.PacingLag.P95, g.PacingLag.Count), ms(g.PacingLag.Max, g.PacingLag.Count), bottleneck})
	}
	if len(s.Pacing) == 0 {
		return // a run from before pacing was judged: nothing to say
	}
	t.table("Pacing by stage (lag in ms)", []string{"stage", "planned", "offered", "sent", "missed", "lag p50", "lag p95", "lag max", "bottleneck"}, rows, 8)
	for _, n := range notes {
		t.printf("%s\n", n)
	}
}

// planned is the number of arrivals the plan asks of a stage: its rate
// integrated over its duration, (from + to) / 2 × duration, rounded up as
// the pacer rounds (its arrival k is due when the integral reaches k).
func plannedText(p PlanInfo, stage string) string {
	for _, s := range p.Stages {
		if s.Name == stage {
			n := (s.RateFrom + s.RateTo) / 2 * time.Duration(s.Duration).Seconds()
			return count(int64(math.Ceil(n - 1e-9)))
		}
	}
	return "-"
}
