package agent

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"
)

// settledHeap is the live heap once what ended calls left behind has
// expired. sipgo keeps every finished INVITE transaction, with its request
// and last response, for 64*T1 = 32 s (RFC 6026 Timers L and M; Timer J
// for BYE): that memory is bounded by rate x 32 s, not by calls made, and
// it stays flat for most of those 32 s before it falls. So the heap is
// read, after GC, once that linger is over.
func settledHeap() float64 {
	time.Sleep(txLinger)
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / 1e6
}

// txLinger is 64*T1 (T1 = 500 ms) plus a margin for timers that fire late
// on a busy machine.
const txLinger = 64*500*time.Millisecond + 3*time.Second

// writeHeapProfile writes the heap profile to $CALLPLAN_HEAP_PROFILES/agent-<name>.heap
// when that variable names a folder, for `go tool pprof -base before after`.
func writeHeapProfile(b *testing.B, name string) {
	dir := os.Getenv("CALLPLAN_HEAP_PROFILES")
	if dir == "" {
		return
	}
	f, err := os.Create(filepath.Join(dir, "agent-"+name+".heap"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Fatal(err)
	}
}

// runLoopCalls drives n complete loop calls through d and waits for them.
func runLoopCalls(b *testing.B, d *loopDriver, n int) {
	b.Helper()
	target := d.ended.Load() + d.fail.Load() + int64(n)
	for range n {
		d.originate()
	}
	for d.ended.Load()+d.fail.Load() < target {
		if d.readErr != nil {
			b.Fatalf("esl: %v", d.readErr)
		}
		time.Sleep(time.Millisecond)
	}
}

// BenchmarkAgentHeapFlat proves an agent's memory does not grow with the
// calls it has made: the settled heap after 10 000 loop calls and after
// b.N more (run with -benchtime 100000x, or 1000000x for the issue's
// figure) must be within a few MB. It reports the settled heap after the
// warm-up, after half of b.N and after all of it, and the growth per
// 100 000 calls over the second half. Each settle waits out sipgo's 32 s
// transaction linger.
func BenchmarkAgentHeapFlat(b *testing.B) {
	a := startSIPAgent(b, func(c *Config) {
		c.SPS, c.MaxSessions = 1000000, 100000
		c.RTPPortMin, c.RTPPortMax = 20000, 60000
	})
	d := newLoopDriver(b, a, 500)
	const warm = 10000
	runLoopCalls(b, d, warm)
	before := settledHeap()
	writeHeapProfile(b, "before")
	b.ResetTimer()
	runLoopCalls(b, d, b.N/2)
	b.StopTimer()
	half := settledHeap()
	b.StartTimer()
	runLoopCalls(b, d, b.N-b.N/2)
	b.StopTimer()
	after := settledHeap()
	writeHeapProfile(b, "after")
	b.ReportMetric(before, "MB-after-10k")
	b.ReportMetric(half, "MB-after-half")
	b.ReportMetric(after, "MB-after-all")
	// The second half is the one that shows growth in calls made: the
	// first may still raise the high-water mark of maps, which Go never
	// shrinks (sipgo's transaction maps, the dialog map).
	b.ReportMetric((after-half)/float64(b.N-b.N/2)*100000, "MB-per-100k-calls")
	if d.fail.Load() > 0 {
		b.Errorf("%d calls failed", d.fail.Load())
	}
}
