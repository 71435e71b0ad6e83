package runner

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// Pacer decides when the next call arrives, in vegeta's shape: given the
// time since the run started and how many arrivals were already made, it
// says how long to wait before the next one, or to stop. Rate is the target
// arrival rate (calls per second) at a moment.
type Pacer interface {
	Pace(elapsed time.Duration, hits uint64) (wait time.Duration, stop bool)
	Rate(elapsed time.Duration) float64
}

// Segment is one stage of a rate curve: for Duration the rate goes linearly
// from From to To calls per second (From == To for a constant rate).
type Segment struct {
	Duration time.Duration
	From, To float64
}

// count is the number of arrivals the segment's rate integrates to over
// its first t: ∫₀ᵗ From + (To-From)·s/D ds = From·t + (To-From)·t²/(2D).
func (s Segment) count(t time.Duration) float64 {
	if s.Duration <= 0 {
		return 0
	}
	x, d := t.Seconds(), s.Duration.Seconds()
	return s.From*x + (s.To-s.From)*x*x/(2*d)
}

// at inverts count: the time at which the integral reaches k (0 ≤ k ≤
// count(Duration)). It solves (To-From)/(2D)·t² + From·t − k = 0 in the
// form t = 2k / (From + √(From² + 2(To−From)k/D)), which has no
// cancellation when From is near zero and is exact when To == From.
func (s Segment) at(k float64) time.Duration {
	if k <= 0 {
		return 0
	}
	d := s.Duration.Seconds()
	disc := s.From*s.From + 2*(s.To-s.From)*k/d
	disc = max(disc, 0)
	den := s.From + math.Sqrt(disc)
	if den <= 0 {
		return s.Duration
	}
	t := time.Duration(2 * k / den * float64(time.Second))
	return min(t, s.Duration)
}

// Schedule is a piecewise-linear rate curve: stages chained end to end.
// Arrival k (counting from 0) happens at the moment the integral of the rate
// from the start reaches k — k6's ramping-arrival-rate arithmetic — so the
// first arrival is at 0, arrivals follow the curve exactly, and the number
// of arrivals before time T is ⌈∫₀ᵀ rate⌉.
type Schedule struct {
	segs   []Segment
	starts []time.Duration // start time of each segment
	counts []float64       // arrivals integrated before each segment
	total  float64
	end    time.Duration
}

// NewSchedule chains segments. Rates must be finite and non-negative.
func NewSchedule(segs ...Segment) (*Schedule, error) {
	s := &Schedule{segs: append([]Segment(nil), segs...)}
	for i, g := range segs {
		if g.Duration < 0 || g.From < 0 || g.To < 0 || math.IsNaN(g.From+g.To) || math.IsInf(g.From+g.To, 0) {
			return nil, fmt.Errorf("stage %d: rate %g→%g over %v: rates must be finite and ≥ 0, duration ≥ 0", i, g.From, g.To, g.Duration)
		}
		s.starts = append(s.starts, s.end)
		s.counts = append(s.counts, s.total)
		s.total += g.count(g.Duration)
		s.end += g.Duration
	}
	return s, nil
}

// Total is the integral of the rate over the whole schedule.
func (s *Schedule) Total() float64 { return s.total }

// Duration is the schedule's length.
func (s *Schedule) Duration() time.Duration { return s.end }

// Stage returns the index of the segment running at elapsed, or -1 past
// the end.
func (s *Schedule) Stage(elapsed time.Duration) int {
	if elapsed < 0 {
		return 0
	}
	for i := len(s.segs) - 1; i >= 0; i-- {
		if elapsed >= s.starts[i] && elapsed < s.starts[i]+s.segs[i].Duration {
			return i
		}
	}
	return -1
}

// StageStart is when segment i begins.
func (s *Schedule) StageStart(i int) time.Duration { return s.starts[i] }

// Rate is the target rate at elapsed (0 past the end).
func (s *Schedule) Rate(elapsed time.Duration) float64 {
	i := s.Stage(elapsed)
	if i < 0 {
		return 0
	}
	g := s.segs[i]
	x := (elapsed - s.starts[i]).Seconds() / g.Duration.Seconds()
	return g.From + (g.To-g.From)*x
}

// Integral is the expected number of arrivals in [0, elapsed).
func (s *Schedule) Integral(elapsed time.Duration) float64 {
	if elapsed >= s.end {
		return s.total
	}
	i := max(s.Stage(elapsed), 0)
	return s.counts[i] + s.segs[i].count(elapsed-s.starts[i])
}

// ArrivalTime is when the integral reaches k; ok is false when the
// schedule ends first.
func (s *Schedule) ArrivalTime(k float64) (time.Duration, bool) {
	if k >= s.total || k < 0 {
		return 0, false
	}
	// The last segment whose integral before it is ≤ k, skipping segments
	// that carry no arrivals (rate 0 pauses).
	for i := len(s.segs) - 1; i >= 0; i-- {
		if s.counts[i] <= k && s.segs[i].count(s.segs[i].Duration) > 0 {
			if k-s.counts[i] >= s.segs[i].count(s.segs[i].Duration) {
				continue
			}
			return s.starts[i] + s.segs[i].at(k-s.counts[i]), true
		}
	}
	return 0, false
}

func (s *Schedule) String() string {
	parts := make([]string, len(s.segs))
	for i, g := range s.segs {
		if g.From == g.To {
			parts[i] = fmt.Sprintf("%g/s for %v", g.From, g.Duration)
		} else {
			parts[i] = fmt.Sprintf("%g→%g/s over %v", g.From, g.To, g.Duration)
		}
	}
	return strings.Join(parts, ", ")
}

// UniformPacer spaces arrivals evenly along the schedule: arrival k at
// ArrivalTime(k). Never bursty: two arrivals are never closer than the
// curve says.
type UniformPacer struct{ *Schedule }

var _ Pacer = UniformPacer{}

// Pace implements Pacer.
func (p UniformPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	t, ok := p.ArrivalTime(float64(hits))
	if !ok {
		return 0, true
	}
	return max(t-elapsed, 0), false
}

func (p UniformPacer) String() string { return "uniform: " + p.Schedule.String() }

// PoissonPacer makes arrivals a (non-homogeneous) Poisson process whose
// intensity is the schedule's rate, by time rescaling: the k-th arrival is
// at the moment the rate's integral reaches E₁+…+Eₖ, with Eᵢ independent
// exponential(1) draws from a seeded source. The same seed gives the same
// arrivals. Pace must be called with hits counting up by one, as the
// runner does; it keeps the running sum.
type PoissonPacer struct {
	*Schedule
	seed uint64

	mu   sync.Mutex
	rng  *rand.Rand
	hits uint64  // index of the arrival whose target is cum
	cum  float64 // integral target of arrival hits
}

var _ Pacer = (*PoissonPacer)(nil)

// NewPoissonPacer returns a Poisson pacer over s seeded with seed.
func NewPoissonPacer(s *Schedule, seed uint64) *PoissonPacer {
	p := &PoissonPacer{Schedule: s, seed: seed, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	p.cum = p.rng.ExpFloat64()
	return p
}

// Pace implements Pacer.
func (p *PoissonPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	p.mu.Lock()
	for p.hits < hits {
		p.cum += p.rng.ExpFloat64()
		p.hits++
	}
	k := p.cum
	p.mu.Unlock()
	t, ok := p.ArrivalTime(k)
	if !ok {
		return 0, true
	}
	return max(t-elapsed, 0), false
}

func (p *PoissonPacer) String() string {
	return fmt.Sprintf("poisson(seed %d): %s", p.seed, p.Schedule.String())
}
