package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/callplan/callplan/assert"
	"github.com/callplan/callplan/metrics"
)

// Schema identifies the JSON report's format (docs/reports.md). It changes
// only when a field changes meaning or goes away; fields may be added
// within a version.
const Schema = "callplan.report/v1"

// File names a run writes into its results directory. ResultsFile is the
// JSON report, which is also what `callplan report` reads back.
const (
	ResultsFile = "report.json"
	TableFile   = "report.txt"
	JUnitFile   = "junit.xml"
	CSVFile     = "summary.csv"
	HTMLFile    = "report.html"
)

// Results is everything a report shows: the plan's shape, the run's
// summary and per-second series, and the verdicts. Its JSON form is
// report.json (schema callplan.report/v1). Durations inside the metrics
// summary and series are integer nanoseconds (Go's encoding), the plan's
// and verdicts' durations are Go duration strings ("30s").
type Results struct {
	Schema   string           `json:"schema"`
	Status   Status           `json:"status"`
	Plan     PlanInfo         `json:"plan"`
	Summary  metrics.Summary  `json:"summary"`
	Seconds  []metrics.Second `json:"seconds"`
	Verdicts []assert.Verdict `json:"verdicts"`
	// Aborted names the assertion that stopped the run, if one did.
	Aborted string `json:"aborted,omitempty"`
	// Files are the run's other outputs, relative to the results
	// directory: the call records and the time series.
	Files Files `json:"files"`
	// Baseline is set when the report compares the run with an older one.
	Baseline *Comparison `json:"baseline,omitempty"`
	// Events are what happened to the nodes, by second (timeline.go);
	// the caller fills them in from what it watched during the run.
	Events []NodeEvent `json:"events,omitempty"`
	// NodeSeries are each caller node's calls per second.
	NodeSeries []NodeSeries `json:"node_series,omitempty"`
	// LinkBase is where the HTML report's links to Files lead, relative
	// to where the page is written: "" when it sits in the results
	// directory, "../results/smoke-…" when written elsewhere.
	LinkBase string `json:"-"`
	// Failure is set when the run could not run its plan to the end for a
	// reason outside the figures (a node unreachable, the smoke call
	// failed); see Failure.
	Failure *Failure `json:"failure,omitempty"`
}

// PlanInfo is what a report needs of the plan: its name and file, and each
// stage's target load (to chart target against achieved calls per second).
// The caller builds it from its plan (cmd/callplan's planInfo); report does
// not import package plan.
type PlanInfo struct {
	Name   string      `json:"name"`
	File   string      `json:"file,omitempty"`
	Stages []StageInfo `json:"stages"`
	// Tolerance is the plan's report.tolerance: what `callplan report
	// --baseline` allows when no --tolerance is given.
	Tolerance float64 `json:"tolerance,omitempty"`
}

// StageInfo is one stage's targets.
type StageInfo struct {
	Name     string     `json:"name"`
	Duration assert.Sec `json:"duration"`
	RateFrom float64    `json:"rate_from"`
	RateTo   float64    `json:"rate_to"`
	Limit    int        `json:"limit"`
	Hold     assert.Sec `json:"hold"`
}

// Files are paths relative to the results directory.
type Files struct {
	CDRCSV        string `json:"cdr_csv,omitempty"`
	CDRJSONL      string `json:"cdr_jsonl,omitempty"`
	TimeSeriesCSV string `json:"timeseries_csv,omitempty"`
}

// Status is a run's outcome as a whole.
type Status string

// Statuses, in order of precedence (the first that applies).
const (
	StatusInterrupted    Status = "interrupted"    // the user stopped the run (exit 4)
	StatusInfrastructure Status = "infrastructure" // a generator was unhealthy or unusable, or the run failed: figures untrustworthy (exit 3)
	StatusAborted        Status = "aborted"        // an abort: true assertion stopped the run (exit 1)
	StatusFailed         Status = "failed"         // an assertion failed (exit 1)
	StatusPassed         Status = "passed"         // every assertion held (exit 0)
)

// ExitCode is the process status the run ends with for this status
// (docs/exit-codes.md).
func (s Status) ExitCode() int {
	switch s {
	case StatusInterrupted:
		return 4
	case StatusInfrastructure:
		return 3
	case StatusAborted, StatusFailed:
		return 1
	}
	return 0
}

// New assembles the results of a run. aborted is the live verdict that
// stopped the run, or nil; the verdicts already reflect it (assert's
// Evaluate). Files are named when they exist in dir ("" dir: the standard
// names are assumed). The plan comes as the report's own PlanInfo, filled
// in by the caller, so that report depends only on metrics and assert
// (docs/design.md's package map).
func New(pi PlanInfo, sum metrics.Summary, secs []metrics.Second, verdicts []assert.Verdict, aborted *assert.Verdict) *Results {
	r := &Results{
		Schema: Schema, Plan: pi, Summary: sum, Seconds: secs, Verdicts: verdicts,
		Files: Files{CDRCSV: metrics.CDRCSVFile, CDRJSONL: metrics.CDRJSONLFile, TimeSeriesCSV: metrics.TimeSeriesCSVFile},
	}
	if r.Plan.Stages == nil {
		r.Plan.Stages = []StageInfo{}
	}
	if r.Seconds == nil {
		r.Seconds = []metrics.Second{}
	}
	if r.Verdicts == nil {
		r.Verdicts = []assert.Verdict{}
	}
	if aborted != nil {
		r.Aborted = aborted.Name
	}
	r.NodeSeries = nodeSeries(secs)
	r.Status = r.status()
	return r
}

func (r *Results) status() Status {
	switch {
	case r.Summary.Interrupted:
		return StatusInterrupted
	case r.Failure != nil, !r.Summary.Healthy():
		return StatusInfrastructure
	case r.Aborted != "":
		return StatusAborted
	case !assert.Passed(r.Verdicts):
		return StatusFailed
	}
	return StatusPassed
}

// Read loads a results directory's report.json.
func Read(dir string) (*Results, error) {
	f, err := os.Open(filepath.Join(dir, ResultsFile))
	if err != nil {
		return nil, fmt.Errorf("reading results: %w", err)
	}
	defer f.Close()
	return Decode(f)
}

// ErrSchema is returned for a report.json of another schema.
var ErrSchema = errors.New("unsupported report schema")

// Decode reads a JSON report.
func Decode(rd io.Reader) (*Results, error) {
	var r Results
	dec := json.NewDecoder(rd)
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("decoding results: %w", err)
	}
	if r.Schema != Schema {
		return nil, fmt.Errorf("%w %q (this callplan reads %q)", ErrSchema, r.Schema, Schema)
	}
	return &r, nil
}

// TargetCPS is the planned calls per second in the middle of second i of
// the run, from the stages' rates laid end to end (0 after the last
// stage). The runner starts each stage when the previous one's duration is
// over, so this is the curve its pacer integrates.
func (p PlanInfo) TargetCPS(i int) float64 {
	t := (time.Duration(i) * time.Second) + time.Second/2
	var start time.Duration
	for _, s := range p.Stages {
		d := time.Duration(s.Duration)
		if t < start+d && d > 0 {
			frac := float64(t-start) / float64(d)
			return s.RateFrom + (s.RateTo-s.RateFrom)*frac
		}
		start += d
	}
	return 0
}
