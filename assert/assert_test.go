package assert

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/metrics"
	"github.com/callplan/callplan/plan"
)

// planWith parses a plan whose assertions section is the given YAML
// (indented two spaces under "assertions:").
func planWith(t *testing.T, assertions string) *plan.Plan {
	t.Helper()
	src := `nodes:
  - {uri: embedded}
  - {uri: "fs://10.0.0.2", name: fs2}
flows:
  - {use: park, weight: 9}
  - {use: reject, weight: 1}
stages:
  - {name: warm, duration: 10s, rate: 1, limit: 5}
  - {name: ramp, duration: 60s, rate: {from: 1, to: 10}, limit: 50}
assertions:
` + assertions
	p, err := plan.Parse("p.yaml", []byte(src), plan.Options{})
	require.NoError(t, err)
	return p
}

func compileErr(t *testing.T, assertions string) string {
	t.Helper()
	_, err := Compile(planWith(t, assertions))
	require.Error(t, err)
	var pe plan.Errors
	require.True(t, errors.As(err, &pe), "want plan.Errors, got %T", err)
	return err.Error()
}

func TestCompileAccepts(t *testing.T) {
	t.Parallel()
	for _, src := range []string{
		`asr >= 0.99`,
		`pdd.p95 < duration("300ms")`,
		`failed / calls < 0.01`,
		`causes["USER_BUSY"] == 0`,
		`sip["503"] == 0`,
		`dropped == 0`,
		`erlangs.max <= 200`,
		`flows.reject.unexpected == 0`,
		`flows.reject.asr < 0.1 and flows.park.asr > 0.9`,
		`stages.ramp.pdd.p99 < duration("1s")`,
		`nodes.fs2.calls > 0 || nodes.embedded.calls > 0`,
		`generators.fs2.disconnects == 0`,
		`elapsed > duration("1m")`,
		`answer_latency.mean < duration("2s") && success >= 0.95`,
		`counters["unexpected"] == 0`,
		`call_duration.p50 >= duration("30s")`,
	} {
		t.Run(src, func(t *testing.T) {
			t.Parallel()
			s, err := Compile(planWith(t, "  - expr: '"+strings.ReplaceAll(src, "'", "''")+"'\n"))
			require.NoError(t, err)
			assert.Equal(t, 1, s.Len())
		})
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"unknown name with suggestion", "  - expr: asrr >= 0.99\n", "p.yaml:11:11: assertions[0].expr: invalid expression: unknown name asrr (did you mean asr?)"},
		{"unknown percentile", "  - expr: pdd.p96 < duration('1s')\n", "p.yaml:11:15: assertions[0].expr: invalid expression: unknown field p96 (did you mean p90?)"},
		{"unknown stage", "  - expr: stages.rampp.asr > 0.9\n", "unknown field rampp (did you mean ramp?)"},
		{"unknown node lists known", "  - expr: nodes.zzzzzz.asr > 0.9\n", "(known: embedded, fs2)"},
		{"duration against number", "  - expr: pdd.p95 < 300\n", "p.yaml:11:19: assertions[0].expr: invalid expression: invalid operation: < (mismatched types time.Duration and int)"},
		{"not a bool", "  - expr: asr\n", "assertions[0].expr: invalid expression: expected bool, but got float64"},
		{"syntax", "  - expr: asr >= >= 1\n", "p.yaml:11:18: assertions[0].expr: invalid expression: unexpected token Operator(\">=\")"},
		{"quoted column", "  - expr: \"asr >= 1 and bogus\"\n", "p.yaml:11:25: assertions[0].expr: invalid expression: unknown name bogus"},
		{"flow counter typo of a field", "  - expr: flows.reject.asrr == 0\n", "p.yaml:11:24: assertions[0].expr: invalid expression: unknown field asrr (did you mean asr?)"},
		{"flow scope counter typo", "  - {expr: 'sucess > 0.5', flow: reject}\n", "unknown field sucess (did you mean success?)"},
		{"stage scope has no stages map", "  - {expr: 'stages.ramp.asr > 0.5', stage: ramp}\n", "unknown name stages"},
		{"combined scopes", "  - {expr: 'asr > 0.5', stage: ramp, flow: park}\n", "assertions[0].flow: stage, flow and node scopes cannot be combined"},
		{"window not whole seconds", "  - {expr: 'asr > 0.5', window: 1500ms}\n", "assertions[0].window: must be whole seconds"},
		{"duration is the builtin", "  - expr: duration.p95 > duration('1s')\n", "assertions[0].expr"},
		{"now disabled", "  - expr: now() != nil\n", "assertions[0].expr: invalid expression: unknown name now"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Contains(t, compileErr(t, tc.yaml), tc.want)
		})
	}
}

func TestCompileReportsEveryProblem(t *testing.T) {
	t.Parallel()
	msg := compileErr(t, "  - expr: asrr > 1\n  - expr: asr > 1\n  - expr: pdd.p95 > 1\n")
	lines := strings.Split(msg, "\n")
	require.Len(t, lines, 2, msg)
	assert.Contains(t, lines[0], "assertions[0].expr")
	assert.Contains(t, lines[1], "assertions[2].expr")
}

func TestCheckAddsToErrors(t *testing.T) {
	t.Parallel()
	var errs plan.Errors
	Check(planWith(t, "  - expr: asr > 1\n"), &errs)
	assert.Empty(t, errs)
	Check(planWith(t, "  - expr: asr > 'x'\n"), &errs)
	require.Len(t, errs, 1)
	assert.Equal(t, "assertions[0].expr", errs[0].Path)
}

// summary builds a run summary with the given whole-run group.
func summary(g metrics.Group) *metrics.Summary {
	return &metrics.Summary{
		Run: "r1", Elapsed: 70 * time.Second, Group: g,
		Stages: map[string]metrics.Group{"ramp": {Calls: 10, Answered: 5, ASR: 0.5}},
		Flows: map[string]metrics.Group{"reject": {Calls: 4, Counters: map[string]int64{"unexpected": 2}},
			"park": {Calls: 6, ASR: 1}},
		Nodes: map[string]metrics.Group{"fs2": {Calls: 3}},
	}
}

func TestEvaluateWholeRun(t *testing.T) {
	t.Parallel()
	sum := summary(metrics.Group{
		Calls: 100, Answered: 95, Failed: 5, ASR: 0.95,
		PDD:    metrics.Latency{Count: 95, P95: 312 * time.Millisecond},
		Causes: map[string]int64{"USER_BUSY": 3, "NORMAL_CLEARING": 92},
	})
	for _, tc := range []struct {
		yaml     string
		pass     bool
		observed string
	}{
		{"  - expr: asr >= 0.99\n", false, "asr = 0.95"},
		{"  - expr: asr >= 0.9\n", true, "asr = 0.95"},
		{"  - expr: pdd.p95 < duration(\"300ms\")\n", false, "pdd.p95 = 312ms"},
		{"  - expr: failed / calls < 0.01\n", false, "failed = 5, calls = 100"},
		{"  - expr: causes[\"USER_BUSY\"] == 0\n", false, `causes["USER_BUSY"] = 3`},
		{"  - expr: sip[\"503\"] == 0\n", true, `sip["503"] = 0`},
		{"  - expr: causes.USER_BUSY == 3\n", true, `causes.USER_BUSY = 3`},
		{"  - expr: flows.reject.unexpected == 0\n", false, "flows.reject.unexpected = 2"},
		{"  - expr: flows.park.unexpected == 0\n", true, "flows.park.unexpected = 0"},
		{"  - {expr: unexpected == 0, flow: reject}\n", false, "unexpected = 2"},
		{"  - {expr: asr >= 0.9, stage: ramp}\n", false, "asr = 0.5"},
		{"  - {expr: calls == 3, node: fs2}\n", true, "calls = 3"},
		{"  - {expr: calls == 0, node: embedded}\n", true, "calls = 0"},
		{"  - expr: generators.fs2.min_idle_cpu == -1\n", true, "generators.fs2.min_idle_cpu = -1"},
		{"  - expr: stages.warm.calls == 0\n", true, "stages.warm.calls = 0"},
	} {
		t.Run(tc.yaml, func(t *testing.T) {
			t.Parallel()
			p := planWith(t, tc.yaml)
			s, err := Compile(p)
			require.NoError(t, err)
			vs := s.Evaluate(sum, nil, nil)
			require.Len(t, vs, 1)
			v := vs[0]
			assert.Equal(t, tc.pass, v.Pass, "verdict %s", v)
			assert.Equal(t, tc.observed, v.ObservedText())
			assert.Equal(t, "assertions[0]", v.Path)
			assert.Equal(t, Source{File: "p.yaml", Line: 11, Col: 5}, v.Source)
			assert.Equal(t, p.Assertions[0].Expr, v.Expr)
			assert.Equal(t, tc.pass, Passed(vs))
		})
	}
}

func TestEvaluateRuntimeErrorFails(t *testing.T) {
	t.Parallel()
	s, err := Compile(planWith(t, "  - expr: calls % answered == 0\n"))
	require.NoError(t, err)
	v := s.Evaluate(summary(metrics.Group{Calls: 4}), nil, nil)[0]
	assert.False(t, v.Pass)
	assert.Contains(t, v.Error, "integer divide by zero")
}

// sec is a synthetic second: calls originated, answered, one pdd value.
// sec is a second of short calls: each ends in the second it was made,
// answered ones ok, the others failed.
func sec(i int, stage string, calls, answered int64) metrics.Second {
	return metrics.Second{Index: i, Stage: stage, Offered: calls, Calls: calls, Answered: answered,
		OK: answered, Failed: calls - answered, EndedAnswered: answered}
}

// held is a second of long calls: made and answered in it, none ended.
func held(i int, stage string, calls, answered int64) metrics.Second {
	return metrics.Second{Index: i, Stage: stage, Offered: calls, Calls: calls, Answered: answered, Active: calls}
}

func TestWindows(t *testing.T) {
	t.Parallel()
	// 20 seconds at 10 cps; seconds 8..10 answer only half their calls.
	var secs []metrics.Second
	for i := range 20 {
		ans := int64(10)
		if i >= 8 && i <= 10 {
			ans = 5
		}
		secs = append(secs, sec(i, "ramp", 10, ans))
	}
	whole := summary(metrics.Group{Calls: 200, Answered: 185, ASR: 0.925})
	for _, tc := range []struct {
		name       string
		yaml       string
		pass       bool
		windows    int
		failed     int
		span       *Span
		observed   string
		wholeSecs  []metrics.Second
		evaluation string
	}{
		// A 5 s window starting at i holds b of the three bad seconds and
		// has asr 1 - 0.1 b: b >= 2 for i in 5..9, b = 3 for i in 6..8.
		{"5s windows catch the dip", "  - {expr: asr >= 0.9, window: 5s}\n", false, 16, 5, &Span{5, 10}, "asr = 0.8, in [5s, 10s)", nil, ""},
		{"deepest window", "  - {expr: asr >= 0.8, window: 5s}\n", false, 16, 3, &Span{6, 11}, "asr = 0.7, in [6s, 11s)", nil, ""},
		{"looser threshold holds everywhere", "  - {expr: asr >= 0.7, window: 5s}\n", true, 16, 0, &Span{15, 20}, "asr = 1, in [15s, 20s)", nil, ""},
		{"window longer than the run is one window", "  - {expr: asr >= 0.95, window: 60s}\n", false, 1, 1, &Span{0, 20}, "asr = 0.925, in [0s, 20s)", nil, ""},
		{"stage scope slides over its own seconds", "  - {expr: asr >= 0.9, window: 5s, stage: warm}\n", false, 0, 0, nil, "asr = 0", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := Compile(planWith(t, tc.yaml))
			require.NoError(t, err)
			v := s.Evaluate(whole, secs, nil)[0]
			assert.Equal(t, tc.pass, v.Pass, "%s", v)
			assert.Equal(t, tc.windows, v.Windows)
			assert.Equal(t, tc.failed, v.FailedWindows)
			assert.Equal(t, tc.span, v.Span)
			assert.Equal(t, tc.observed, v.ObservedText())
		})
	}
}

func TestWindowsSkipIdleSeconds(t *testing.T) {
	t.Parallel()
	// A drain at the end: no originates, answers trickle in. Windows
	// without originates are not judged.
	secs := []metrics.Second{sec(0, "s", 10, 10), sec(1, "s", 10, 10), sec(2, "s", 0, 3), sec(3, "s", 0, 0), sec(4, "s", 0, 0)}
	s, err := Compile(planWith(t, "  - {expr: asr >= 0.99, window: 2s}\n"))
	require.NoError(t, err)
	v := s.Evaluate(summary(metrics.Group{}), secs, nil)[0]
	assert.True(t, v.Pass, "%s", v)
	assert.Equal(t, 2, v.Windows) // [0,2) and [1,3); [2,4) and [3,5) had no calls
}

func TestWindowsNoCallsAtAllFails(t *testing.T) {
	t.Parallel()
	s, err := Compile(planWith(t, "  - {expr: asr >= 0.99, window: 2s}\n  - {expr: dropped == 0, window: 2s}\n"))
	require.NoError(t, err)
	secs := []metrics.Second{sec(0, "s", 0, 0), sec(1, "s", 0, 0), sec(2, "s", 0, 0)}
	vs := s.Evaluate(summary(metrics.Group{}), secs, nil)
	assert.False(t, vs[0].Pass)
	assert.True(t, vs[1].Pass)
	assert.Equal(t, &Span{0, 3}, vs[0].Span)
}

func TestLiveAbort(t *testing.T) {
	t.Parallel()
	p := planWith(t, `  - {name: keep asr, expr: asr >= 0.9, abort: true, abort_delay: 5s}
  - {expr: asr >= 0.99}
  - {name: windowed, expr: asr >= 0.5, window: 3s, abort: true}
`)
	s, err := Compile(p)
	require.NoError(t, err)
	l := s.Live()
	require.Equal(t, 2, l.Len())

	bad := summary(metrics.Group{Calls: 10, Answered: 1, OK: 1, Failed: 9, ASR: 0.1})
	good := summary(metrics.Group{Calls: 10, Answered: 10, OK: 10, ASR: 1})
	okSecs := []metrics.Second{sec(0, "warm", 4, 4), sec(1, "warm", 4, 4), sec(2, "warm", 4, 4)}

	assert.Nil(t, l.Check(4*time.Second, bad, okSecs), "abort_delay not passed yet")
	assert.Nil(t, l.Check(6*time.Second, good, okSecs))
	assert.Nil(t, l.Check(6*time.Second, summary(metrics.Group{}), okSecs), "no calls yet: nothing to judge")
	assert.Nil(t, l.Check(6*time.Second, summary(metrics.Group{Calls: 10, Active: 10}), okSecs), "no call finished yet: nothing to judge")

	v := l.Check(6*time.Second, bad, okSecs)
	require.NotNil(t, v)
	assert.Equal(t, "keep asr", v.Name)
	assert.True(t, v.Aborted)
	assert.False(t, v.Pass)
	assert.Equal(t, Sec(6*time.Second), v.At)
	assert.Equal(t, "asr = 0.1", v.ObservedText())

	// Only the latest 3 s window counts live: [0,3) has asr 4/12, and
	// once the bad seconds slide out, [2,5) has asr 1.
	secs := []metrics.Second{sec(0, "warm", 4, 0), sec(1, "warm", 4, 0), sec(2, "warm", 4, 4), sec(3, "warm", 4, 4), sec(4, "warm", 4, 4)}
	v = l.Check(3*time.Second, good, secs[:3])
	require.NotNil(t, v)
	assert.Equal(t, "windowed", v.Name)
	assert.Equal(t, "asr = 0.3333, in [0s, 3s)", v.ObservedText())
	assert.Nil(t, l.Check(4*time.Second, good, secs)) // before keep asr's abort_delay
	// Younger than the window: the seconds so far are the window.
	v = l.Check(time.Second, good, secs[:1])
	require.NotNil(t, v)
	assert.Equal(t, &Span{0, 1}, v.Span)
}

func TestEvaluateMarksAborted(t *testing.T) {
	t.Parallel()
	s, err := Compile(planWith(t, "  - {expr: asr >= 0.9, abort: true}\n  - expr: calls > 0\n"))
	require.NoError(t, err)
	live := s.Live().Check(time.Minute, summary(metrics.Group{Calls: 10, Answered: 2, OK: 2, Failed: 8}), nil)
	require.NotNil(t, live)
	// The run's final figures would pass; the verdict still says aborted.
	vs := s.Evaluate(summary(metrics.Group{Calls: 10, ASR: 1}), nil, live)
	require.Len(t, vs, 2)
	assert.False(t, vs[0].Pass)
	assert.True(t, vs[0].Aborted)
	assert.Equal(t, "asr = 0.2", vs[0].ObservedText())
	assert.True(t, vs[1].Pass)
	assert.False(t, Passed(vs))
}

func TestNilSet(t *testing.T) {
	t.Parallel()
	var s *Set
	assert.Equal(t, 0, s.Len())
	assert.Nil(t, s.Evaluate(summary(metrics.Group{}), nil, nil))
	assert.Nil(t, s.Live().Check(time.Hour, summary(metrics.Group{}), nil))
}

func TestFormat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   any
		want string
	}{
		{312 * time.Millisecond, "312ms"},
		{0.98666666, "0.9867"},
		{1.0, "1"},
		{153.25, "153.2"},
		{12345.67, "12345.7"},
		{int64(3), "3"},
		{map[string]int64{"b": 2, "a": 1}, "{a: 1, b: 2}"},
		{nil, "nil"},
		{true, "true"},
	} {
		assert.Equal(t, tc.want, format(tc.in), "format(%v)", tc.in)
	}
}

// TestLiveJudgesFinishedCallsOnly is issue 12's case: success >= 0.9
// with abort aborted a healthy run of 9 answered calls still being held,
// because calls in progress counted against success. Live, only calls that
// ended are judged, over the run, a scope or a window.
func TestLiveJudgesFinishedCallsOnly(t *testing.T) {
	t.Parallel()
	s, err := Compile(planWith(t, `  - {name: success, expr: success >= 0.9, abort: true}
  - {name: asr, expr: asr >= 0.9, abort: true}
  - {name: warm success, expr: success >= 0.9, stage: warm, abort: true}
  - {name: park success, expr: success >= 0.9, flow: park, abort: true}
  - {name: windowed success, expr: success >= 0.9, window: 2s, abort: true}
  - {name: few failed, expr: failed / calls < 0.2, abort: true}
`))
	require.NoError(t, err)
	// 9 calls answered and held: none has ended, nothing is judged.
	inProgress := summary(metrics.Group{Offered: 9, Calls: 9, Active: 9})
	inProgress.Stages["warm"] = metrics.Group{Calls: 9, Active: 9}
	inProgress.Flows["park"] = metrics.Group{Calls: 9, Active: 9}
	secs := []metrics.Second{held(0, "warm", 5, 5), held(1, "warm", 4, 4), held(2, "warm", 0, 0)}
	assert.Nil(t, s.Live().Check(time.Minute, inProgress, secs))
	assert.Empty(t, s.Failing(time.Minute, inProgress, secs))

	// Three of them ended ok, six still held: judged on the three.
	someEnded := summary(metrics.Group{Calls: 9, Answered: 3, OK: 3, Active: 6})
	someEnded.Stages["warm"] = metrics.Group{Calls: 9, Answered: 3, OK: 3, Active: 6}
	someEnded.Flows["park"] = metrics.Group{Calls: 9, Answered: 3, OK: 3, Active: 6}
	ended := metrics.Second{Index: 3, Stage: "warm", OK: 3, EndedAnswered: 3, Active: 6}
	secs = append(secs, ended)
	assert.Nil(t, s.Live().Check(time.Minute, someEnded, secs))
	assert.Empty(t, s.Failing(time.Minute, someEnded, secs))

	// One ended failed: success 3/4 over the finished calls aborts.
	oneFailed := summary(metrics.Group{Calls: 9, Answered: 3, OK: 3, Failed: 1, Active: 5})
	v := s.Live().Check(time.Minute, oneFailed, secs)
	require.NotNil(t, v)
	assert.Equal(t, "success", v.Name)
	assert.Equal(t, "success = 0.75", v.ObservedText())
	assert.Equal(t, []string{"success", "asr", "few failed"}, s.Failing(time.Minute, oneFailed, secs))

	// A window judges the calls that ended in it.
	failing := metrics.Second{Index: 4, Stage: "warm", OK: 1, Failed: 1, EndedAnswered: 1, Active: 3}
	v = s.Live().Check(time.Minute, someEnded, append(secs, failing))
	require.NotNil(t, v)
	assert.Equal(t, "windowed success", v.Name)
	assert.Equal(t, "success = 0.8, in [3s, 5s)", v.ObservedText())
}

func TestFailing(t *testing.T) {
	t.Parallel()
	s, err := Compile(planWith(t, `  - {name: answers, expr: asr >= 0.9}
  - {name: windowed, expr: asr >= 0.9, window: 2s}
  - {name: ramp only, expr: asr >= 0.9, stage: ramp}
  - {name: delayed abort, expr: calls > 100, abort: true, abort_delay: 1h}
`))
	require.NoError(t, err)
	sum := summary(metrics.Group{Calls: 20, OK: 12, Failed: 8, Answered: 12})
	sum.Stages["ramp"] = metrics.Group{} // not started: not judged
	secs := []metrics.Second{sec(0, "warm", 10, 10), sec(1, "warm", 10, 2), sec(2, "warm", 10, 2)}
	assert.Equal(t, []string{"answers", "windowed", "delayed abort"}, s.Failing(time.Second, sum, secs))
	assert.Nil(t, s.Live().Check(time.Second, sum, secs), "abort_delay still holds for aborting")
	var none *Set
	assert.Nil(t, none.Failing(time.Second, sum, secs))
}

// scoped builds 20 synthetic seconds at 10 cps split across flows park
// (6 cps) and reject (4 cps) and caller nodes embedded (7) and fs2 (3).
// In seconds 8..10 park answers 2 of 6, lost on embedded (3 of 7); in
// seconds 15..17 fs2 answers nothing, lost on reject (1 of 4). The run's
// own second is the sum of either breakdown.
func scoped() []metrics.Second {
	var secs []metrics.Second
	for i := range 20 {
		park, reject := sec(i, "ramp", 6, 6), sec(i, "ramp", 4, 4)
		embedded, fs2 := sec(i, "ramp", 7, 7), sec(i, "ramp", 3, 3)
		if i >= 8 && i <= 10 {
			park.Answered, embedded.Answered = 2, 3
		}
		if i >= 15 && i <= 17 {
			reject.Answered, fs2.Answered = 1, 0
		}
		for _, s := range []*metrics.Second{&park, &reject, &embedded, &fs2} {
			*s = sec(s.Index, s.Stage, s.Calls, s.Answered)
		}
		run := sec(i, "ramp", 10, park.Answered+reject.Answered)
		run.Flows = map[string]metrics.Second{"park": park, "reject": reject}
		run.Nodes = map[string]metrics.Second{"embedded": embedded, "fs2": fs2}
		secs = append(secs, run)
	}
	return secs
}

func TestScopedWindows(t *testing.T) {
	t.Parallel()
	secs := scoped()
	// Whole-run figures: park 108/120, fs2 51/60.
	whole := summary(metrics.Group{Calls: 200, Answered: 179, ASR: 0.895})
	whole.Flows["park"] = metrics.Group{Calls: 120, Answered: 108, ASR: 0.9}
	whole.Nodes["fs2"] = metrics.Group{Calls: 60, Answered: 51, ASR: 0.85}
	for _, tc := range []struct {
		name     string
		yaml     string
		pass     bool
		windows  int
		failed   int
		span     *Span
		observed string
	}{
		{"flow holds over the whole run", "  - {expr: asr >= 0.85, flow: park}\n", true, 0, 0, nil, "asr = 0.9"},
		// A 5 s window of park holding b of its three bad seconds has
		// asr (30 - 4b) / 30: fails for b >= 2, i.e. starts 5..9.
		{"flow window fails where the whole run passes", "  - {expr: asr >= 0.85, window: 5s, flow: park}\n", false, 16, 5, &Span{5, 10}, "asr = 0.7333, in [5s, 10s)"},
		// reject's worst 5 s window has asr (20 - 9) / 20.
		{"other flow's windows all pass", "  - {expr: asr >= 0.5, window: 5s, flow: reject}\n", true, 16, 0, &Span{15, 20}, "asr = 0.55, in [15s, 20s)"},
		// The run's worst is the dip: (50 - 12) / 50 in [6s, 11s).
		{"run windows pass a looser bar", "  - {expr: asr >= 0.75, window: 5s}\n", true, 16, 0, &Span{15, 20}, "asr = 0.82, in [15s, 20s)"},
		{"run window catches the dip", "  - {expr: asr >= 0.8, window: 5s}\n", false, 16, 3, &Span{6, 11}, "asr = 0.76, in [6s, 11s)"},
		{"node holds over the whole run", "  - {expr: asr >= 0.8, node: fs2}\n", true, 0, 0, nil, "asr = 0.85"},
		// fs2's 5 s windows holding b of its three silent seconds have
		// asr (15 - 3b) / 15: fail for b >= 2, starts 12..15.
		{"node window fails", "  - {expr: asr >= 0.8, window: 5s, node: fs2}\n", false, 16, 4, &Span{12, 17}, "asr = 0.6, in [12s, 17s)"},
		{"other node passes", "  - {expr: asr >= 0.6, window: 5s, node: embedded}\n", true, 16, 0, &Span{15, 20}, "asr = 1, in [15s, 20s)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := Compile(planWith(t, tc.yaml))
			require.NoError(t, err)
			v := s.Evaluate(whole, secs, nil)[0]
			assert.Equal(t, tc.pass, v.Pass, "%s", v)
			assert.Equal(t, tc.windows, v.Windows)
			assert.Equal(t, tc.failed, v.FailedWindows)
			assert.Equal(t, tc.span, v.Span)
			assert.Equal(t, tc.observed, v.ObservedText())
		})
	}
}

// TestLiveFlowAndNodeFromSeries: live flow and node assertions judge
// their own finished calls: from the summary's flow or node group, or,
// windowed, from their own per-second series.
func TestLiveFlowAndNodeFromSeries(t *testing.T) {
	t.Parallel()
	secs := scoped()
	// Long holds: most calls are still held; of those that ended, park
	// had 12 answered of 13 and fs2 6 of 7.
	held := summary(metrics.Group{Calls: 200, Answered: 18, OK: 18, Failed: 2})
	held.Flows["park"] = metrics.Group{Calls: 120, Answered: 12, OK: 12, Failed: 1}
	held.Nodes["fs2"] = metrics.Group{Calls: 60, Answered: 6, OK: 6, Failed: 1}
	for _, tc := range []struct {
		name     string
		yaml     string
		upTo     int // seconds sealed so far
		abort    bool
		observed string
	}{
		{"flow whole scope judges its finished calls", "  - {expr: asr >= 0.85, flow: park, abort: true}\n", 20, false, ""},
		{"flow whole scope aborts on its finished calls", "  - {expr: asr >= 0.95, flow: park, abort: true}\n", 20, true, "asr = 0.9231"},
		{"node whole scope judges its finished calls", "  - {expr: asr >= 0.8, node: fs2, abort: true}\n", 20, false, ""},
		{"node whole scope aborts", "  - {expr: asr >= 0.9, node: fs2, abort: true}\n", 20, true, "asr = 0.8571"},
		{"flow window aborts in the dip", "  - {expr: asr >= 0.85, window: 5s, flow: park, abort: true}\n", 11, true, "asr = 0.6, in [6s, 11s)"},
		{"flow window recovers after the dip", "  - {expr: asr >= 0.85, window: 5s, flow: park, abort: true}\n", 20, false, ""},
		{"node window aborts", "  - {expr: asr >= 0.8, window: 3s, node: fs2, abort: true}\n", 17, true, "asr = 0.3333, in [14s, 17s)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := Compile(planWith(t, tc.yaml))
			require.NoError(t, err)
			v := s.Live().Check(time.Minute, held, secs[:tc.upTo])
			if !tc.abort {
				assert.Nil(t, v, "%v", v)
				return
			}
			require.NotNil(t, v)
			assert.True(t, v.Aborted)
			assert.Equal(t, tc.observed, v.ObservedText())
		})
	}
}
