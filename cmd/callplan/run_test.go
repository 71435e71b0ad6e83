package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/agent"
	"github.com/callplan/callplan/metrics"
	"github.com/callplan/callplan/report"
	"github.com/callplan/callplan/runner"
)

func TestRunSmokeScenarioOnEmbeddedAgent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, out, errOut := runCLI(t, "run", "../../scenarios/smoke.yaml", "--out", dir, "--quiet",
		"--set", "stages[0].duration=1s", "--set", "stages[0].hold=200ms")
	require.Equal(t, ExitPassed, code, "stdout %s\nstderr %s", out, errOut)
	// The whole table report, per group and node, not only the verdicts.
	assert.Regexp(t, `│ stage:steady +│ +2 │ +2 │ +2 │ +0 │ +0 │`, out)
	for _, section := range []string{"\nSummary\n", "\nCalls by stage, flow and caller node\n", "\nLatency (ms)\n", "\nCauses\n", "\nGenerators\n", "\nAssertions\n"} {
		assert.Contains(t, out, section)
	}
	for _, line := range strings.Split(out, "\n") {
		assert.LessOrEqual(t, utf8.RuneCountInString(line), 100, "fits 100 columns: %q", line)
	}

	f, err := os.Open(filepath.Join(dir, metrics.CDRCSVFile))
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	assert.Len(t, rows, 3, "header and one row per call")

	b, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	require.NoError(t, err)
	var s metrics.Summary
	require.NoError(t, json.Unmarshal(b, &s))
	assert.Equal(t, int64(2), s.Calls)
	assert.Equal(t, 1.0, s.ASR)
	assert.Equal(t, "smoke", s.Plan)
	_, err = os.Stat(filepath.Join(dir, metrics.TimeSeriesCSVFile))
	assert.NoError(t, err)
}

func TestRunInterruptedExits4(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	var outb, errb syncBuffer
	code := Main(ctx, []string{"run", "../../scenarios/smoke.yaml", "--out", dir, "--quiet",
		"--set", "stages[0].duration=30s", "--set", "stages[0].hold=20s"}, Env{
		Stdout: &outb, Stderr: &errb,
		Getenv: func(string) (string, bool) { return "", false }, Environ: func() []string { return nil },
	})
	require.Equal(t, ExitInterrupted, code, "stdout %s\nstderr %s", outb.String(), errb.String())
	assert.Contains(t, errb.String(), "interrupted")
	b, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	require.NoError(t, err)
	var s metrics.Summary
	require.NoError(t, json.Unmarshal(b, &s))
	assert.True(t, s.Interrupted)
	r, err := report.Read(dir)
	require.NoError(t, err)
	assert.True(t, r.Summary.Interrupted, "summary.json and report.json agree")
	assert.Equal(t, report.StatusInterrupted, r.Status)
	assert.Equal(t, int64(0), s.Active)
	assert.Equal(t, s.Calls, s.Unknown, "every call was cut short by the stop")
}

func TestRunErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("stages: []\nbogus: 1\n"), 0o644))
	unreachable := filepath.Join(dir, "unreachable.yaml")
	require.NoError(t, os.WriteFile(unreachable, []byte(
		"nodes: ['fs://127.0.0.1:1']\nstages:\n  - {duration: 1s, rate: 1, hold: 1s}\n"), 0o644))
	tests := []struct {
		args     []string
		want     ExitCode
		inStderr string
	}{
		{[]string{"run"}, ExitInvalid, "want exactly one plan"},
		{[]string{"run", bad}, ExitInvalid, "bogus"},
		{[]string{"run", unreachable, "--out", filepath.Join(dir, "o")}, ExitInfrastructure, "node 127.0.0.1:1"},
		{[]string{"hangup", unreachable}, ExitInvalid, "exactly one of --run ID and --all"},
		{[]string{"hangup", "--all", "--run", "x", unreachable}, ExitInvalid, "exactly one of"},
		{[]string{"hangup", "--all", unreachable}, ExitInfrastructure, "could not be reached"},
	}
	for _, tt := range tests {
		code, _, errOut := runCLI(t, tt.args...)
		assert.Equal(t, tt.want, code, "Main(%q) exit code; stderr %s", tt.args, errOut)
		assert.Contains(t, errOut, tt.inStderr, "Main(%q) stderr", tt.args)
	}
}

func TestHangupIsIdempotent(t *testing.T) {
	t.Parallel()
	a, err := agent.New(agent.Config{ESLAddr: "127.0.0.1:0", SIPAddr: "127.0.0.1:0"})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	require.NoError(t, a.Start(ctx))
	defer a.Close()
	planFile := filepath.Join(t.TempDir(), "p.yaml")
	require.NoError(t, os.WriteFile(planFile, []byte(fmt.Sprintf(
		"nodes: ['fs://127.0.0.1:%s']\nstages:\n  - {duration: 1s, rate: 1, hold: 1s}\n", portOf(t, a.Addr()))), 0o644))
	for range 2 {
		code, out, errOut := runCLI(t, "hangup", "--run", "abc123", planFile)
		require.Equal(t, ExitPassed, code, "stderr %s", errOut)
		assert.Contains(t, out, "+OK hangup all channels matching [sip_h_X-callplan-run]=[abc123]")
	}
	code, out, _ := runCLI(t, "hangup", planFile, "--cause", "NORMAL_CLEARING", "--all")
	require.Equal(t, ExitPassed, code)
	assert.Contains(t, out, "+OK hangup all channels with cause NORMAL_CLEARING")
}

func portOf(t *testing.T, addr string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	return port
}

// syncBuffer is a strings.Builder safe for the progress printer and the
// command writing at once.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestProgressPrinter(t *testing.T) {
	t.Parallel()
	var b syncBuffer
	p := newProgressPrinter(&b, false, time.Hour) // not a terminal
	p.update(runner.Progress{Stage: "s1", Calls: 1})
	p.update(runner.Progress{Stage: "s1", Calls: 2}) // within the interval: not printed
	p.done()
	assert.Equal(t, 1, strings.Count(b.String(), "\n"))
	assert.Contains(t, b.String(), "s1 0s/0s")

	var q syncBuffer
	quiet := newProgressPrinter(&q, true, 0)
	quiet.update(runner.Progress{Stage: "s1"})
	quiet.done()
	assert.Empty(t, q.String())
}
