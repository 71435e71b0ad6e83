package metrics

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// fakeClock is a settable clock for the collector.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeClock) Now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now }
func (f *fakeClock) Set(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = t0.Add(d)
}

func TestRecordIntervals(t *testing.T) {
	t.Parallel()
	at := func(n int) time.Time { return t0.Add(ms(n)) }
	tests := []struct {
		name                       string
		r                          Record
		pdd, setup, answer, dur    time.Duration
		okPDD, okSetup, okAns, okD bool
		cause                      string
	}{
		{
			name: "answered with ringing",
			r: Record{CallerCreate: at(0), CallerProgress: at(30), CalleeCreate: at(10),
				CallerAnswer: at(100), CallerHangup: at(1100), CallerCause: "NORMAL_CLEARING"},
			pdd: ms(30), setup: ms(10), answer: ms(100), dur: ms(1000),
			okPDD: true, okSetup: true, okAns: true, okD: true, cause: "NORMAL_CLEARING",
		},
		{
			name: "answered without progress: pdd ends at answer",
			r:    Record{CallerCreate: at(0), CallerAnswer: at(50), CallerHangup: at(60)},
			pdd:  ms(50), answer: ms(50), dur: ms(10),
			okPDD: true, okAns: true, okD: true,
		},
		{
			name: "answer before a late progress event",
			r:    Record{CallerCreate: at(0), CallerProgress: at(80), CallerAnswer: at(40)},
			pdd:  ms(40), answer: ms(40),
			okPDD: true, okAns: true,
		},
		{
			name:  "originate failed: cause from -ERR",
			r:     Record{OriginateResult: "-ERR USER_BUSY\n"},
			cause: "USER_BUSY",
		},
		{
			name:  "clock going backwards is not an interval",
			r:     Record{CallerCreate: at(100), CalleeCreate: at(90)},
			okPDD: false, okSetup: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, ok := tt.r.PDD()
			assert.Equal(t, tt.okPDD, ok, "PDD ok")
			assert.Equal(t, tt.pdd, v, "PDD")
			v, ok = tt.r.SetupLatency()
			assert.Equal(t, tt.okSetup, ok, "SetupLatency ok")
			assert.Equal(t, tt.setup, v, "SetupLatency")
			v, ok = tt.r.AnswerLatency()
			assert.Equal(t, tt.okAns, ok, "AnswerLatency ok")
			assert.Equal(t, tt.answer, v, "AnswerLatency")
			v, ok = tt.r.Duration()
			assert.Equal(t, tt.okD, ok, "Duration ok")
			assert.Equal(t, tt.dur, v, "Duration")
			assert.Equal(t, tt.cause, tt.r.Cause(), "Cause")
		})
	}
}

func TestBinsAreMonotonicAndPrecise(t *testing.T) {
	t.Parallel()
	prev := uint16(0)
	for us := int64(0); us < 1<<34; us = us*101/100 + 1 {
		i := binIndex(us)
		require.GreaterOrEqual(t, i, prev, "binIndex(%d) went down", us)
		prev = i
		got := binValue(i)
		if us < linearBins {
			require.Equal(t, us, got, "binValue(binIndex(%d))", us)
			continue
		}
		relErr := math.Abs(float64(got-us)) / float64(us)
		require.Less(t, relErr, 0.016, "binValue(binIndex(%d)) = %d", us, got)
	}
}

func TestWindowHistPercentiles(t *testing.T) {
	t.Parallel()
	bc := binCounter{}
	for i := 1; i <= 1000; i++ {
		bc.add(ms(i)) // 1..1000 ms, uniform
	}
	l := bc.seal().Latency()
	assert.Equal(t, int64(1000), l.Count)
	within := func(want, got time.Duration, name string) {
		assert.InEpsilon(t, float64(want), float64(got), 0.01, "%s = %v; want %v", name, got, want)
	}
	within(ms(1), l.Min, "min")
	within(ms(500), l.P50, "p50")
	within(ms(950), l.P95, "p95")
	within(ms(990), l.P99, "p99")
	within(ms(1000), l.Max, "max")
	within(ms(500)+500*time.Microsecond, l.Mean, "mean")

	// Merging two halves gives the same distribution as the whole.
	lo, hi := binCounter{}, binCounter{}
	for i := 1; i <= 1000; i++ {
		if i <= 500 {
			lo.add(ms(i))
		} else {
			hi.add(ms(i))
		}
	}
	assert.Equal(t, l, mergeWindows(lo.seal(), hi.seal()).Latency())
	assert.Equal(t, Latency{}, WindowHist{}.Latency())
}

// call builds an ended record: created at c, answered after ans (0: never),
// hung up after hold.
func call(id, stage, flow, node string, c time.Time, ans, hold time.Duration, out Outcome, cause string, sip int) *Record {
	r := &Record{Run: "r1", Call: id, Stage: stage, Flow: flow, CallerNode: node,
		OriginateSent: c, CallerCreate: c, Outcome: out, CallerCause: cause, SIPStatus: sip}
	if ans > 0 {
		r.CallerAnswer = c.Add(ans)
		r.CallerHangup = r.CallerAnswer.Add(hold)
	} else {
		r.CallerHangup = c.Add(hold)
	}
	if out == OutcomeFailed {
		r.Reason = cause
	}
	return r
}

func TestCollectorSummaryAndSeries(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{}
	clk.Set(0)
	var ts bytes.Buffer
	c := NewCollector("r1", "smoke", WithClock(clk.Now), WithTimeSeries(&ts))
	c.SetStage("warm")

	// Second 0: two calls originated at 0.0 s on node a, flow park.
	for range 2 {
		c.Offered("warm", "park")
		c.Originated("warm", "park", "a")
	}
	// One arrival dropped at 0.5 s.
	clk.Set(ms(500))
	c.Offered("warm", "park")
	c.Dropped("warm", "park")
	// Both answered at 0.1 s after create, one ends at 1.0 s, other at 2.0 s.
	clk.Set(ms(600))
	c.Answered()
	c.Answered()
	clk.Set(ms(1000))
	require.NoError(t, c.End(call("c1", "warm", "park", "a", t0, ms(100), ms(900), OutcomeOK, "NORMAL_CLEARING", 200)))
	c.SetStage("busy")
	clk.Set(ms(1500))
	c.Offered("busy", "reject")
	c.Originated("busy", "reject", "b")
	clk.Set(ms(1600))
	r := call("c3", "busy", "reject", "b", t0.Add(ms(1500)), 0, ms(100), OutcomeOK, "USER_BUSY", 486)
	r.Counts = map[string]int64{"expected": 1}
	require.NoError(t, c.End(r))
	clk.Set(ms(2000))
	require.NoError(t, c.End(call("c2", "warm", "park", "a", t0, ms(100), ms(1900), OutcomeFailed, "RECOVERY_ON_TIMER_EXPIRE", 408)))
	clk.Set(ms(2500))
	s, err := c.Close()
	require.NoError(t, err)

	assert.Equal(t, int64(4), s.Offered)
	assert.Equal(t, int64(3), s.Calls)
	assert.Equal(t, int64(2), s.Answered)
	assert.Equal(t, int64(2), s.OK)
	assert.Equal(t, int64(1), s.Failed)
	assert.Equal(t, int64(1), s.Dropped)
	assert.Equal(t, int64(0), s.Active)
	assert.InDelta(t, 2.0/3, s.ASR, 1e-9)
	assert.Equal(t, map[string]int64{"NORMAL_CLEARING": 1, "USER_BUSY": 1, "RECOVERY_ON_TIMER_EXPIRE": 1}, s.Causes)
	assert.Equal(t, map[string]int64{"200": 1, "486": 1, "408": 1}, s.SIP)
	assert.Equal(t, map[string]int64{"RECOVERY_ON_TIMER_EXPIRE": 1}, s.Reasons)
	assert.Equal(t, int64(2), s.Duration.Count)
	assert.InEpsilon(t, float64(ms(1900)), float64(s.Duration.Max), 0.001)
	assert.InEpsilon(t, float64(ms(900)), float64(s.Duration.Min), 0.001)
	assert.InEpsilon(t, float64(ms(100)), float64(s.AnswerLatency.P95), 0.001)
	// Erlangs: 2 calls for 1 s, then 1 call (c2) 1..2 s plus c3 for 0.1 s.
	// Call-seconds = 2*1 + 1*1 + 0.1 = 3.1 over the 2 s span.
	assert.InDelta(t, 3.1/2, s.Erlangs.Mean, 1e-9)
	assert.Equal(t, 2.0, s.Erlangs.Max)
	assert.Equal(t, []string{"warm", "busy"}, s.StageOrder)
	assert.Equal(t, int64(2), s.Stages["warm"].Calls)
	assert.Equal(t, int64(1), s.Stages["warm"].Dropped)
	assert.Equal(t, int64(1), s.Flows["reject"].Counters["expected"])
	assert.Equal(t, int64(1), s.Nodes["b"].OK)
	assert.Equal(t, int64(2), s.Nodes["a"].Calls)
	assert.Equal(t, 2.0, s.CPS.Max)

	secs := c.Seconds()
	require.Len(t, secs, 3)
	assert.Equal(t, int64(2), secs[0].Calls)
	assert.Equal(t, int64(2), secs[0].Answered)
	assert.Equal(t, int64(2), secs[0].Active)
	assert.InDelta(t, 2.0, secs[0].Erlangs, 1e-9)
	assert.Equal(t, "warm", secs[0].Stage)
	assert.Equal(t, "busy", secs[1].Stage)
	assert.InDelta(t, 1.1, secs[1].Erlangs, 1e-9)
	assert.Equal(t, int64(1), secs[2].Failed)
	assert.Equal(t, int64(0), secs[2].Active)

	// A window over every second has the run's counts.
	w := Window(secs)
	for _, p := range []struct {
		name      string
		got, want int64
	}{
		{"offered", w.Offered, s.Offered}, {"calls", w.Calls, s.Calls},
		{"answered", w.Answered, s.Answered}, {"ok", w.OK, s.OK},
		{"failed", w.Failed, s.Failed}, {"dropped", w.Dropped, s.Dropped},
	} {
		assert.Equal(t, p.want, p.got, "Window(all).%s", p.name)
	}
	assert.Equal(t, s.Causes, w.Causes)
	assert.Equal(t, s.Duration.Count, w.Duration.Count)
	assert.InEpsilon(t, float64(s.Duration.Max), float64(w.Duration.Max), 0.01)

	rows, err := csv.NewReader(&ts).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 4, "header + 3 seconds")
	assert.Equal(t, timeseriesHeader, rows[0])
	assert.Equal(t, []string{"0", "warm", "3", "2", "2", "0", "0", "0", "1", "0", "2", "2.000", "2"}, rows[1][:13])
}

func TestCollectorLiveSummaryAndWindowRatios(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{}
	clk.Set(0)
	c := NewCollector("r", "p", WithClock(clk.Now))
	c.Originated("s", "park", "n")
	clk.Set(ms(4000))
	s := c.Summary()
	assert.Equal(t, int64(1), s.Active)
	assert.InDelta(t, 1.0, s.Erlangs.Mean, 1e-9, "one call in progress for the whole span")
	assert.Equal(t, 4*time.Second, s.Elapsed)
	assert.Len(t, c.Seconds(), 4)
	assert.Equal(t, Group{Causes: map[string]int64{}, SIP: map[string]int64{},
		Reasons: map[string]int64{}, Counters: map[string]int64{}}, Window(nil))
}

// The achieved rate of evenly paced originates is the pacing rate, never
// above the busiest second: N originates enclose N-1 intervals.
func TestCollectorCPSMean(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		at   []time.Duration // originate offsets
		mean float64
		max  float64
	}{
		{"10 calls at 2/s", []time.Duration{0, ms(500), ms(1000), ms(1500), ms(2000), ms(2500), ms(3000), ms(3500), ms(4000), ms(4500)}, 2, 2},
		{"two calls 250 ms apart", []time.Duration{0, ms(250)}, 4, 2},
		{"one call", []time.Duration{0}, 1, 1},
	}
	for _, tt := range tests {
		clk := &fakeClock{}
		clk.Set(0)
		c := NewCollector("r", "p", WithClock(clk.Now))
		for _, at := range tt.at {
			clk.Set(at)
			c.Originated("s", "park", "n")
		}
		s := c.Summary()
		assert.InDelta(t, tt.mean, s.CPS.Mean, 1e-9, "%s: cps.mean", tt.name)
		assert.InDelta(t, tt.max, s.CPS.Max, 1e-9, "%s: cps.max", tt.name)
	}
}

func TestGeneratorHealth(t *testing.T) {
	t.Parallel()
	s := Summary{Generators: map[string]Generator{"a": {MinIdleCPU: 80}}}
	assert.True(t, s.Healthy())
	s.Generators["b"] = Generator{Disconnects: 1}
	assert.False(t, s.Healthy())
	assert.False(t, Generator{Saturated: true}.Healthy())
	assert.False(t, Generator{AtMaxSessions: true}.Healthy())
}

func TestCDRWriterStreamsEveryRecord(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	w, err := CreateCDR(dir)
	require.NoError(t, err)
	r1 := call("c1", "s", "park", "n1", t0, ms(20), ms(500), OutcomeOK, "NORMAL_CLEARING", 200)
	r1.Fields = map[string]string{"b": "2", "a": "1,\"x\""}
	r2 := call("c2", "s", "reject", "n1", t0, 0, ms(5), OutcomeFailed, "NO_ANSWER", 0)
	r2.Reason = "no_callee_leg"
	require.NoError(t, w.Write(r1))
	require.NoError(t, w.Write(r2))

	// Before Close: both records are already on disk.
	f, err := os.Open(filepath.Join(dir, CDRCSVFile))
	require.NoError(t, err)
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	f.Close()
	require.Len(t, rows, 3)
	assert.Equal(t, cdrHeader, rows[0])
	col := func(row []string, name string) string {
		for i, h := range cdrHeader {
			if h == name {
				return row[i]
			}
		}
		t.Fatalf("no column %q", name)
		return ""
	}
	assert.Equal(t, "c1", col(rows[1], "call"))
	assert.Equal(t, "2026-11-22T10:00:00.020000Z", col(rows[1], "caller_answer"))
	assert.Equal(t, "20.000", col(rows[1], "answer_latency_ms"))
	assert.Equal(t, "500.000", col(rows[1], "duration_ms"))
	assert.Equal(t, `{"a":"1,\"x\"","b":"2"}`, col(rows[1], "fields"))
	assert.Equal(t, "", col(rows[2], "duration_ms"))
	assert.Equal(t, "no_callee_leg", col(rows[2], "reason"))
	assert.Equal(t, "failed", col(rows[2], "outcome"))

	b, err := os.ReadFile(filepath.Join(dir, CDRJSONLFile))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Len(t, lines, 2)
	var back Record
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &back))
	assert.Equal(t, r1.Call, back.Call)
	assert.True(t, r1.CallerAnswer.Equal(back.CallerAnswer))
	assert.Equal(t, r1.Fields, back.Fields)
	assert.NotContains(t, lines[1], "caller_answer", "zero times are omitted")
	require.NoError(t, w.Close())
}

func TestSortedKeys(t *testing.T) {
	t.Parallel()
	keys := sortedKeys(map[string]int{"b": 1, "a": 2, "c": 3})
	assert.True(t, sort.StringsAreSorted(keys))
	assert.Len(t, keys, 3)
}

// TestCollectorFlowAndNodeSeconds: each second's per-flow and per-node
// breakdowns add up to the run's second, and Window over a flow's or a
// node's series agrees with the summary's group for it.
func TestCollectorFlowAndNodeSeconds(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{}
	clk.Set(0)
	c := NewCollector("r", "p", WithClock(clk.Now))
	c.SetStage("s")
	flows, nodes := []string{"park", "reject", "park"}, []string{"a", "b"}
	n := 0
	// 6 s: every 250 ms an arrival; 1 in 5 dropped; the rest are
	// originated on alternating nodes, answered 100 ms later (except
	// reject) and ended 700 ms after the originate, crossing seconds.
	type open struct {
		r      *Record
		answer time.Duration
		end    time.Duration
	}
	var pending []open
	// Arrivals stop at 6 s; by 7 s every call has ended, so the summary
	// (which counts answers from ended records) and the series agree.
	for at := time.Duration(0); at < 7*time.Second; at += ms(50) {
		clk.Set(at)
		for i := 0; i < len(pending); {
			p := pending[i]
			switch {
			case p.answer > 0 && at >= p.answer:
				c.AnsweredIn(p.r.Flow, p.r.CallerNode)
				pending[i].answer = 0
			case at >= p.end:
				require.NoError(t, c.End(p.r))
				pending = append(pending[:i], pending[i+1:]...)
				continue
			}
			i++
		}
		if at%ms(250) != 0 || at >= 6*time.Second {
			continue
		}
		f := flows[n%len(flows)]
		c.Offered("s", f)
		n++
		if n%5 == 0 {
			c.Dropped("s", f)
			continue
		}
		node := nodes[n%len(nodes)]
		c.Originated("s", f, node)
		created := t0.Add(at)
		var r *Record
		ans := at + ms(100)
		if f == "reject" {
			r = call("x", "s", f, node, created, 0, ms(700), OutcomeFailed, "USER_BUSY", 486)
			ans = 0
		} else {
			r = call("x", "s", f, node, created, ms(100), ms(600), OutcomeOK, "NORMAL_CLEARING", 200)
		}
		pending = append(pending, open{r: r, answer: ans, end: at + ms(700)})
	}
	require.Empty(t, pending)
	clk.Set(7500 * time.Millisecond)
	sum, err := c.Close()
	require.NoError(t, err)
	secs := c.Seconds()
	require.Len(t, secs, 8)

	type counts struct {
		Offered, Calls, Answered, OK, Failed, Dropped, Active int64
		Causes                                                map[string]int64
	}
	of := func(s Second) counts {
		return counts{s.Offered, s.Calls, s.Answered, s.OK, s.Failed, s.Dropped, s.Active, s.Causes}
	}
	add := func(a *counts, b counts) {
		a.Offered += b.Offered
		a.Calls += b.Calls
		a.Answered += b.Answered
		a.OK += b.OK
		a.Failed += b.Failed
		a.Dropped += b.Dropped
		a.Active += b.Active
		for k, v := range b.Causes {
			if a.Causes == nil {
				a.Causes = map[string]int64{}
			}
			a.Causes[k] += v
		}
	}
	for _, s := range secs {
		var byFlow, byNode counts
		var flowErl, nodeErl float64
		for _, f := range s.Flows {
			add(&byFlow, of(f))
			flowErl += f.Erlangs
			assert.Equal(t, s.Stage, f.Stage)
			assert.Equal(t, s.Index, f.Index)
		}
		for _, nd := range s.Nodes {
			add(&byNode, of(nd))
			nodeErl += nd.Erlangs
		}
		want := of(s)
		assert.Equal(t, want, byFlow, "second %d by flow", s.Index)
		// Arrivals have no node: the nodes' seconds carry no offered or
		// dropped.
		want.Offered, want.Dropped = 0, 0
		assert.Equal(t, want, byNode, "second %d by node", s.Index)
		assert.InDelta(t, s.Erlangs, flowErl, 1e-9, "second %d erlangs by flow", s.Index)
		assert.InDelta(t, s.Erlangs, nodeErl, 1e-9, "second %d erlangs by node", s.Index)
	}
	require.Contains(t, secs[1].Flows, "park")
	require.Contains(t, secs[1].Nodes, "a")

	series := func(pick func(*Second) Second) []Second {
		out := make([]Second, len(secs))
		for i := range secs {
			out[i] = pick(&secs[i])
		}
		return out
	}
	for _, f := range []string{"park", "reject"} {
		w := Window(series(func(s *Second) Second { return s.Flow(f) }))
		g := sum.Flows[f]
		assert.Equal(t, g.Calls, w.Calls, "flow %s calls", f)
		assert.Equal(t, g.Answered, w.Answered, "flow %s answered", f)
		assert.Equal(t, g.Dropped, w.Dropped, "flow %s dropped", f)
		assert.Equal(t, g.Causes, w.Causes, "flow %s causes", f)
	}
	for _, nd := range nodes {
		w := Window(series(func(s *Second) Second { return s.Node(nd) }))
		g := sum.Nodes[nd]
		assert.Equal(t, g.Calls, w.Calls, "node %s calls", nd)
		assert.Equal(t, g.Answered, w.Answered, "node %s answered", nd)
		assert.Equal(t, g.Duration.Count, w.Duration.Count, "node %s durations", nd)
	}
	assert.Equal(t, int64(0), sum.Flows["reject"].Answered)
	assert.Positive(t, sum.Flows["park"].Answered)
	// A flow absent from a second reads as an empty second at its index.
	assert.Equal(t, Second{Index: 7, Stage: "s"}, secs[7].Flow("nope"))
}
