package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	verdict "github.com/callplan/callplan/assert"
	"github.com/callplan/callplan/metrics"
	"github.com/callplan/callplan/plan"
	"github.com/callplan/callplan/report"
	"github.com/callplan/callplan/runner"
)

// TestRunFailingAssertions runs plans that must fail, one per kind of
// assertion, end to end on the embedded agent: each exits 1, prints the
// failing verdicts, and saves them in report.json with the figures that
// failed them.
func TestRunFailingAssertions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		plan   string
		failed []string // verdicts that must fail; the others must pass
		status report.Status
	}{
		{"fail-ratio", []string{"every call answered"}, report.StatusFailed},
		{"fail-latency", []string{"instant answer"}, report.StatusFailed},
		{"fail-cause", []string{"nobody busy", "no 486"}, report.StatusFailed},
		{"fail-flow", []string{"reject answered"}, report.StatusFailed},
		{"fail-stage", []string{"burst drops nothing"}, report.StatusFailed},
		{"fail-window", []string{"answered every second"}, report.StatusFailed},
		{"abort", []string{"keep answering"}, report.StatusAborted},
		{"abort-window", []string{"keep answering"}, report.StatusAborted},
	} {
		t.Run(tc.plan, func(t *testing.T) {
			dir := t.TempDir()
			start := time.Now()
			code, out, errOut := runCLI(t, "run", filepath.Join("testdata", "assert", tc.plan+".yaml"), "--out", dir, "--quiet", "--no-smoke-call")
			require.Equal(t, ExitAssertionsFailed, code, "stdout %s\nstderr %s", out, errOut)
			r, err := report.Read(dir)
			require.NoError(t, err)
			assert.Equal(t, tc.status, r.Status)
			require.NotEmpty(t, r.Verdicts)
			b, err := os.ReadFile(filepath.Join(dir, SummaryFile))
			require.NoError(t, err)
			var sum metrics.Summary
			require.NoError(t, json.Unmarshal(b, &sum))
			assert.Equal(t, r.Summary.Interrupted, sum.Interrupted, "summary.json and report.json agree")
			assert.Equal(t, r.Summary.Calls, sum.Calls)
			for _, v := range r.Verdicts {
				want := !contains(tc.failed, v.Name)
				assert.Equal(t, want, v.Pass, "verdict %s", v)
				assert.NotEmpty(t, v.Observed, "verdict %s shows what it saw", v.Name)
				if !v.Pass {
					assert.Contains(t, out, v.Name)
				}
			}
			assert.Contains(t, out, "✗")
			if tc.status == report.StatusAborted {
				assert.Contains(t, errOut, "aborted by keep answering")
				assert.Contains(t, out, "ABORTED (aborted by keep answering)")
				assert.Equal(t, "keep answering", r.Aborted)
				assert.Less(t, time.Since(start), 20*time.Second, "the 30 s plan was stopped early")
				assert.False(t, r.Summary.Interrupted, "an abort is not a user interrupt")
				assert.Greater(t, r.Summary.Calls, int64(0))
				v := r.Verdicts[0]
				assert.True(t, v.Aborted)
				assert.Greater(t, v.At, verdict.Sec(0), "a live verdict says when it was taken")
				if v.Window > 0 {
					require.NotNil(t, v.Span, "a windowed abort names its window")
					assert.LessOrEqual(t, v.Span.To-v.Span.From, 2)
				}
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestAbortGuard drives the guard as the runner's ticker does, on a real
// collector with a fake clock: it lists failing assertions on the
// progress line, and cancels the run once an abort assertion fails after
// its delay.
func TestAbortGuard(t *testing.T) {
	t.Parallel()
	p, err := plan.Parse("g.yaml", []byte(`stages: [{name: s, duration: 10s, rate: 2, limit: 5}]
assertions:
  - {name: no drops, expr: dropped == 0}
  - {name: answers, expr: asr >= 0.9, abort: true, abort_delay: 3s}
`), plan.Options{Check: verdict.Check})
	require.NoError(t, err)
	set, err := verdict.Compile(p)
	require.NoError(t, err)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	col := metrics.NewCollector("r", "g", metrics.WithClock(func() time.Time { return now }))
	col.SetStage("s")
	cancelled := 0
	var seen []runner.Progress
	g := newAbortGuard(set, col, func() { cancelled++ }, func(p runner.Progress) { seen = append(seen, p) })

	for sec := 0; sec < 5; sec++ {
		col.Offered("s", "park")
		col.Originated("s", "park", "embedded") // never answered
		require.NoError(t, col.End(&metrics.Record{Stage: "s", Flow: "park", CallerNode: "embedded",
			Outcome: metrics.OutcomeFailed, Reason: "NO_ANSWER"}))
		now = now.Add(time.Second)
		col.Tick()
		g.progress(runner.Progress{Elapsed: time.Duration(sec+1) * time.Second})
	}
	require.Len(t, seen, 5)
	assert.Equal(t, []string{"answers"}, seen[0].FailingAsserts, "failing is shown before abort_delay")
	require.NotNil(t, g.aborted())
	assert.Equal(t, "answers", g.aborted().Name)
	assert.Equal(t, verdict.Sec(3*time.Second), g.aborted().At, "aborted as soon as the delay passed")
	assert.Equal(t, 1, cancelled, "cancelled once")
	assert.Contains(t, seen[4].FailingAsserts, "aborted by answers")
}

// TestRunLongHoldsNeverTripLive is issue 12's case end to end on the
// embedded agent: a healthy run whose calls are all answered and held
// longer than the stage never trips a live assertion nor lists one as
// failing on the progress line (printed every second here), and passes.
func TestRunLongHoldsNeverTripLive(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, out, errOut := runCLI(t, "run", filepath.Join("testdata", "assert", "healthy-long-holds.yaml"),
		"--out", dir, "--no-smoke-call", "--progress-every", "1ms")
	require.Equal(t, ExitPassed, code, "stdout %s\nstderr %s", out, errOut)
	assert.GreaterOrEqual(t, strings.Count(errOut, "active "), 4, "a progress line each second: %s", errOut)
	assert.NotContains(t, errOut, "failing:")
	assert.NotContains(t, errOut, "aborted by")
	r, err := report.Read(dir)
	require.NoError(t, err)
	assert.Equal(t, report.StatusPassed, r.Status)
	assert.Equal(t, int64(9), r.Summary.Calls)
	assert.Equal(t, int64(9), r.Summary.OK)
	for _, v := range r.Verdicts {
		assert.True(t, v.Pass, "%s", v)
	}
}
