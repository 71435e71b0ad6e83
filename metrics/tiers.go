package metrics

import (
	"math"
	"slices"
)

// The series in memory is bounded in run length: a collector that keeps
// every second keeps 20-30 kB a second at 2 000 calls/s (each second's
// latency histograms, once for the run and once per flow and caller
// node), 2.5 GB a day. So only the latest seconds are kept one by one
// (enough for the live assertions' latest window and the progress line),
// and older seconds are folded into at most maxCoarse buckets of equal
// width; when they would exceed it, neighbours merge and the width
// doubles. A run of 5 minutes keeps every second; a day's run keeps its
// last minute by the second and the rest in 240 buckets of about 6
// minutes, which is what the HTML report's "over time" charts can show
// anyway. Every second stays on disk: timeseries.csv is streamed as each
// second ends, and the CDR as each call ends (what SIPp's -trace_stat and
// k6's outputs do: the file is the full record, memory holds aggregates).
//
// A merged bucket is a Second with Span > 1: its counts are summed, its
// histograms merged, Active is its last second's and MaxActive the most in
// any of them, and Erlangs is the mean over its span (so Window weighs it
// by Span). Its histograms keep 16 bins per power of two instead of 64
// (within 3 % instead of 0.8 %): at 2 000 calls/s a second's four latency
// histograms hold about 200 bins each, for the run and again per flow and
// caller node, 25 kB a second; coarse bins make the older buckets a
// quarter of that, so the whole series stays at about 5 MB at most (5.2 MB
// measured in the runner's 1 000 000-call benchmark).

const (
	// DefaultFullResolution is how many of the latest seconds a collector
	// keeps one by one unless WithFullResolution says more.
	DefaultFullResolution = 60
	// maxCoarse bounds the older seconds' buckets.
	maxCoarse = 240
)

// WithFullResolution keeps the latest n seconds one by one (at least
// DefaultFullResolution): a windowed assertion judged live needs its
// window's seconds.
func WithFullResolution(n int) Option {
	return func(c *Collector) { c.series.keep = max(n, DefaultFullResolution) }
}

// Width is how many seconds s covers: 1, or Span for a merged bucket.
func (s *Second) Width() int { return max(s.Span, 1) }

// tiers holds a collector's sealed seconds: the latest keep one by one in
// full, the older ones in coarse buckets of width seconds each (the last
// one filling up).
type tiers struct {
	full, coarse []Second
	keep, width  int
}

func newTiers() tiers { return tiers{keep: DefaultFullResolution, width: 1} }

// add appends a sealed second, folding the oldest full one into the coarse
// buckets when there are more than keep. Seconds handed out by all are
// never modified afterwards (merges build new maps and bins), so readers
// may keep them.
func (t *tiers) add(s Second) {
	t.full = append(t.full, s)
	if len(t.full) <= t.keep {
		return
	}
	old := t.full[0]
	t.full[0] = Second{} // the backing array must not pin its maps
	t.full = t.full[1:]
	t.fold(old)
}

func (t *tiers) fold(s Second) {
	s = coarsen(s)
	if n := len(t.coarse); n > 0 && t.coarse[n-1].Width() < t.width {
		t.coarse[n-1] = mergeSeconds(t.coarse[n-1], s)
		return
	}
	t.coarse = append(t.coarse, s)
	if len(t.coarse) <= maxCoarse {
		return
	}
	// Merge neighbours in place: pair k is read (2k, 2k+1) before slot k
	// is written, and k <= 2k.
	t.width *= 2
	n := 0
	for i := 0; i < len(t.coarse); i += 2 {
		if i+1 < len(t.coarse) {
			t.coarse[n] = mergeSeconds(t.coarse[i], t.coarse[i+1])
		} else {
			t.coarse[n] = t.coarse[i]
		}
		n++
	}
	clear(t.coarse[n:])
	t.coarse = t.coarse[:n]
}

// coarseGroup is how many neighbouring bins of a second's histograms
// (64 per power of two, hist.go) one bin of an older bucket takes.
const coarseGroup = 4

// coarsenHist keeps h at 64/coarseGroup bins per power of two: each value
// goes to the middle bin of its group of coarseGroup (64 is a multiple of
// it, so a group never crosses a power of two). Values below linearBins
// stay exact. Idempotent, and h is not modified.
func coarsenHist(h WindowHist) WindowHist {
	if len(h.Bins) == 0 {
		return h
	}
	out := make([]Bin, 0, len(h.Bins))
	for _, b := range h.Bins {
		if b.Index >= linearBins {
			k := b.Index - linearBins
			b.Index = linearBins + k - k%coarseGroup + coarseGroup/2
		}
		if n := len(out); n > 0 && out[n-1].Index == b.Index {
			out[n-1].Count += b.Count
			continue
		}
		out = append(out, b)
	}
	return WindowHist{Bins: slices.Clip(out)}
}

// coarsen is s with coarse histograms, its breakdowns too (new maps: s's
// are shared with readers).
func coarsen(s Second) Second {
	for _, h := range []*WindowHist{&s.PDD, &s.SetupLatency, &s.AnswerLatency, &s.Duration, &s.MOS, &s.Loss, &s.Jitter} {
		*h = coarsenHist(*h)
	}
	subs := func(m map[string]Second) map[string]Second {
		if m == nil {
			return nil
		}
		out := make(map[string]Second, len(m))
		for k, v := range m {
			out[k] = coarsen(v)
		}
		return out
	}
	s.Flows, s.Nodes = subs(s.Flows), subs(s.Nodes)
	return s
}

// all is every bucket and second, oldest first (a copy).
func (t *tiers) all() []Second {
	out := make([]Second, 0, len(t.coarse)+len(t.full))
	return append(append(out, t.coarse...), t.full...)
}

// mergeSeconds is a then b (b follows a) as one bucket. Nothing of a or b
// is modified.
func mergeSeconds(a, b Second) Second {
	wa, wb := a.Width(), b.Width()
	m := Second{
		Index: a.Index, Stage: a.Stage, Span: wa + wb,
		Offered: a.Offered + b.Offered, Calls: a.Calls + b.Calls,
		Answered: a.Answered + b.Answered, OK: a.OK + b.OK,
		Failed: a.Failed + b.Failed, Unknown: a.Unknown + b.Unknown,
		Dropped: a.Dropped + b.Dropped, Throttled: a.Throttled + b.Throttled,
		Missed: a.Missed + b.Missed, EndedAnswered: a.EndedAnswered + b.EndedAnswered,
		Active: b.Active, MaxActive: max(a.MaxActive, b.MaxActive),
		Erlangs: (a.Erlangs*float64(wa) + b.Erlangs*float64(wb)) / float64(wa+wb),
		Causes:  sumCounts(a.Causes, b.Causes), SIP: sumCounts(a.SIP, b.SIP),
		Reasons:       sumCounts(a.Reasons, b.Reasons),
		PDD:           mergeWindows(a.PDD, b.PDD),
		SetupLatency:  mergeWindows(a.SetupLatency, b.SetupLatency),
		AnswerLatency: mergeWindows(a.AnswerLatency, b.AnswerLatency),
		Duration:      mergeWindows(a.Duration, b.Duration),
		MOS:           mergeWindows(a.MOS, b.MOS),
		Loss:          mergeWindows(a.Loss, b.Loss),
		Jitter:        mergeWindows(a.Jitter, b.Jitter),
		Flows:         mergeSubs(&a, &b, a.Flows, b.Flows),
		Nodes:         mergeSubs(&a, &b, a.Nodes, b.Nodes),
		Callees:       mergeCallees(a.Callees, b.Callees),
		Heartbeats:    b.Heartbeats,
	}
	if len(m.Heartbeats) == 0 {
		m.Heartbeats = a.Heartbeats
	}
	return m
}

func sumCounts(a, b map[string]int64) map[string]int64 {
	if len(a)+len(b) == 0 {
		return nil
	}
	out := make(map[string]int64, max(len(a), len(b)))
	addMap(out, a)
	addMap(out, b)
	return out
}

// mergeSubs merges the per-flow or per-node breakdowns of a and b; a name
// missing on one side had nothing in those seconds.
func mergeSubs(a, b *Second, ma, mb map[string]Second) map[string]Second {
	if len(ma)+len(mb) == 0 {
		return nil
	}
	out := make(map[string]Second, max(len(ma), len(mb)))
	for k := range ma {
		out[k] = mergeSeconds(a.sub(k, ma), b.sub(k, mb))
	}
	for k := range mb {
		if _, ok := ma[k]; !ok {
			out[k] = mergeSeconds(a.sub(k, ma), b.sub(k, mb))
		}
	}
	return out
}

// sub is name's share of s in m (s.Flows or s.Nodes), covering s's span.
func (s *Second) sub(name string, m map[string]Second) Second {
	x, ok := m[name]
	if !ok {
		x = Second{Index: s.Index, Stage: s.Stage}
	}
	x.Span = s.Span
	return x
}

func mergeCallees(a, b map[string]CalleeSecond) map[string]CalleeSecond {
	if len(a)+len(b) == 0 {
		return nil
	}
	out := make(map[string]CalleeSecond, max(len(a), len(b)))
	for k, x := range a {
		x.Active = 0 // nothing in progress on it by b's end unless b says so
		out[k] = x
	}
	for k, y := range b {
		x := out[k]
		out[k] = CalleeSecond{
			Received: x.Received + y.Received, Answered: x.Answered + y.Answered,
			Failed: x.Failed + y.Failed, Active: y.Active,
			MaxActive: max(x.MaxActive, y.MaxActive),
		}
	}
	return out
}

// Mean is one second of s's span as the mean of the bucket: counts and
// breakdowns divided by its width and rounded, histograms as they are (the
// same shape), Active and the gauges unchanged. For drawing a bucket over
// the seconds it covers; a single second is returned as it is.
func (s Second) Mean() Second {
	w := s.Width()
	if w == 1 {
		return s
	}
	d := func(v int64) int64 { return int64(math.Round(float64(v) / float64(w))) }
	m := s
	m.Span = 0
	m.Offered, m.Calls, m.Answered, m.OK = d(s.Offered), d(s.Calls), d(s.Answered), d(s.OK)
	m.Failed, m.Unknown, m.Dropped, m.Throttled = d(s.Failed), d(s.Unknown), d(s.Dropped), d(s.Throttled)
	m.Missed, m.EndedAnswered = d(s.Missed), d(s.EndedAnswered)
	scale := func(src map[string]int64) map[string]int64 {
		if src == nil {
			return nil
		}
		out := make(map[string]int64, len(src))
		for k, v := range src {
			out[k] = d(v)
		}
		return out
	}
	m.Causes, m.SIP, m.Reasons = scale(s.Causes), scale(s.SIP), scale(s.Reasons)
	subs := func(src map[string]Second) map[string]Second {
		if src == nil {
			return nil
		}
		out := make(map[string]Second, len(src))
		for k, v := range src {
			v.Span = w
			out[k] = v.Mean()
		}
		return out
	}
	m.Flows, m.Nodes = subs(s.Flows), subs(s.Nodes)
	if s.Callees != nil {
		m.Callees = make(map[string]CalleeSecond, len(s.Callees))
		for k, v := range s.Callees {
			v.Received, v.Answered, v.Failed = d(v.Received), d(v.Answered), d(v.Failed)
			m.Callees[k] = v
		}
	}
	return m
}

// Last is the latest seconds of secs that cover at least w seconds (all
// of them when they cover fewer): a window ending now.
func Last(secs []Second, w int) []Second {
	covered := 0
	for i := len(secs) - 1; i >= 0; i-- {
		covered += secs[i].Width()
		if covered >= w {
			return secs[i:]
		}
	}
	return secs
}
