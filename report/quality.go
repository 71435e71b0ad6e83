package report

import "strconv"

// quality is the table of audio quality (MOS, loss, jitter) of the calls
// that had media, each by its worse direction; a run without media has none.
func (t *tableWriter) quality(r *Results) {
	g := r.Summary.Group
	if g.MOS.Count == 0 {
		return
	}
	f2 := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
	pct := func(v float64) string { return strconv.FormatFloat(100*v, 'f', 2, 64) }
	m, l, j := g.MOS, g.Loss, g.Jitter
	rows := [][]string{
		{"mos", count(m.Count), f2(m.Min), f2(m.P1), f2(m.P5), f2(m.P50), f2(m.Mean), f2(m.P95), f2(m.Max)},
		{"loss %", count(l.Count), pct(l.Min), pct(l.P1), pct(l.P5), pct(l.P50), pct(l.Mean), pct(l.P95), pct(l.Max)},
		{"jitter ms", count(j.Count), ms(j.Min, j.Count), ms(j.P1, j.Count), ms(j.P5, j.Count), ms(j.P50, j.Count),
			ms(j.Mean, j.Count), ms(j.P95, j.Count), ms(j.Max, j.Count)},
	}
	t.table("Media quality (calls with media, worse direction)", []string{"figure", "calls", "min", "p1", "p5", "p50", "mean", "p95", "max"}, rows)
}
