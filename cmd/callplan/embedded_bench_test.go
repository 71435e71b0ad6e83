package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkEmbeddedRun is `callplan run` on the embedded agent, as a user
// runs it: one stage of park calls at CALLPLAN_BENCH_RATE calls/s (800)
// for CALLPLAN_BENCH_SECONDS (10) with 1 s holds, no smoke call. It
// reports the calls made, failed, throttled and missed, the latest
// arrival's lateness (the pacer's lag, max), and the CPU time of this
// process per call: agent and runner together, garbage collector and
// system time included, the figure that does not depend on what else the
// machine runs. Run with -benchtime 1x; -cpuprofile and -memprofile show
// where the time goes.
func BenchmarkEmbeddedRun(b *testing.B) {
	rate, secs := 800, 10
	if n, err := strconv.Atoi(os.Getenv("CALLPLAN_BENCH_RATE")); err == nil && n > 0 {
		rate = n
	}
	if n, err := strconv.Atoi(os.Getenv("CALLPLAN_BENCH_SECONDS")); err == nil && n > 0 {
		secs = n
	}
	dir := b.TempDir()
	plan := filepath.Join(dir, "plan.yaml")
	require.NoError(b, os.WriteFile(plan, fmt.Appendf(nil,
		"name: bench\nstages:\n  - {name: s, duration: %ds, rate: %d, hold: 1s}\n", secs, rate), 0o600))
	for i := range b.N {
		out := filepath.Join(dir, strconv.Itoa(i))
		var stdout, stderr bytes.Buffer
		cpu0 := cpuTime(b)
		start := time.Now()
		code := Main(b.Context(), []string{"run", "--quiet", "--no-smoke-call", "--out", out, plan}, Env{
			Stdout: &stdout, Stderr: &stderr,
			Getenv:  func(string) (string, bool) { return "", false },
			Environ: func() []string { return nil },
		})
		wall := time.Since(start)
		cpu := cpuTime(b) - cpu0
		raw, err := os.ReadFile(filepath.Join(out, "report.json"))
		require.NoError(b, err, "exit %d\n%s", code, stderr.String())
		var rep struct {
			Summary struct {
				Calls, Failed, Throttled, Missed int
				PacingLag                        struct{ Max, P99 float64 } `json:"pacing_lag"`
			}
		}
		require.NoError(b, json.Unmarshal(raw, &rep))
		s := rep.Summary
		b.ReportMetric(float64(s.Calls), "calls")
		b.ReportMetric(float64(s.Calls)/float64(secs), "calls/s")
		b.ReportMetric(float64(s.Failed), "failed")
		b.ReportMetric(float64(s.Throttled), "throttled")
		b.ReportMetric(float64(s.Missed), "missed")
		b.ReportMetric(s.PacingLag.Max/1e6, "late-max-ms")
		b.ReportMetric(s.PacingLag.P99/1e6, "late-p99-ms")
		if s.Calls > 0 {
			b.ReportMetric(float64(cpu.Microseconds())/float64(s.Calls), "cpu-µs/call")
		}
		b.ReportMetric(cpu.Seconds()/wall.Seconds(), "cores")
	}
}

// cpuTime is this process's user and system time so far.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	require.NoError(tb, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
