package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/callplan/callplan/metrics"
	"github.com/callplan/callplan/plan"
	"github.com/callplan/callplan/report"
	"github.com/callplan/callplan/runner"
)

// nodeFailures are every node that could not be used, not only the first:
// someone fixing a cluster wants the whole list at once.
type nodeFailures []report.NodeFailure

func (f nodeFailures) Error() string {
	parts := make([]string, len(f))
	for i, n := range f {
		parts[i] = "node " + n.Node + ": " + n.Error
	}
	if len(f) == 1 {
		return parts[0]
	}
	return fmt.Sprintf("%d nodes cannot be used: %s", len(f), strings.Join(parts, "; "))
}

// failRun ends a run that read its plan but could not run it to the end:
// a node unusable, the smoke call failed, the run itself failed. It still
// leaves summary.json, report.json and junit.xml (and the plan's formats)
// in dir with the reason, so `callplan report DIR` and a CI JUnit publisher
// find what happened, and returns cause with exit 3.
func failRun(p *plan.Plan, dir string, sum metrics.Summary, cause error, nodes []openNode) error {
	f := report.Failure{Reason: cause.Error()}
	var nf nodeFailures
	var se *runner.SmokeError
	switch {
	case errors.As(cause, &nf):
		f.Nodes = nf
		f.Reason = fmt.Sprintf("%d of %d node(s) could not be used", len(nf), len(p.Nodes))
	case errors.As(cause, &se):
		f.Reason = smokeReport(p, nodes, se)
		f.Nodes = []report.NodeFailure{{Node: se.Node, Error: "smoke call: " + cameBack(&se.Record)}}
		cause = errors.New(f.Reason)
	}
	r := report.New(planInfo(p), sum, nil, nil, nil).Failed(f)
	formats := make([]report.Format, 0, len(p.Report.Formats))
	for _, x := range p.Report.Formats {
		formats = append(formats, report.Format(x))
	}
	werr := writeSummary(filepath.Join(dir, SummaryFile), &r.Summary)
	if werr == nil {
		werr = report.WriteDir(dir, r, formats)
	}
	if werr != nil {
		return withCode(ExitInfrastructure, errors.Join(cause, fmt.Errorf("writing reports: %w", werr)))
	}
	return withCode(ExitInfrastructure, fmt.Errorf("%w\nreport: %s", cause, filepath.Join(dir, report.ResultsFile)))
}

// emptySummary is the summary of a run that never started its load.
func emptySummary(runID string, p *plan.Plan, started time.Time) metrics.Summary {
	return metrics.Summary{Run: runID, Plan: p.Name, Started: started, Elapsed: time.Since(started)}
}
