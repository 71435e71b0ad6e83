package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"

	"github.com/callplan/callplan/metrics"
	"github.com/callplan/callplan/report"
	"github.com/callplan/callplan/runner"
)

// clockWarner warns, once per node and as soon as the run knows (a few
// seconds in: the clock book needs 16 distinct stamps), that a node stamps
// its events coarsely and that its latencies are therefore measured on
// callplan's receipt clock. It sits in the progress chain, which the
// runner's ticker calls once a second.
type clockWarner struct {
	w      io.Writer
	clocks *metrics.ClockBook
	next   func(runner.Progress)

	mu     sync.Mutex
	warned map[string]bool
}

func newClockWarner(w io.Writer, col *metrics.Collector, next func(runner.Progress)) *clockWarner {
	return &clockWarner{w: w, clocks: col.Clocks(), next: next, warned: map[string]bool{}}
}

func (c *clockWarner) progress(p runner.Progress) {
	cs := c.clocks.Clocks()
	c.mu.Lock()
	for _, n := range slices.Sorted(maps.Keys(cs)) {
		if note := report.ClockNote(n, cs[n]); note != "" && !c.warned[n] {
			c.warned[n] = true
			fmt.Fprintf(c.w, "callplan: warning: %s\n", note)
		}
	}
	c.mu.Unlock()
	if c.next != nil {
		c.next(p)
	}
}
