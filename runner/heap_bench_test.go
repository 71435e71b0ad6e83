package runner

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/callplan/callplan/flows"
	"github.com/callplan/callplan/internal/memstat"
	"github.com/callplan/callplan/metrics"
)

// BenchmarkRunnerHeapFlat runs short calls (1 ms holds) through the runner
// and the metrics collector against the in-memory switch at
// $CALLPLAN_HEAP_RATE calls/s (default 2000) and reads the heap after GC
// once 10 000 calls were made and again after $CALLPLAN_HEAP_CALLS more
// (default 100 000); run it with -benchtime 1x. Nothing lingers here (no
// SIP), so the readings need no settling: what is live at both is the
// calls in progress, the same at the same rate. The collector's
// per-second series is part of the figure: bounded since
// metrics/tiers.go, it fills up in the first 5 minutes of a run (300
// entries) and then stays.
func BenchmarkRunnerHeapFlat(b *testing.B) {
	rate := benchEnv(b, "CALLPLAN_HEAP_RATE", 2000)
	calls := int64(benchEnv(b, "CALLPLAN_HEAP_CALLS", 100000))
	const warm = 10000
	if os.Getenv("CALLPLAN_HEAP_PROFILES") != "" {
		runtime.MemProfileRate = 4096
	}
	cl := newFakeCluster(b)
	n := cl.node("a")
	n.noActLog = true // the test double's own log is not the runner's memory
	park, err := flows.New("park", nil)
	if err != nil {
		b.Fatal(err)
	}
	cfg := Config{
		RunID: "heap", Nodes: []NodeSpec{n.spec()}, Flows: []FlowMix{{Name: "park", Flow: park, Weight: 1}},
		Dial: dialTo(nil, 2*time.Second), OriginateTimeout: 2 * time.Second,
		Collector: metrics.NewCollector("heap", "test"), Guard: DefaultGuard,
		StopGrace: 2 * time.Second, Linger: time.Second,
	}
	// Twice the time the calls need at the rate: the run is stopped once
	// they are made.
	dur := time.Duration(2 * float64(warm+calls) / rate * float64(time.Second))
	cfg.Stages = []Stage{{Name: "s", Duration: dur, From: rate, To: rate, Hold: time.Millisecond, Limit: 100000}}
	col := cfg.Collector
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var before, after memstat.Reading
	var t0 time.Time
	var secs float64
	go func() {
		tk := time.NewTicker(20 * time.Millisecond)
		defer tk.Stop()
		for range tk.C {
			c := col.Summary().Calls
			if before.Heap == 0 && c >= warm {
				before, t0 = memstat.Read(), time.Now()
				writeHeapProfile(b, "before")
			}
			if c >= warm+calls {
				after, secs = memstat.Read(), time.Since(t0).Seconds()
				writeHeapProfile(b, "after")
				cancel()
				return
			}
		}
	}()
	b.ResetTimer()
	res, err := Run(ctx, cfg)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if after.Heap == 0 {
		b.Fatalf("the run ended after %d calls, before %d", res.Summary.Calls, warm+calls)
	}
	b.ReportMetric(before.Heap, "MB-after-10k")
	b.ReportMetric(after.Heap, "MB-after-all")
	b.ReportMetric(before.RSS, "MB-RSS-after-10k")
	b.ReportMetric(before.Released, "MB-RSS-released-after-10k")
	b.ReportMetric(after.RSS, "MB-RSS-after-all")
	b.ReportMetric(after.Released, "MB-RSS-released-after-all")
	b.ReportMetric((after.Heap-before.Heap)*1e6/float64(calls), "B/call")
	b.ReportMetric((after.Heap-before.Heap)*1e3/secs, "kB/s-of-run")
	b.ReportMetric(float64(calls)/secs, "calls/s")
	b.ReportMetric(float64(res.Summary.Throttled), "throttled")
}

func writeHeapProfile(b *testing.B, name string) {
	if err := memstat.WriteHeapProfile("runner-" + name); err != nil {
		b.Error(err)
	}
}

// benchEnv reads a positive number from the environment, else def.
func benchEnv(b *testing.B, name string, def float64) float64 {
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
