package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/callplan/callplan/plan"
	"github.com/callplan/callplan/report"
)

const reportExamples = `  callplan report results/smoke-20261122T120000Z
  callplan report --format junit --out junit.xml results/smoke-20261122T120000Z
  callplan report --format html --out report.html results/smoke-20261122T120000Z
  callplan report --baseline results/smoke-last-release --tolerance 0.05 results/smoke-20261122T120000Z
  callplan report --baseline results/smoke-last-release --floor pdd.p95=5ms --floor asr=0.01 results/smoke-20261122T120000Z`

// runReport re-renders a finished run's saved results (report.json) in any
// format, optionally against a baseline run. It exits with the run's own
// status (0 passed, 1 failed or aborted, 3 infrastructure, 4 interrupted),
// or 1 when the run passed but regressed against the baseline.
func runReport(_ context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "report", "report RESULTS_DIR [--format table|json|junit|csv|html] [--out FILE] [--baseline OLD_RESULTS_DIR [--tolerance 0.1]]", reportExamples)
	format := fs.String("format", string(report.FormatTable), "report `format`: table, json, junit, csv or html")
	out := fs.String("out", "", "write the report to `file` instead of stdout")
	baseline := fs.String("baseline", "", "compare with the results in `dir` and fail (exit 1) on a regression")
	tolerance := fs.Float64("tolerance", plan.DefaultReportTolerance, "with --baseline: relative change allowed before a metric regresses (`ratio`, 0.1 = 10%; default: the plan's report.tolerance)")
	floors := floorFlags{}
	fs.Var(floors, "floor", "with --baseline: smallest absolute change that can regress, `metric=value` (pdd.p95=5ms, asr=0.01, mos.p5=0.2; repeatable)")
	if err := parseFlags(fs, reorderFlags(fs, args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return usageErrorf("want exactly one results directory, got %d", fs.NArg())
	}
	if *tolerance < 0 {
		return usageErrorf("--tolerance must be >= 0, got %g", *tolerance)
	}
	res, err := report.Read(fs.Arg(0))
	if err != nil {
		return withCode(ExitInvalid, err)
	}
	if *baseline != "" {
		base, err := report.Read(*baseline)
		if err != nil {
			return withCode(ExitInvalid, fmt.Errorf("baseline: %w", err))
		}
		if !flagSet(fs, "tolerance") && res.Plan.Tolerance > 0 {
			*tolerance = res.Plan.Tolerance
		}
		res.Baseline = report.CompareFloors(base, res, *tolerance, floors)
		for _, w := range res.Baseline.Warnings {
			fmt.Fprintf(env.Stderr, "callplan report: warning: %s\n", w)
		}
	}
	if *out != "" {
		res.LinkBase = linkBase(*out, fs.Arg(0))
	}
	rep, err := report.For(report.Format(*format), res)
	if err != nil {
		return withCode(ExitInvalid, err)
	}
	if err := writeReport(env.Stdout, *out, rep); err != nil {
		return err
	}
	if *out != "" {
		fmt.Fprintf(env.Stderr, "callplan report: wrote %s (%s) from %s\n", *out, *format, fs.Arg(0))
	}
	code := ExitCode(res.Status.ExitCode())
	if code == ExitPassed && res.Baseline.Regressed() {
		fmt.Fprintf(env.Stderr, "callplan report: regressed against baseline %s beyond %g\n", res.Baseline.Run, *tolerance)
		code = ExitAssertionsFailed
	}
	if code != ExitPassed {
		return withCode(code, errReported)
	}
	return nil
}

func writeReport(stdout io.Writer, path string, rep report.Reporter) error {
	if path == "" {
		return rep(stdout)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating report file: %w", err)
	}
	if err := rep(f); err != nil {
		f.Close()
		return fmt.Errorf("writing report: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	return nil
}

// flagSet reports whether name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// linkBase is the results directory as seen from the directory the report
// is written to, so the HTML page's links to cdr.csv and the rest work
// wherever it lands; "" when both are the same directory.
func linkBase(out, resultsDir string) string {
	from, err1 := filepath.Abs(filepath.Dir(out))
	to, err2 := filepath.Abs(resultsDir)
	if err1 != nil || err2 != nil {
		return filepath.ToSlash(resultsDir)
	}
	rel, err := filepath.Rel(from, to)
	if err != nil {
		// Another volume: only an absolute link can reach it.
		return filepath.ToSlash(to)
	}
	if rel == "." {
		return ""
	}
	return filepath.ToSlash(rel)
}

// floorFlags collects --floor metric=value: a duration for the latencies
// (5ms), a ratio for asr, success and loss (0.01), MOS points for mos.
type floorFlags map[string]float64

func (f floorFlags) String() string { return "" }

func (f floorFlags) Set(v string) error {
	name, val, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("want metric=value, got %q", v)
	}
	known := report.ComparedMetrics()
	if !slices.Contains(known, name) {
		msg := fmt.Sprintf("unknown metric %q", name)
		if s := plan.Suggest(name, known); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		return fmt.Errorf("%s; compared metrics: %s", msg, strings.Join(known, ", "))
	}
	if strings.Contains(name, "latency") || strings.HasPrefix(name, "pdd") {
		d, err := time.ParseDuration(val)
		if err != nil || d < 0 {
			return fmt.Errorf("%s: want a duration such as 5ms, got %q", name, val)
		}
		f[name] = float64(d) / float64(time.Millisecond)
		return nil
	}
	r, err := strconv.ParseFloat(val, 64)
	if err != nil || r < 0 || r > 1 {
		return fmt.Errorf("%s: want a ratio from 0 to 1 such as 0.01, got %q", name, val)
	}
	f[name] = r
	return nil
}
