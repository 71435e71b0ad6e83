package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestSearcherSequence drives the searcher against a system whose capacity
// is known and checks every rate it tries, and why it stops.
func TestSearcherSequence(t *testing.T) {
	for _, tc := range []struct {
		name     string
		s        searcher
		capacity float64 // a step passes when its rate <= capacity
		want     []float64
		why      string
	}{
		{"doubles then bisects to 10 %", searcher{start: 50, max: 5000, factor: 2, precision: 0.1, maxSteps: 12}, 330,
			[]float64{50, 100, 200, 400, 300, 350, 325}, "narrowed to the precision asked"},
		{"stops at max when everything passes", searcher{start: 100, max: 500, factor: 2, precision: 0.1, maxSteps: 12}, 1e9,
			[]float64{100, 200, 400, 500}, "every step passed up to search.max"},
		{"a failing first step steps down", searcher{start: 100, max: 500, factor: 2, precision: 0.1, maxSteps: 12}, 30,
			[]float64{100, 50, 25, 38, 32, 29, 31}, "narrowed to the precision asked"},
		{"max_steps bounds it", searcher{start: 10, max: 1e6, factor: 2, precision: 0.01, maxSteps: 3}, 1e9,
			[]float64{10, 20, 40}, "max_steps reached"},
		{"nothing passes", searcher{start: 0.4, max: 10, factor: 2, precision: 0.1, maxSteps: 12}, 0,
			[]float64{0.4, 0.2, 0.1}, "no rate passed, down to 0.1 calls/s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []float64
			for {
				r, done, why := tc.s.next()
				if done {
					assert.Equal(t, tc.why, why)
					break
				}
				got = append(got, r)
				tc.s.record(r, r <= tc.capacity)
				if len(got) > 60 {
					t.Fatal("search does not end")
				}
			}
			assert.Equal(t, tc.want, got)
		})
	}
}
