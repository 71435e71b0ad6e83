package sip

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/callplan/callplan/internal/memstat"
)

// runLoopCalls places n loop calls through p, 64 at a time, counting the
// failed ones.
func runLoopCalls(p *Profile, n int, failed *atomic.Int64) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				if err := loopCall(ctx, p, "udp"); err != nil {
					failed.Add(1)
				}
				cancel()
			}
		}()
	}
	wg.Wait()
}

// settledHeap is the live heap, in MB, once what ended calls left behind
// has expired: sipgo keeps a finished transaction until its last timer,
// 64*T1 = 32 s for INVITEs (RFC 6026 Timers L and M) and BYEs received
// (Timer J), and Timer D (a fixed 32 s in sipgo, not T4) for BYEs sent.
// It reads after the longest of those, then again until two readings 2 s
// apart agree (timers fire late on a loaded machine).
func settledHeap() memstat.Reading {
	time.Sleep(max(64*sipmsg.T1, sipmsg.Timer_D, sipmsg.T4) + 3*time.Second)
	last := memstat.Read()
	for range 5 {
		time.Sleep(2 * time.Second)
		now := memstat.Read()
		if now.Heap > last.Heap-0.1 {
			if now.Heap < last.Heap {
				return now
			}
			return last
		}
		last = now
	}
	return last
}

func writeHeapProfile(b *testing.B, name string) {
	if err := memstat.WriteHeapProfile("sip-" + name); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkProfileHeapFlat is BenchmarkAgentHeapFlat (package agent) for
// the SIP layer alone: loop calls through one profile (INVITE, 200 with
// SDP, ACK, RTP sockets, BYE), 10 000 to warm up, then
// $CALLPLAN_HEAP_CALLS more (default 100 000), the settled heap read after
// the warm-up, half and all of them. Run with -benchtime 1x (b.N is not
// the count: the testing package's first run with b.N = 1 would cost
// three settles). $CALLPLAN_SIP_T1 shortens T1 (and Timer D) for a quick
// look: the linger is shorter, what stays after it is the same.
func BenchmarkProfileHeapFlat(b *testing.B) {
	n := 100000
	if v := os.Getenv("CALLPLAN_HEAP_CALLS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 2 {
			b.Fatalf("CALLPLAN_HEAP_CALLS=%q: want a number of calls", v)
		}
	}
	if v := os.Getenv("CALLPLAN_SIP_T1"); v != "" {
		t1, err := time.ParseDuration(v)
		if err != nil {
			b.Fatal(err)
		}
		old := sipmsg.T1
		sipmsg.SetTimers(t1, sipmsg.T2, sipmsg.T4)
		sipmsg.Timer_D = 64 * t1
		b.Cleanup(func() { sipmsg.SetTimers(old, sipmsg.T2, sipmsg.T4) })
	}
	if os.Getenv("CALLPLAN_HEAP_PROFILES") != "" {
		runtime.MemProfileRate = 1024
	}
	p, _ := benchProfile(b, true)
	var failed atomic.Int64
	runLoopCalls(p, 10000, &failed)
	before := settledHeap()
	writeHeapProfile(b, "before")
	b.ResetTimer()
	runLoopCalls(p, n/2, &failed)
	half := settledHeap()
	writeHeapProfile(b, "half")
	runLoopCalls(p, n-n/2, &failed)
	after := settledHeap()
	writeHeapProfile(b, "after")
	b.StopTimer()
	b.ReportMetric(before.Heap, "MB-after-10k")
	b.ReportMetric(half.Heap, "MB-after-half")
	b.ReportMetric(after.Heap, "MB-after-all")
	b.ReportMetric(before.RSS, "MB-RSS-after-10k")
	b.ReportMetric(before.Released, "MB-RSS-released-after-10k")
	b.ReportMetric(after.RSS, "MB-RSS-after-all")
	b.ReportMetric(after.Released, "MB-RSS-released-after-all")
	b.ReportMetric((after.Heap-half.Heap)*1e6/float64(n-n/2), "B/call-2nd-half")
	b.ReportMetric((after.Heap-before.Heap)*1e6/float64(n), "B/call")
	if failed.Load() > 0 {
		b.Errorf("%d calls failed", failed.Load())
	}
}
