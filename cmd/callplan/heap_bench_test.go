package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/callplan/callplan/internal/memstat"
	"github.com/callplan/callplan/metrics"
)

// runStarted is an Env.Stderr that notes when `callplan run` printed its
// "callplan: run <id> of <plan>" line, which it prints right before the
// runner starts the first stage.
type runStarted struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	start chan struct{}
	once  sync.Once
}

func (w *runStarted) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), "callplan: run ") {
		w.once.Do(func() { close(w.start) })
	}
	return len(p), nil
}

func (w *runStarted) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// benchEnvFloat reads a positive number from the environment, else def.
func benchEnvFloat(b *testing.B, name string, def float64) float64 {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 {
		b.Fatalf("%s=%q: want a positive number", name, v)
	}
	return f
}

// BenchmarkEmbeddedRunHeapFlat runs `callplan run` with the embedded agent
// (runner, metrics, CDR and time series files, agent, real SIP and RTP on
// loopback: the whole process) on a plan of short park calls: 10 000
// calls at $CALLPLAN_HEAP_RATE calls/s (default 400), a quiet stage,
// $CALLPLAN_HEAP_CALLS calls (default 100 000) at the same rate, a quiet
// stage; run it with -benchtime 1x. The heap is read after GC at the
// end of each quiet stage, when sipgo's 32 s linger of the calls before it
// is over (the quiet stages place a call every 10 s so the plan keeps
// running). It reports both readings (heap and RSS) and the heap's growth
// per call. The run's per-second series (report.json, the time series) is
// part of the figure: bounded (metrics/tiers.go), it is full after 5
// minutes of run.
func BenchmarkEmbeddedRunHeapFlat(b *testing.B) {
	rate := benchEnvFloat(b, "CALLPLAN_HEAP_RATE", 400)
	calls := benchEnvFloat(b, "CALLPLAN_HEAP_CALLS", 100000)
	const warm = 10000
	quiet := 40 * time.Second
	warmDur := time.Duration(float64(warm) / rate * float64(time.Second))
	loadDur := time.Duration(calls / rate * float64(time.Second))
	dir := b.TempDir()
	planFile := filepath.Join(dir, "heap.yaml")
	limit := int(rate) // hold 100 ms: rate/10 calls up at once, 10x headroom
	stage := func(name string, d time.Duration, r float64) string {
		return fmt.Sprintf("  - {name: %s, duration: %s, rate: %g, hold: 100ms, limit: %d}\n", name, d.Round(time.Second), r, limit)
	}
	yaml := "name: heap\nstages:\n" +
		stage("warm", warmDur, rate) + stage("quiet1", quiet, 0.1) +
		stage("load", loadDur, rate) + stage("quiet2", quiet, 0.1) +
		"flows:\n  - use: park\n"
	if err := os.WriteFile(planFile, []byte(yaml), 0o644); err != nil {
		b.Fatal(err)
	}
	if os.Getenv("CALLPLAN_HEAP_PROFILES") != "" {
		runtime.MemProfileRate = 4096
	}
	stderr := &runStarted{start: make(chan struct{})}
	var stdout bytes.Buffer
	done := make(chan ExitCode, 1)
	b.ResetTimer()
	go func() {
		done <- Main(context.Background(), []string{"run", "--quiet", "--no-smoke-call", "--out", filepath.Join(dir, "out"), planFile},
			Env{Stdout: &stdout, Stderr: stderr, Getenv: func(string) (string, bool) { return "", false },
				Environ: func() []string { return nil }})
	}()
	select {
	case <-stderr.start:
	case code := <-done:
		b.Fatalf("run ended before it started (exit %d): %s", code, stderr)
	}
	t0 := time.Now()
	// Read 3 s before each quiet stage ends: 37 s after the last call of
	// the stage before, past sipgo's 64*T1 = 32 s and its 32 s Timer D.
	at := func(d time.Duration) memstat.Reading {
		time.Sleep(time.Until(t0.Add(d)))
		return memstat.Read()
	}
	before := at(warmDur.Round(time.Second) + quiet - 3*time.Second)
	b.Logf("after the warm-up and 40 s quiet: %s", before)
	writeRunHeapProfile(b, "before")
	after := at(warmDur.Round(time.Second) + quiet + loadDur.Round(time.Second) + quiet - 3*time.Second)
	b.Logf("after the load and 40 s quiet: %s", after)
	writeRunHeapProfile(b, "after")
	code := <-done
	b.StopTimer()
	var sum metrics.Summary
	raw, err := os.ReadFile(filepath.Join(dir, "out", SummaryFile))
	if err == nil {
		err = json.Unmarshal(raw, &sum)
	}
	if err != nil {
		b.Fatalf("reading the run's summary: %v", err)
	}
	// Calls placed between the two readings: the load stage's and the
	// second quiet stage's (one every 10 s).
	load, q2 := sum.Stages["load"], sum.Stages["quiet2"]
	made := float64(load.Calls + q2.Calls)
	b.ReportMetric(before.Heap, "MB-after-10k")
	b.ReportMetric(after.Heap, "MB-after-all")
	b.ReportMetric(before.RSS, "MB-RSS-after-10k")
	b.ReportMetric(before.Released, "MB-RSS-released-after-10k")
	b.ReportMetric(after.RSS, "MB-RSS-after-all")
	b.ReportMetric(after.Released, "MB-RSS-released-after-all")
	b.ReportMetric((after.Heap-before.Heap)*1e6/made, "B/call")
	// The second reading is load+quiet after the first.
	b.ReportMetric((after.Heap-before.Heap)*1e3/(loadDur.Round(time.Second)+quiet).Seconds(), "kB/s-of-run")
	b.ReportMetric(float64(sum.Stages["warm"].Calls), "warm-calls")
	b.ReportMetric(made, "calls")
	b.ReportMetric(float64(sum.Failed), "failed")
	b.ReportMetric(float64(sum.Throttled+sum.Missed+sum.Dropped), "not-placed")
	b.Logf("calls: warm-up %d, load %d, quiet %d; throttled %d, missed %d, dropped %d, failed %d",
		sum.Stages["warm"].Calls, load.Calls, q2.Calls, sum.Throttled, sum.Missed, sum.Dropped, sum.Failed)
	// Exit 3 is the overdrive guard's verdict on a machine that ran out of
	// CPU (the run held arrivals back): the memory figures stand, and the
	// calls actually made are what they are per.
	switch code {
	case ExitPassed:
	case ExitInfrastructure:
		b.Logf("run exited %d (generator saturated): %s", code, stderr)
	default:
		b.Errorf("run exited %d: %s", code, stderr)
	}
}

func writeRunHeapProfile(b *testing.B, name string) {
	dir := os.Getenv("CALLPLAN_HEAP_PROFILES")
	if dir == "" {
		return
	}
	f, err := os.Create(filepath.Join(dir, "run-"+name+".heap"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Fatal(err)
	}
}
