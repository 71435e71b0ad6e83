package metrics

import "time"

// A flow's own figures are per-call measurements its Judge records (bert's
// time to first sync, dtmf's worst digit latency) whose distribution the
// summary keeps for the flow, with the quantiles of mos and loss. Which
// figures a flow records, and whether each is a duration, is declared by
// the flow's Spec (flows); metrics only keeps them. They are kept per flow
// and not per second, as the flows' counters are.

// Figure bounds. Timings are kept in µs up to a day (a hold longer than
// that is not a load test); values at a thousandth up to 10^9, so a
// percent or a count fits with room. Both to 3 significant digits, as
// everything else; values below 0 are kept as 0 (figures are sizes and
// times, never negative).
const (
	figureTimingTop = 24 * time.Hour
	figureValueTop  = 1e12 // stored: 10^9 at scale 1000
)

// SetTiming records the call's duration figure name.
func (r *Record) SetTiming(name string, d time.Duration) {
	if r.Timings == nil {
		r.Timings = map[string]time.Duration{}
	}
	r.Timings[name] = d
}

// SetValue records the call's numeric figure name.
func (r *Record) SetValue(name string, v float64) {
	if r.Values == nil {
		r.Values = map[string]float64{}
	}
	r.Values[name] = v
}

// figureAcc keeps one flow's figures: a histogram per name it has seen,
// made on first use. A flow records a handful of names, so it stays a few
// histograms per flow.
type figureAcc struct {
	timings map[string]*scoreHist
	values  map[string]*scoreHist
}

// add folds r's figures in, making the accumulator when r has any; it
// returns the accumulator (nil while no call had a figure).
func (a *figureAcc) add(r *Record) *figureAcc {
	if len(r.Timings) == 0 && len(r.Values) == 0 {
		return a
	}
	if a == nil {
		a = &figureAcc{timings: map[string]*scoreHist{}, values: map[string]*scoreHist{}}
	}
	for name, d := range r.Timings {
		h, ok := a.timings[name]
		if !ok {
			dh := durationHist(figureTimingTop)
			h = &dh
			a.timings[name] = h
		}
		h.add(float64(d))
	}
	for name, v := range r.Values {
		h, ok := a.values[name]
		if !ok {
			h = &scoreHist{scale: 1000, top: figureValueTop}
			a.values[name] = h
		}
		h.add(v)
	}
	return a
}

// fill sets the group's figure distributions.
func (a *figureAcc) fill(g *Group) {
	if a == nil {
		return
	}
	g.Timings = make(map[string]TimeScore, len(a.timings))
	for name, h := range a.timings {
		g.Timings[name] = h.timeScore()
	}
	g.Values = make(map[string]Score, len(a.values))
	for name, h := range a.values {
		g.Values[name] = h.score()
	}
}
