//go:build perf

package runner

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Performance measurements recorded in docs/performance.md. Run with
// `go test -tags perf -run Perf -v -timeout 30m ./runner` (no -race: it
// measures speed). They assert only what must hold on any machine; the
// figures are logged.

// TestPerfPacing500cps measures how exactly the runner paces 500 calls/s
// for 60 s: the originates are timed as they are sent (against the
// in-memory cluster, so only the runner is measured).
func TestPerfPacing500cps(t *testing.T) {
	const rate, dur = 500.0, 60 * time.Second
	cl := newFakeCluster(t)
	n := cl.node("a")
	cfg := baseConfig(t, "pace", n.spec())
	cfg.Stages = []Stage{{Name: "s", Duration: dur, From: rate, To: rate, Hold: 10 * time.Millisecond}}
	var mu sync.Mutex
	var sent []time.Duration
	var start time.Time
	build := cfg.Dial
	cfg.Dial = func(o Origination) (Origination, error) {
		mu.Lock()
		if start.IsZero() {
			start = time.Now()
		}
		sent = append(sent, time.Since(start))
		mu.Unlock()
		return build(o)
	}
	res, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	sort.Slice(sent, func(i, j int) bool { return sent[i] < sent[j] })
	want := int(rate * dur.Seconds())
	errPct := 100 * math.Abs(float64(len(sent)-want)) / float64(want)
	windows := map[int64]int{}
	for _, s := range sent {
		windows[int64(s/(100*time.Millisecond))]++
	}
	maxWin := 0
	over := 0
	limit := int(math.Ceil(rate/10)) + 1
	for _, c := range windows {
		maxWin = max(maxWin, c)
		if c > limit {
			over++
		}
	}
	var lateSum, lateMax time.Duration
	for i, s := range sent {
		late := s - time.Duration(float64(i)/rate*float64(time.Second))
		lateSum += late
		lateMax = max(lateMax, late)
	}
	t.Logf("pacing %g cps for %v: %d originates (want %d, error %.3f%%), busiest 100 ms window %d (bound %d), windows over bound %d of %d, mean lateness %v, max %v, ok calls %d",
		rate, dur, len(sent), want, errPct, maxWin, limit, over, len(windows),
		(lateSum / time.Duration(len(sent))).Round(time.Microsecond), lateMax.Round(time.Microsecond), res.Summary.OK)
	assert.Less(t, errPct, 1.0)
}

// TestPerfMemoryManyShortCalls runs a million short calls through the
// runner and metrics (in-memory cluster) and checks the heap stays flat.
func TestPerfMemoryManyShortCalls(t *testing.T) {
	cl := newFakeCluster(t)
	n := cl.node("a")
	cfg := baseConfig(t, "mem", n.spec())
	cfg.Stages = []Stage{{Name: "s", Duration: 400 * time.Second, From: 2700, To: 2700, Hold: time.Millisecond, Limit: 100000}}
	col := cfg.Collector
	stop := make(chan struct{})
	go func() {
		tk := time.NewTicker(20 * time.Second)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				s := col.Summary()
				t.Logf("%s calls=%d active=%d heap=%dKiB", time.Now().Format("15:04:05"), s.Calls, s.Active, liveHeap()/1024)
			}
		}
	}()
	start := time.Now()
	res, err := Run(context.Background(), cfg)
	close(stop)
	require.NoError(t, err)
	t.Logf("summary: dropped %d reasons %v generators %+v", res.Summary.Dropped, res.Summary.Reasons, res.Summary.Generators)
	t.Logf("%d calls (%d ok, %d throttled) in %v; heap after %d KiB",
		res.Summary.Calls, res.Summary.OK, res.Summary.Throttled, time.Since(start).Round(time.Second), liveHeap()/1024)
}

// TestPerfMemoryPerLiveCall measures the runner's heap per call in
// progress: 20 000 calls held open.
func TestPerfMemoryPerLiveCall(t *testing.T) {
	cl := newFakeCluster(t)
	n := cl.node("a")
	cfg := baseConfig(t, "live", n.spec())
	const live = 20000
	cfg.Stages = []Stage{{Name: "s", Duration: 4 * time.Second, From: live / 4, To: live / 4, Hold: time.Hour}}
	ctx, cancel := context.WithCancel(context.Background())
	before := liveHeap()
	var during uint64
	var active int64
	go func() {
		time.Sleep(6 * time.Second)
		active = cfg.Collector.Summary().Active
		during = liveHeap()
		if f, err := os.Create(filepath.Join(os.TempDir(), "callplan-live.heap")); err == nil {
			_ = pprof.Lookup("heap").WriteTo(f, 0)
			f.Close()
		}
		cancel()
	}()
	_, err := Run(ctx, cfg)
	require.NoError(t, err)
	// The in-memory cluster's own legs are counted too; subtract them by
	// measuring the cluster alone is not possible here, so this is an
	// upper bound for the runner.
	t.Logf("%d live calls: heap grew %d KiB, %.0f bytes per live call (runner + metrics + in-memory switch)",
		active, (during-before)/1024, float64(during-before)/float64(max(active, 1)))
}

// liveHeap is the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
