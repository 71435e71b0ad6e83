package metrics

import (
	"math"
	"time"
)

// Audio quality in the time series: each second keeps compact histograms
// of the MOS, loss and jitter of the calls that ended in it (a call's
// figures are known at hangup), so the HTML report can draw MOS and loss
// over time and a windowed assertion can read mos.p5 over its window. The
// histograms hold integers (WindowHist's bins, within 0.8%): MOS in
// thousandths, loss in millionths, jitter in µs.
const (
	mosUnits  = 1000
	lossUnits = 1e6
)

// quality folds a finished call's audio figures into the second.
func (o *openSecond) quality(r *Record) {
	mos, loss, jitter, ok := r.Quality()
	if !ok {
		return
	}
	if o.mos == nil {
		o.mos, o.loss, o.jitter = binCounter{}, binCounter{}, binCounter{}
	}
	o.mos.addUnits(int64(math.Round(mos * mosUnits)))
	o.loss.addUnits(int64(math.Round(loss * lossUnits)))
	o.jitter.add(jitter)
}

func (b binCounter) addUnits(n int64) { b[binIndex(max(n, 0))]++ }

// windowQuality merges seconds' quality histograms.
type windowQuality struct{ mos, loss, jitter []WindowHist }

func (w *windowQuality) add(s Second) {
	if len(s.MOS.Bins) == 0 {
		return
	}
	w.mos, w.loss, w.jitter = append(w.mos, s.MOS), append(w.loss, s.Loss), append(w.jitter, s.Jitter)
}

func (w *windowQuality) fill(g *Group) {
	g.MOS = mergeWindows(w.mos...).Score(mosUnits)
	g.Loss = mergeWindows(w.loss...).Score(lossUnits)
	j := mergeWindows(w.jitter...).Score(1)
	us := func(v float64) time.Duration { return time.Duration(math.Round(v * float64(time.Microsecond))) }
	g.Jitter = TimeScore{Count: j.Count, Min: us(j.Min), P1: us(j.P1), P5: us(j.P5), P50: us(j.P50),
		Mean: us(j.Mean), P95: us(j.P95), P99: us(j.P99), Max: us(j.Max)}
}

// MOSScore is the second's MOS distribution (zero Count: no call with media
// ended in it).
func (s Second) MOSScore() Score { return s.MOS.Score(mosUnits) }

// LossScore is the second's loss-ratio distribution.
func (s Second) LossScore() Score { return s.Loss.Score(lossUnits) }

// Score summarises a histogram of figures kept in units (units per 1 of
// the figure) with Score's quantiles, nearest rank as Latency.
func (h WindowHist) Score(units float64) Score {
	n, sum := h.totals()
	if n == 0 {
		return Score{}
	}
	v := func(bin int64) float64 { return float64(bin) / units }
	return Score{
		Count: n, Min: v(binValue(h.Bins[0].Index)),
		P1: v(h.quantile(0.01, n)), P5: v(h.quantile(0.05, n)), P50: v(h.quantile(0.50, n)),
		Mean: sum / float64(n) / units,
		P95:  v(h.quantile(0.95, n)), P99: v(h.quantile(0.99, n)),
		Max: v(binValue(h.Bins[len(h.Bins)-1].Index)),
	}
}
