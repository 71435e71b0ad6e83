package report

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// calleeNodes writes where calls landed: one row per callee node of the
// run (received, answered, failed, share, the most live calls it carried
// in any second), titled with the run's imbalance and each stage's. A run
// whose calls reached no callee node has no table.
func (t *tableWriter) calleeNodes(r *Results) {
	s := &r.Summary
	if len(s.CalleeNodes) == 0 {
		return
	}
	peak := map[string]int64{}
	for i := range r.Seconds {
		for k, b := range r.Seconds[i].Callees {
			peak[k] = max(peak[k], b.MaxActive)
		}
	}
	var rows [][]string
	for _, n := range slices.Sorted(maps.Keys(s.CalleeNodes)) {
		c := s.CalleeNodes[n]
		rows = append(rows, []string{n, count(c.Received), count(c.Answered), count(c.Failed), pct(c.Share), count(peak[n])})
	}
	title := "By callee node: imbalance " + imbalanceText(s.Imbalance)
	var stages []string
	for _, n := range stageNames(s) {
		if g := s.Stages[n]; len(g.CalleeNodes) > 0 {
			stages = append(stages, n+" "+imbalanceText(g.Imbalance))
		}
	}
	if len(stages) > 1 {
		title += " (" + strings.Join(stages, ", ") + ")"
	}
	t.table(title, []string{"callee node", "received", "answered", "failed", "share", "peak live"}, rows)
}

// imbalanceText writes an imbalance with three decimals: 0.05 is a
// typical bound, so two would hide whether it was met.
func imbalanceText(f float64) string { return strconv.FormatFloat(f, 'f', 3, 64) }
