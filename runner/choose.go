package runner

import (
	"math"
	"math/rand/v2"
	"time"
)

// smoothWRR is nginx's smooth weighted round-robin: each pick adds every
// weight to its current score, picks the highest and subtracts the total
// from it. Over any sum(weights) consecutive picks each item is picked
// exactly weight times, and picks are spread out rather than bunched.
type smoothWRR struct {
	weights []int
	current []int
	total   int
}

func newSmoothWRR(weights []int) *smoothWRR {
	s := &smoothWRR{weights: weights, current: make([]int, len(weights))}
	for _, w := range weights {
		s.total += w
	}
	return s
}

// next picks among the items for which ok returns true; -1 when none is.
// Skipped items keep their score, so they catch up once eligible.
func (s *smoothWRR) next(ok func(i int) bool) int {
	best, total := -1, 0
	for i, w := range s.weights {
		if w <= 0 || !ok(i) {
			continue
		}
		s.current[i] += w
		total += w
		if best < 0 || s.current[i] > s.current[best] {
			best = i
		}
	}
	if best >= 0 {
		s.current[best] -= total
	}
	return best
}

// randomChoice picks in proportion to weights from a seeded source.
type randomChoice struct {
	weights []int
	total   int
	rng     *rand.Rand
}

func newRandomChoice(weights []int, seed uint64) *randomChoice {
	r := &randomChoice{weights: weights, rng: rand.New(rand.NewPCG(seed, seed+1))}
	for _, w := range weights {
		r.total += w
	}
	return r
}

func (r *randomChoice) next() int {
	if r.total <= 0 {
		return 0
	}
	x := r.rng.IntN(r.total)
	for i, w := range r.weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(r.weights) - 1
}

// holdSource draws hold times: fixed, or exponential with the given mean
// (seeded), capped at 20 means so one draw cannot hold a slot for hours.
type holdSource struct {
	mean        time.Duration
	exponential bool
	rng         *rand.Rand
}

func newHoldSource(mean time.Duration, exponential bool, seed uint64) *holdSource {
	return &holdSource{mean: mean, exponential: exponential, rng: rand.New(rand.NewPCG(seed, seed^0x5bd1e995))}
}

func (h *holdSource) next() time.Duration {
	if !h.exponential {
		return h.mean
	}
	x := math.Min(h.rng.ExpFloat64(), 20)
	return time.Duration(x * float64(h.mean))
}
