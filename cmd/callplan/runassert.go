package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/callplan/callplan/assert"
	"github.com/callplan/callplan/metrics"
	"github.com/callplan/callplan/plan"
	"github.com/callplan/callplan/report"
	"github.com/callplan/callplan/runner"
)

// abortGuard judges the plan's abort: true assertions once a second, from
// the runner's progress callback (its ticker goroutine, right after the
// collector sealed the last second), and stops the run on the first
// failure by cancelling the run's context: the runner then stops
// originating and hangs up this run's calls, as for Ctrl-C.
type abortGuard struct {
	set    *assert.Set
	live   *assert.Live
	col    *metrics.Collector
	cancel context.CancelFunc
	next   func(runner.Progress)
	// watch records node events from the same progress reports.
	watch *nodeWatch

	mu      sync.Mutex
	verdict *assert.Verdict
}

func newAbortGuard(set *assert.Set, col *metrics.Collector, cancel context.CancelFunc, next func(runner.Progress)) *abortGuard {
	return &abortGuard{set: set, live: set.Live(), col: col, cancel: cancel, next: next, watch: newNodeWatch()}
}

func (g *abortGuard) progress(p runner.Progress) {
	g.watch.observe(p)
	g.mu.Lock()
	if g.verdict == nil && g.set.Len() > 0 {
		sum, secs := g.col.Summary(), g.col.Seconds()
		if v := g.live.Check(p.Elapsed, &sum, secs); v != nil {
			g.verdict = v
			g.cancel()
		}
		p.FailingAsserts = append(p.FailingAsserts, g.set.Failing(p.Elapsed, &sum, secs)...)
	}
	if g.verdict != nil {
		p.FailingAsserts = append(p.FailingAsserts, "aborted by "+g.verdict.Name)
	}
	g.mu.Unlock()
	if g.next != nil {
		g.next(p)
	}
}

// aborted is the verdict that stopped the run, or nil.
func (g *abortGuard) aborted() *assert.Verdict {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.verdict
}

// finishRun evaluates the assertions over the finished run, writes the
// reports the plan asks for (report.json always) into dir, prints the
// table report fitted to the terminal, and returns the run's exit status: 4 interrupted, 3 an
// unhealthy generator, 1 an assertion failed or aborted the run, else 0.
//
// s is the run's summary as summary.json has it (an assertion's abort
// already cleared from Interrupted: it is not a user interrupt).
func finishRun(env Env, p *plan.Plan, dir string, set *assert.Set, col *metrics.Collector, s metrics.Summary, aborted *assert.Verdict, watch *nodeWatch) error {
	secs := col.Seconds()
	verdicts := set.Evaluate(&s, secs, aborted)
	r := report.New(planInfo(p), s, secs, verdicts, aborted)
	r.Events = watch.seriesEvents(secs)
	formats := make([]report.Format, 0, len(p.Report.Formats))
	for _, f := range p.Report.Formats {
		formats = append(formats, report.Format(f))
	}
	if err := report.WriteDir(dir, r, formats); err != nil {
		return fmt.Errorf("writing reports: %w", err)
	}
	// The whole table report, not only the verdicts: the per-stage,
	// flow and node figures, latencies and causes are what a reader
	// looks for first (docs/reports.md, "In the terminal").
	if err := report.TableWidth(r, terminalWidth(env.Stdout))(env.Stdout); err != nil {
		return fmt.Errorf("printing the report: %w", err)
	}
	failed := 0
	for _, v := range verdicts {
		if !v.Pass {
			failed++
		}
	}
	switch r.Status {
	case report.StatusInterrupted:
		return withCode(ExitInterrupted, fmt.Errorf("interrupted: this run's calls were hung up; records so far are in %s", dir))
	case report.StatusInfrastructure:
		return withCode(ExitInfrastructure, fmt.Errorf("a generator node was unhealthy (see generators above): the measurement cannot be trusted"))
	case report.StatusAborted:
		return withCode(ExitAssertionsFailed, fmt.Errorf("aborted by %s: %s", aborted.Name, aborted.ObservedText()))
	case report.StatusFailed:
		return withCode(ExitAssertionsFailed, fmt.Errorf("%d of %d assertion(s) failed", failed, len(verdicts)))
	}
	return nil
}
