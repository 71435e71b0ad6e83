package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/callplan/callplan/agent"
	"github.com/callplan/callplan/metrics"
	"github.com/callplan/callplan/plan"
)

// A plan's faults act on the embedded agents callplan runs: at each
// fault's time (from the run's start, second 0 of the time series) the
// agent is told to stop, start, reject, black-hole, slow down or heal. Each
// is marked in the summary (report time axes), printed as it happens, and
// shown in the live line while it lasts.

// faultEvent is one timed change; a fault with `for` becomes two.
type faultEvent struct {
	at     time.Duration
	node   string
	fault  agent.Fault
	detail string
}

// faultSchedule expands the plan's faults into events in time order (plan
// order among equal times).
func faultSchedule(faults []plan.Fault) []faultEvent {
	var out []faultEvent
	for _, f := range faults {
		out = append(out, eventOf(f.At.D(), f.Node, f.Action, f))
		if f.For > 0 && f.Undo() != "" {
			out = append(out, eventOf(f.At.D()+f.For.D(), f.Node, f.Undo(), f))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at < out[j].at })
	return out
}

func eventOf(at time.Duration, node string, a plan.FaultAction, f plan.Fault) faultEvent {
	ev := faultEvent{at: at, node: node, fault: agent.Fault{Kind: agent.FaultKind(a)}}
	switch a {
	case plan.FaultReject:
		ev.fault.Code = f.Code
		ev.detail = fmt.Sprint(f.Code)
	case plan.FaultSlow:
		ev.fault.Delay = f.Delay.D()
		ev.detail = f.Delay.String()
	}
	return ev
}

// faultRunner applies the schedule to the agents.
type faultRunner struct {
	agents map[string]*agent.Agent
	col    *metrics.Collector
	log    io.Writer

	mu    sync.Mutex
	state map[string]string // node -> the fault in force, for the live line
	wg    sync.WaitGroup
	stop  context.CancelFunc
}

// startFaults starts applying the schedule from the collector's start; the
// returned runner's wait stops it. With no faults it does nothing.
func startFaults(ctx context.Context, events []faultEvent, agents map[string]*agent.Agent, col *metrics.Collector, log io.Writer) *faultRunner {
	f := &faultRunner{agents: agents, col: col, log: log, state: map[string]string{}}
	if len(events) == 0 {
		f.stop = func() {}
		return f
	}
	ctx, f.stop = context.WithCancel(ctx)
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		start := col.Start()
		for _, ev := range events {
			t := time.NewTimer(time.Until(start.Add(ev.at)))
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			f.apply(ctx, ev)
		}
	}()
	return f
}

func (f *faultRunner) apply(ctx context.Context, ev faultEvent) {
	a := f.agents[ev.node]
	err := fmt.Errorf("node %s is not an embedded agent", ev.node)
	if a != nil {
		err = a.Inject(ctx, ev.fault)
	}
	m := f.col.MarkFault(ev.node, string(ev.fault.Kind), ev.detail, err)
	what := strings.TrimSpace(string(ev.fault.Kind) + " " + ev.detail)
	if err != nil {
		fmt.Fprintf(f.log, "callplan: fault at %s: %s %s failed: %v\n", m.At.Round(time.Millisecond), ev.node, what, err)
		return
	}
	fmt.Fprintf(f.log, "callplan: fault at %s: %s %s\n", m.At.Round(time.Millisecond), ev.node, what)
	f.mu.Lock()
	defer f.mu.Unlock()
	switch ev.fault.Kind {
	case agent.FaultStart:
		if f.state[ev.node] == "stopped" {
			delete(f.state, ev.node)
		}
	case agent.FaultHeal:
		if f.state[ev.node] != "stopped" {
			delete(f.state, ev.node)
		}
	case agent.FaultStop:
		f.state[ev.node] = "stopped"
	default:
		f.state[ev.node] = what
	}
}

// status is the live line's fault part: "faults: b stopped, c slow 2s",
// or "" when every node is healthy.
func (f *faultRunner) status() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.state) == 0 {
		return ""
	}
	parts := make([]string, 0, len(f.state))
	for _, n := range slices.Sorted(maps.Keys(f.state)) {
		parts = append(parts, n+" "+f.state[n])
	}
	return "faults: " + strings.Join(parts, ", ")
}

// wait stops applying faults (the run is over) and waits for the runner.
func (f *faultRunner) wait() {
	f.stop()
	f.wg.Wait()
}

// agentsOf maps the embedded nodes' names to their agents.
func agentsOf(nodes []openNode) map[string]*agent.Agent {
	out := map[string]*agent.Agent{}
	for _, n := range nodes {
		if n.agent != nil {
			out[n.plan.Name] = n.agent
		}
	}
	return out
}

// Write prints a line of its own between progress lines: on a terminal
// the live line is cleared first and redrawn at the next update.
func (p *progressPrinter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
	}
	return p.w.Write(b)
}
