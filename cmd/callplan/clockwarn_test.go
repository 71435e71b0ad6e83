package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/callplan/callplan/metrics"
	"github.com/callplan/callplan/runner"
)

// TestClockWarner: a node whose events are stamped in 20 ms steps is
// warned about once, as soon as its clock is known; a fine one never.
func TestClockWarner(t *testing.T) {
	t.Parallel()
	col := metrics.NewCollector("r", "p")
	var out bytes.Buffer
	calls := 0
	w := newClockWarner(&out, col, func(runner.Progress) { calls++ })
	w.progress(runner.Progress{})
	assert.Empty(t, out.String(), "nothing known yet")

	start := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	// A call every 50 ms: its create, progress and answer events come
	// 300 µs and 12 ms apart.
	for i := range 60 {
		call := start.Add(time.Duration(i) * 50 * time.Millisecond)
		for _, d := range []time.Duration{0, 300 * time.Microsecond, 12 * time.Millisecond} {
			at := call.Add(d)
			col.Clocks().Observe("fs1", at.Truncate(20*time.Millisecond), at.Add(time.Millisecond))
			col.Clocks().Observe("agent", at, at.Add(100*time.Microsecond))
		}
	}
	w.progress(runner.Progress{})
	w.progress(runner.Progress{})
	assert.Equal(t, 1, strings.Count(out.String(), "warning: node fs1 stamps its events in 20ms steps"), out.String())
	assert.NotContains(t, out.String(), "node agent")
	assert.Equal(t, 3, calls, "the progress chain goes on")
}
