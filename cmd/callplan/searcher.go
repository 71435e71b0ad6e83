package main

import "math"

// searcher chooses the rates of a capacity search (plan/search.go): up by
// factor while steps pass, then bisection between the highest rate that
// passed and the lowest that failed until their gap is under precision x
// the passing rate. A first step that fails steps down by factor until one
// passes. After a failure it never goes above the failing rate again, so
// a search does not push a system harder than the step that broke it.
type searcher struct {
	start, max, factor, precision float64
	maxSteps                      int

	steps      int
	pass, fail float64 // highest passing, lowest failing rate; 0 = none yet
}

// next is the rate of the next step, or done with the reason the search
// ended.
func (s *searcher) next() (rate float64, done bool, why string) {
	switch {
	case s.steps == 0:
		return s.start, false, ""
	case s.steps >= s.maxSteps:
		return 0, true, "max_steps reached"
	case s.fail == 0 && s.pass >= s.max:
		return 0, true, "every step passed up to search.max"
	case s.fail == 0:
		return roundRate(math.Min(s.pass*s.factor, s.max)), false, ""
	case s.pass == 0:
		r := roundRate(s.fail / s.factor)
		if r < 0.1 || r >= s.fail {
			return 0, true, "no rate passed, down to 0.1 calls/s"
		}
		return r, false, ""
	case (s.fail-s.pass)/s.pass <= s.precision:
		return 0, true, "narrowed to the precision asked"
	}
	r := roundRate((s.pass + s.fail) / 2)
	if r <= s.pass || r >= s.fail {
		return 0, true, "narrowed as far as rates round"
	}
	return r, false, ""
}

// record notes one step's outcome.
func (s *searcher) record(rate float64, passed bool) {
	s.steps++
	if passed {
		s.pass = math.Max(s.pass, rate)
		return
	}
	if s.fail == 0 || rate < s.fail {
		s.fail = rate
	}
}

// roundRate keeps rates readable in reports: whole calls per second from
// 10 up, tenths below.
func roundRate(r float64) float64 {
	if r >= 10 {
		return math.Round(r)
	}
	return math.Round(r*10) / 10
}
