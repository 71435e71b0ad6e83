package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/callplan/callplan/plan"
)

// SearchFile is the capacity search's result, written to its folder.
const SearchFile = "search.json"

// searchRun is what `callplan run` hands a capacity search.
type searchRun struct {
	planFile string
	sets     []string
	dir      string // "" = <report.dir>/<name>-search-<timestamp>
	noSmoke  bool
}

// searchStep is one step's evidence, read back from its report.json.
type searchStep struct {
	Rate      float64  `json:"rate"`
	Dir       string   `json:"dir"`
	Exit      int      `json:"exit"`
	Status    string   `json:"status"`
	Passed    bool     `json:"passed"`
	Offered   int64    `json:"offered"`
	Answered  int64    `json:"answered"`
	ASR       float64  `json:"asr"`
	CPSMean   float64  `json:"cps_mean"`
	Failing   []string `json:"failing_assertions,omitempty"`
	Saturated []string `json:"saturated_nodes,omitempty"`
	Limiter   string   `json:"limited_by,omitempty"`
}

// searchResult is search.json.
type searchResult struct {
	Plan      string       `json:"plan"`
	Highest   float64      `json:"highest_passing_rate"`
	LimitedBy string       `json:"limited_by"`
	Ended     string       `json:"ended"`
	Steps     []searchStep `json:"steps"`
}

// runSearch runs a plan's capacity search. Each step is a whole `callplan
// run` of the plan with its stage's rate set (and --no-search), in its own
// folder with its own records and reports: the evidence for that rate. A
// step passes when it exits 0. A step that exits 3 (a generator saturated
// or lost, the run could not be trusted) ends the search at once: that is
// the guard that stops it before it collapses a node, and the answer then
// is about the generator, not the system under test.
func runSearch(ctx context.Context, env Env, o searchRun, p *plan.Plan) error {
	dir := o.dir
	if dir == "" {
		dir = filepath.Join(p.Report.Dir, p.Name+"-search-"+time.Now().UTC().Format("20060102T150405Z"))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating results dir: %w", err)
	}
	s := searcher{start: p.Stages[0].Rate.From, max: p.Search.Max, factor: p.Search.Factor,
		precision: p.Search.Precision, maxSteps: p.Search.MaxSteps}
	res := searchResult{Plan: p.Name}
	fmt.Fprintf(env.Stderr, "callplan: capacity search of %s from %g to at most %g calls/s, %s per step, results in %s\n",
		p.Name, s.start, s.max, p.Stages[0].Duration, dir)
	code := ExitPassed
	for {
		rate, done, why := s.next()
		if done {
			res.Ended = why
			break
		}
		step, err := runSearchStep(ctx, env, o, dir, len(res.Steps)+1, rate)
		if err != nil {
			return err
		}
		res.Steps = append(res.Steps, step)
		fmt.Fprintf(env.Stderr, "callplan: step %d at %g calls/s: %s\n", len(res.Steps), rate, stepLine(step))
		if step.Exit == int(ExitInterrupted) {
			res.Ended, code = "interrupted", ExitInterrupted
			break
		}
		if step.Exit == int(ExitInfrastructure) || step.Exit == int(ExitInvalid) {
			res.Ended, code = "stopped by the guard: "+step.Limiter, ExitInfrastructure
			res.LimitedBy = step.Limiter
			break
		}
		s.record(rate, step.Passed)
	}
	res.Highest = s.pass
	if res.LimitedBy == "" {
		res.LimitedBy = limitedBy(s, res.Steps)
	}
	if code == ExitPassed && s.pass == 0 {
		code = ExitAssertionsFailed
	}
	if err := writeJSONFile(filepath.Join(dir, SearchFile), res); err != nil {
		return err
	}
	printSearch(env.Stdout, res, dir)
	if code != ExitPassed {
		return withCode(code, errReported)
	}
	return nil
}

// runSearchStep runs one step through Main, so it is exactly a `callplan
// run`; its output goes to run.log in the step's folder.
func runSearchStep(ctx context.Context, env Env, o searchRun, dir string, n int, rate float64) (searchStep, error) {
	stepDir := filepath.Join(dir, fmt.Sprintf("step-%02d-%gcps", n, rate))
	if err := os.MkdirAll(stepDir, 0o755); err != nil {
		return searchStep{}, fmt.Errorf("creating step dir: %w", err)
	}
	log, err := os.Create(filepath.Join(stepDir, "run.log"))
	if err != nil {
		return searchStep{}, fmt.Errorf("creating step log: %w", err)
	}
	defer log.Close()
	args := []string{"run", "--no-search", "--quiet", "--out", stepDir}
	if o.noSmoke || n > 1 {
		// The first step's smoke call proved the path; later steps skip it.
		args = append(args, "--no-smoke-call")
	}
	for _, s := range o.sets {
		args = append(args, "--set", s)
	}
	args = append(args, "--set", "stages[0].rate="+strconv.FormatFloat(rate, 'g', -1, 64), o.planFile)
	stepEnv := env
	stepEnv.Stdout, stepEnv.Stderr = log, log
	exit := Main(ctx, args, stepEnv)
	step := readStep(stepDir, exit)
	step.Rate, step.Dir = rate, stepDir
	return step, nil
}

// readStep reads a step's report.json; a step that wrote none (it could
// not start) keeps only its exit status.
func readStep(dir string, exit ExitCode) searchStep {
	st := searchStep{Exit: int(exit), Passed: exit == ExitPassed}
	var rep struct {
		Status  string `json:"status"`
		Summary struct {
			Offered    int64                  `json:"offered"`
			Answered   int64                  `json:"answered"`
			ASR        float64                `json:"asr"`
			CPS        struct{ Mean float64 } `json:"cps"`
			Generators map[string]struct {
				Saturated     bool `json:"saturated"`
				AtMaxSessions bool `json:"at_max_sessions"`
			} `json:"generators"`
		} `json:"summary"`
		Verdicts []struct {
			Name string `json:"name"`
			Pass bool   `json:"pass"`
		} `json:"verdicts"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil || json.Unmarshal(b, &rep) != nil {
		st.Status = "no report"
		st.Limiter = "callplan could not run this step (see its run.log)"
		return st
	}
	st.Status, st.Offered, st.Answered, st.ASR, st.CPSMean = rep.Status, rep.Summary.Offered,
		rep.Summary.Answered, rep.Summary.ASR, rep.Summary.CPS.Mean
	for _, v := range rep.Verdicts {
		if !v.Pass {
			st.Failing = append(st.Failing, v.Name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(rep.Summary.Generators)) {
		if g := rep.Summary.Generators[name]; g.Saturated || g.AtMaxSessions {
			st.Saturated = append(st.Saturated, name)
		}
	}
	switch {
	case len(st.Saturated) > 0:
		st.Limiter = "generator node " + strings.Join(st.Saturated, ", ")
	case exit == ExitInfrastructure:
		st.Limiter = "generator or runner (the step could not be trusted; see its report)"
	case exit == ExitAssertionsFailed:
		st.Limiter = "system under test"
	}
	return st
}

// limitedBy names the side that set the answer of a search that ended on
// its own.
func limitedBy(s searcher, steps []searchStep) string {
	if s.fail == 0 {
		return "nothing: search.max reached with every step passing"
	}
	for i := len(steps) - 1; i >= 0; i-- {
		if !steps[i].Passed && steps[i].Limiter != "" {
			return steps[i].Limiter
		}
	}
	return "system under test"
}

func stepLine(st searchStep) string {
	verdict := "passed"
	switch {
	case st.Passed:
	case st.Status == "failed":
		verdict = "failed"
	default:
		verdict = "failed (" + st.Status + ")"
	}
	line := fmt.Sprintf("%s, offered %d, answered %d, asr %.3f, achieved %.1f calls/s", verdict, st.Offered, st.Answered, st.ASR, st.CPSMean)
	if len(st.Failing) > 0 {
		line += "; failing: " + strings.Join(st.Failing, ", ")
	}
	if st.Limiter != "" && !st.Passed {
		line += "; limited by " + st.Limiter
	}
	return line
}

func printSearch(w io.Writer, res searchResult, dir string) {
	fmt.Fprintf(w, "capacity search of %s: ", res.Plan)
	if res.Highest > 0 {
		fmt.Fprintf(w, "highest passing rate %g calls/s", res.Highest)
	} else {
		fmt.Fprint(w, "no rate passed")
	}
	fmt.Fprintf(w, ", limited by %s (%s)\n\n", res.LimitedBy, res.Ended)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "step\trate\tresult\toffered\tanswered\tasr\tachieved\tfailing assertions")
	for i, st := range res.Steps {
		result := "pass"
		if !st.Passed {
			result = st.Status
		}
		fmt.Fprintf(tw, "%d\t%g\t%s\t%d\t%d\t%.3f\t%.1f\t%s\n", i+1, st.Rate, result, st.Offered, st.Answered,
			st.ASR, st.CPSMean, strings.Join(st.Failing, ", "))
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "\nevidence per step: %s/step-*/ ; summary: %s\n", dir, filepath.Join(dir, SearchFile))
}

func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", filepath.Base(path), err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", filepath.Base(path), err)
	}
	return nil
}
