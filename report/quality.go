package report

import (
	"maps"
	"slices"
	"strconv"

	"github.com/callplan/callplan/metrics"
)

// quality is the table of audio quality (MOS, loss, jitter) of the calls
// that had media, each by its worse direction; a run without media has none.
func (t *tableWriter) quality(r *Results) {
	g := r.Summary.Group
	if g.MOS.Count == 0 {
		return
	}
	m, l, j := g.MOS, g.Loss, g.Jitter
	rows := [][]string{
		scoreRow("mos", m, f2),
		scoreRow("loss %", l, pct2),
		{"jitter ms", count(j.Count), ms(j.Min, j.Count), ms(j.P1, j.Count), ms(j.P5, j.Count), ms(j.P50, j.Count),
			ms(j.Mean, j.Count), ms(j.P95, j.Count), ms(j.Max, j.Count)},
	}
	t.table("Media quality (calls with media, worse direction)", []string{"figure", "calls", "min", "p1", "p5", "p50", "mean", "p95", "max"}, rows)
}

// flowFigures is the table of each flow's own figures (flows' Specs
// declare them: bert's sync_time, dtmf's digit_latency), with the flow's
// MOS and loss when more than one flow had media, so a reader sees which
// flow's calls sounded worse.
func (t *tableWriter) flowFigures(r *Results) {
	var rows [][]string
	withMedia := 0
	for _, g := range r.Summary.Flows {
		if g.MOS.Count > 0 {
			withMedia++
		}
	}
	for _, name := range slices.Sorted(maps.Keys(r.Summary.Flows)) {
		g := r.Summary.Flows[name]
		if withMedia > 1 && g.MOS.Count > 0 {
			rows = append(rows, append([]string{name}, scoreRow("mos", g.MOS, f2)...), append([]string{name}, scoreRow("loss %", g.Loss, pct2)...))
		}
		for _, f := range slices.Sorted(maps.Keys(g.Timings)) {
			rows = append(rows, append([]string{name}, timeRow(f+" ms", g.Timings[f])...))
		}
		for _, f := range slices.Sorted(maps.Keys(g.Values)) {
			rows = append(rows, append([]string{name}, scoreRow(f, g.Values[f], f2)...))
		}
	}
	if len(rows) == 0 {
		return
	}
	t.table("Flow figures (each over the flow's calls that recorded it)", []string{"flow", "figure", "calls", "min", "p1", "p5", "p50", "mean", "p95", "max"}, rows, 0, 1)
}

func f2(v float64) string   { return strconv.FormatFloat(v, 'f', 2, 64) }
func pct2(v float64) string { return strconv.FormatFloat(100*v, 'f', 2, 64) }

// scoreRow is a Score's row: name, count, then min p1 p5 p50 mean p95 max
// written by format ("-" with no calls).
func scoreRow(name string, s metrics.Score, format func(float64) string) []string {
	if s.Count == 0 {
		return []string{name, "0", "-", "-", "-", "-", "-", "-", "-"}
	}
	return []string{name, count(s.Count), format(s.Min), format(s.P1), format(s.P5), format(s.P50), format(s.Mean), format(s.P95), format(s.Max)}
}

// timeRow is scoreRow of a TimeScore, in milliseconds.
func timeRow(name string, s metrics.TimeScore) []string {
	n := s.Count
	return []string{name, count(n), ms(s.Min, n), ms(s.P1, n), ms(s.P5, n), ms(s.P50, n), ms(s.Mean, n), ms(s.P95, n), ms(s.Max, n)}
}
