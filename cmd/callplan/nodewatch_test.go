package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/callplan/callplan/metrics"
	"github.com/callplan/callplan/report"
	"github.com/callplan/callplan/runner"
)

func TestNodeWatch(t *testing.T) {
	t.Parallel()
	w := newNodeWatch()
	for _, p := range []runner.Progress{
		{Elapsed: 1 * time.Second},
		{Elapsed: 2 * time.Second, Saturated: []string{"fs2"}},
		{Elapsed: 3 * time.Second, Saturated: []string{"fs2"}, Down: []string{"fs1"}},
		{Elapsed: 4 * time.Second, Down: []string{"fs1"}},
		{Elapsed: 6 * time.Second},
		{Elapsed: 7 * time.Second, Saturated: []string{"fs2"}},
	} {
		w.observe(p)
	}
	// The series starts 3 s before the first stage (preflight, smoke call).
	secs := []metrics.Second{{Index: 0}, {Index: 1}, {Index: 2}, {Index: 3, Stage: "s"}}
	assert.Equal(t, []report.NodeEvent{
		{Second: 5, Node: "fs2", Kind: report.EventSaturated},
		{Second: 6, Node: "fs1", Kind: report.EventDown},
		{Second: 9, Node: "fs1", Kind: report.EventReconnected},
		{Second: 10, Node: "fs2", Kind: report.EventSaturated},
	}, w.seriesEvents(secs))
}
