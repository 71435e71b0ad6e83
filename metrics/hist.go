package metrics

import (
	"math/bits"
	"sort"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Latency is the distribution of one interval over a set of calls. Zero
// values mean no call had the interval.
type Latency struct {
	Count int64         `json:"count" expr:"count"`
	Min   time.Duration `json:"min" expr:"min"`
	Mean  time.Duration `json:"mean" expr:"mean"`
	P50   time.Duration `json:"p50" expr:"p50"`
	P90   time.Duration `json:"p90" expr:"p90"`
	P95   time.Duration `json:"p95" expr:"p95"`
	P99   time.Duration `json:"p99" expr:"p99"`
	Max   time.Duration `json:"max" expr:"max"`
}

// Histogram bounds. Values are recorded in microseconds (FreeSWITCH's
// timestamp unit) from 1 µs to 1 hour with 3 significant digits, so any
// reported percentile is within 0.1% of the true value.
const (
	histLowest  = 1
	histHighest = int64(time.Hour / time.Microsecond)
	histDigits  = 3
)

// durHist is an HDR histogram of durations, created on first use so that
// groups that never see a value cost nothing.
type durHist struct{ h *hdr.Histogram }

func (d *durHist) add(v time.Duration) {
	if d.h == nil {
		d.h = hdr.New(histLowest, histHighest, histDigits)
	}
	us := max(int64(v/time.Microsecond), histLowest)
	us = min(us, histHighest)
	_ = d.h.RecordValue(us) // cannot fail: clamped into range above
}

func (d *durHist) latency() Latency {
	if d.h == nil || d.h.TotalCount() == 0 {
		return Latency{}
	}
	us := func(v int64) time.Duration { return time.Duration(v) * time.Microsecond }
	return Latency{
		Count: d.h.TotalCount(),
		Min:   us(d.h.Min()),
		Mean:  time.Duration(d.h.Mean() * float64(time.Microsecond)),
		P50:   us(d.h.ValueAtQuantile(50)),
		P90:   us(d.h.ValueAtQuantile(90)),
		P95:   us(d.h.ValueAtQuantile(95)),
		P99:   us(d.h.ValueAtQuantile(99)),
		Max:   us(d.h.Max()),
	}
}

// WindowHist is a compact histogram kept per second of the time series, so
// percentiles can be computed over any window of seconds without holding a
// full HDR histogram (tens of KB) per second. Values (microseconds) go into
// log-linear bins: exact below 128 µs, then 64 bins per power of two, so a
// reported value is within 0.8% of the truth. Only non-empty bins are
// stored, sorted by index: a second of calls whose latencies cluster costs
// a few hundred bytes.
type WindowHist struct {
	Bins []Bin `json:"bins,omitempty"`
}

// Bin is one non-empty bin of a WindowHist.
type Bin struct {
	Index uint16 `json:"i"`
	Count uint32 `json:"n"`
}

const (
	linearBins = 128 // values below this are their own bin
	subBins    = 64  // bins per power of two above it
)

// binIndex maps a value in microseconds to its bin.
func binIndex(us int64) uint16 {
	if us < linearBins {
		return uint16(max(us, 0))
	}
	// Keep the top 7 bits: e is how far the value is shifted down so that
	// its mantissa lies in [64, 128).
	e := bits.Len64(uint64(us)) - 7
	m := us >> e // in [64, 128)
	return uint16(linearBins + (e-1)*subBins + int(m-subBins))
}

// binValue is the middle of a bin, in microseconds.
func binValue(i uint16) int64 {
	if i < linearBins {
		return int64(i)
	}
	k := int(i) - linearBins
	e := k/subBins + 1
	m := int64(k%subBins + subBins)
	return m<<e + (int64(1)<<e)/2
}

// binCounter accumulates one open second's values before it is sealed.
type binCounter map[uint16]uint32

func (b binCounter) add(v time.Duration) {
	b[binIndex(int64(v/time.Microsecond))]++
}

func (b binCounter) seal() WindowHist {
	if len(b) == 0 {
		return WindowHist{}
	}
	bins := make([]Bin, 0, len(b))
	for i, n := range b {
		bins = append(bins, Bin{Index: i, Count: n})
	}
	sort.Slice(bins, func(i, j int) bool { return bins[i].Index < bins[j].Index })
	return WindowHist{Bins: bins}
}

// mergeWindows sums histograms into one, keeping bins sorted.
func mergeWindows(hs ...WindowHist) WindowHist {
	acc := binCounter{}
	for _, h := range hs {
		for _, b := range h.Bins {
			acc[b.Index] += b.Count
		}
	}
	return acc.seal()
}

// Latency summarises the histogram. Percentiles use the nearest-rank
// method: the smallest value with at least q of the values at or below it.
func (h WindowHist) Latency() Latency {
	n, sum := h.totals()
	if n == 0 {
		return Latency{}
	}
	us := func(v int64) time.Duration { return time.Duration(v) * time.Microsecond }
	at := func(q float64) time.Duration { return us(h.quantile(q, n)) }
	return Latency{
		Count: n,
		Min:   us(binValue(h.Bins[0].Index)),
		Mean:  time.Duration(sum / float64(n) * float64(time.Microsecond)),
		P50:   at(0.50),
		P90:   at(0.90),
		P95:   at(0.95),
		P99:   at(0.99),
		Max:   us(binValue(h.Bins[len(h.Bins)-1].Index)),
	}
}

// totals are the histogram's count and the sum of its values (each bin's
// middle).
func (h WindowHist) totals() (n int64, sum float64) {
	for _, b := range h.Bins {
		n += int64(b.Count)
		sum += float64(binValue(b.Index)) * float64(b.Count)
	}
	return n, sum
}

// quantile is the nearest-rank q quantile (0..1) of a histogram of n
// values, in its units.
func (h WindowHist) quantile(q float64, n int64) int64 {
	rank := int64(q*float64(n) + 0.999999999)
	rank = min(max(rank, 1), n)
	var seen int64
	for _, b := range h.Bins {
		seen += int64(b.Count)
		if seen >= rank {
			return binValue(b.Index)
		}
	}
	return binValue(h.Bins[len(h.Bins)-1].Index)
}
