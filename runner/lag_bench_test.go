package runner

import (
	"testing"
	"time"
)

// BenchmarkArrivalAccounting is the pacer's per-arrival work outside the
// originate itself: judging the arrival's lateness (its due time, the lag
// histogram) and handing it to arrive, which counts it and here drops it
// (the stage's limit is reached, so no originate goroutine blurs the
// figure). docs/performance.md compares it with the commit before pacing
// lag was accounted, where the step is arrive alone (arrivalStep).
func BenchmarkArrivalAccounting(b *testing.B) {
	cl := newFakeCluster(b)
	cfg := baseConfig(&testing.T{}, "bench", cl.node("a").spec())
	cfg.Stages = []Stage{{Name: "s", Duration: time.Hour, From: 1000, To: 1000, Hold: time.Second, Limit: 1}}
	e, err := newEngine(cfg)
	if err != nil {
		b.Fatal(err)
	}
	e.started = time.Now()
	e.active = 1 // at the limit: every arrival is dropped
	p, _ := e.stagePacer(0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		arrivalStep(e, p, uint64(i))
	}
}

// arrivalStep is one arrival as pace handles it once it is due.
func arrivalStep(e *engine, p Pacer, hits uint64) {
	if e.judgeArrival(0, p, hits) == sendNow {
		e.arrive(0)
	}
}
