package assert

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/metrics"
	"github.com/callplan/callplan/plan"
)

// benchSeconds is an hour of per-second series at 100 cps with latencies
// spread over a few hundred bins.
func benchSeconds() []metrics.Second {
	secs := make([]metrics.Second, 3600)
	for i := range secs {
		var bins []metrics.Bin
		for b := 0; b < 40; b++ {
			bins = append(bins, metrics.Bin{Index: uint16(500 + b*3), Count: 2})
		}
		secs[i] = metrics.Second{Index: i, Stage: "ramp", Offered: 100, Calls: 100, Answered: 99, OK: 99, Failed: 1,
			Causes: map[string]int64{"NORMAL_CLEARING": 99, "USER_BUSY": 1}, PDD: metrics.WindowHist{Bins: bins}}
	}
	return secs
}

func BenchmarkEvaluateWholeRun(b *testing.B) {
	s, err := Compile(planWithB(b, `  - expr: asr >= 0.99
  - expr: pdd.p95 < duration("300ms")
  - expr: failed / calls < 0.01
  - expr: causes["USER_BUSY"] == 0
  - expr: flows.reject.unexpected == 0
  - {expr: asr >= 0.9, stage: ramp}
`))
	require.NoError(b, err)
	sum := summary(metrics.Group{Calls: 360000, Answered: 356400, ASR: 0.99, PDD: metrics.Latency{Count: 1, P95: 200 * time.Millisecond}})
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Evaluate(sum, nil, nil)
	}
}

// BenchmarkEvaluateWindow30sOver1h: one `window: 30s` assertion judged
// over every window of an hour's series (3571 windows).
func BenchmarkEvaluateWindow30sOver1h(b *testing.B) {
	s, err := Compile(planWithB(b, "  - {expr: asr >= 0.9 && pdd.p95 < duration(\"300ms\"), window: 30s}\n"))
	require.NoError(b, err)
	secs := benchSeconds()
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Evaluate(summary(metrics.Group{}), secs, nil)
	}
}

// BenchmarkLiveCheck: the once-a-second abort check an hour into a run,
// one whole-run and one 30 s window assertion.
func BenchmarkLiveCheck(b *testing.B) {
	s, err := Compile(planWithB(b, "  - {expr: asr >= 0.9, abort: true}\n  - {expr: pdd.p95 < duration(\"1s\"), window: 30s, abort: true}\n"))
	require.NoError(b, err)
	l := s.Live()
	secs := benchSeconds()
	sum := summary(metrics.Group{Calls: 360000, Answered: 356400, ASR: 0.99})
	b.ReportAllocs()
	for b.Loop() {
		if v := l.Check(time.Hour, sum, secs); v != nil {
			b.Fatalf("unexpected abort: %s", v)
		}
	}
}

func planWithB(b *testing.B, assertions string) *plan.Plan {
	b.Helper()
	p, err := plan.Parse("p.yaml", []byte(benchPlan+assertions), plan.Options{})
	require.NoError(b, err)
	return p
}

const benchPlan = `flows:
  - {use: park, weight: 9}
  - {use: reject, weight: 1}
stages:
  - {name: ramp, duration: 1h, rate: 100, limit: 500}
assertions:
`

// BenchmarkEvaluateFlowWindow30sOver1h: as BenchmarkEvaluateWindow30sOver1h
// but scoped to a flow, whose share of every second is read from
// Second.Flows.
func BenchmarkEvaluateFlowWindow30sOver1h(b *testing.B) {
	s, err := Compile(planWithB(b, "  - {expr: asr >= 0.9 && pdd.p95 < duration(\"300ms\"), window: 30s, flow: park}\n"))
	require.NoError(b, err)
	secs := benchSeconds()
	for i := range secs {
		secs[i].Flows = map[string]metrics.Second{"park": secs[i], "reject": {Index: secs[i].Index}}
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Evaluate(summary(metrics.Group{}), secs, nil)
	}
}
