package main

import (
	"slices"
	"sync"
	"time"

	"github.com/callplan/callplan/metrics"
	"github.com/callplan/callplan/report"
	"github.com/callplan/callplan/runner"
)

// nodeWatch records what happens to the nodes during a run, from the
// runner's progress reports (about one a second): a node whose ESL
// connection went down or came back, a node the overdrive guard started
// holding calls back from. The HTML report marks these on its time axis.
type nodeWatch struct {
	mu        sync.Mutex
	down, sat map[string]bool
	events    []report.NodeEvent // Second is run seconds until seriesEvents
}

func newNodeWatch() *nodeWatch {
	return &nodeWatch{down: map[string]bool{}, sat: map[string]bool{}}
}

// observe takes one progress report and records the changes since the
// last.
func (w *nodeWatch) observe(p runner.Progress) {
	w.mu.Lock()
	defer w.mu.Unlock()
	sec := int(p.Elapsed / time.Second)
	w.edges(sec, p.Down, w.down, report.EventDown, report.EventReconnected)
	w.edges(sec, p.Saturated, w.sat, report.EventSaturated, "")
}

// edges records nodes that entered now (on) and, when off is set, those
// that left it.
func (w *nodeWatch) edges(sec int, now []string, was map[string]bool, on, off string) {
	for _, n := range now {
		if !was[n] {
			w.events = append(w.events, report.NodeEvent{Second: sec, Node: n, Kind: on})
		}
	}
	for n := range was {
		if !slices.Contains(now, n) && off != "" {
			w.events = append(w.events, report.NodeEvent{Second: sec, Node: n, Kind: off})
		}
	}
	clear(was)
	for _, n := range now {
		was[n] = true
	}
}

// seriesEvents are the events on the series' clock. Progress counts from
// the first stage's start, the series from the collector's, which starts
// before preflight and the smoke call; the first second that belongs to a
// stage is where run time 0 falls.
func (w *nodeWatch) seriesEvents(secs []metrics.Second) []report.NodeEvent {
	w.mu.Lock()
	defer w.mu.Unlock()
	offset := 0
	for _, s := range secs {
		if s.Stage != "" {
			offset = s.Index
			break
		}
	}
	out := make([]report.NodeEvent, len(w.events))
	for i, e := range w.events {
		e.Second += offset
		out[i] = e
	}
	slices.SortStableFunc(out, func(a, b report.NodeEvent) int { return a.Second - b.Second })
	return out
}
