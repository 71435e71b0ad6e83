package main

import (
	"time"

	"github.com/callplan/callplan/plan"
)

// fullResolution is how many of the latest seconds the collector keeps one
// by one: at least the longest assertion window, so a windowed assertion
// judged live sees exactly its window (older seconds are merged into
// buckets, metrics/tiers.go).
func fullResolution(p *plan.Plan) int {
	longest := 0
	for _, a := range p.Assertions {
		longest = max(longest, int(a.Window.D()/time.Second))
	}
	return longest
}
