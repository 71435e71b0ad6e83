package report

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/assert"
	"github.com/callplan/callplan/flows"
	"github.com/callplan/callplan/metrics"
	"github.com/callplan/callplan/plan"
)

// The fixtures under testdata/<name>/ are results of simulated runs: a
// plan (plan.yaml) driven through the real metrics.Collector on a fake
// clock with deterministic call outcomes, evaluated by the real assert
// package, saved as report.json. `go test ./report -update` re-records
// them; the golden tests read them back from disk like `callplan report`.

// t0 is the simulated run's start.
var t0 = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// scenario shapes a simulated run's calls.
type scenario struct {
	// bad says whether call i at second sec (of stage) fails, and how.
	bad func(i, sec int) (cause string, sip int, bad bool)
	// slow adds to the post-dial delay of call i at second sec.
	slow func(i, sec int) time.Duration
	// unhealthy marks node fs2 saturated.
	unhealthy   bool
	interrupted bool
	// live evaluates abort assertions each second and stops originating.
	live bool
	// media gives answered call i (ending at second sec) its audio
	// quality and its flow's counters and figures.
	media func(r *metrics.Record, i, sec int)
}

// event is one thing that happens to a call at a time.
type event struct {
	at   time.Time
	kind int // 0 originate, 1 answer, 2 end
	call int
}

// h is a small deterministic hash for per-call variety.
func h(i int) int { return int((uint32(i)*2654435761)>>8) % 1000 }

func simulate(t *testing.T, name string, sc scenario) *Results {
	t.Helper()
	p, err := plan.Load(filepath.Join("testdata", name, "plan.yaml"), plan.Options{Check: assert.CheckWith(simKnown)})
	require.NoError(t, err)
	p.File = "plan.yaml" // as the run would record it, relative
	set, err := assert.CompileWith(p, simKnown)
	require.NoError(t, err)

	now := t0
	col := metrics.NewCollector("run-"+name, p.Name, metrics.WithClock(func() time.Time { return now }))
	type call struct {
		rec          *metrics.Record
		originate    time.Time
		answer, end  time.Time
		stage, flow  string
		node         string
		answered     bool
		originatedOK bool
	}
	var calls []*call
	var events []event
	stageStart := t0
	n := 0
	flows := []string{}
	weights := []int{}
	for _, f := range p.Flows {
		flows = append(flows, f.Name)
		weights = append(weights, f.Weight)
	}
	for _, st := range p.Stages {
		secs := int(st.Duration.D() / time.Second)
		for s := 0; s < secs; s++ {
			frac := (float64(s) + 0.5) / float64(secs)
			rate := int(st.Rate.From + (st.Rate.To-st.Rate.From)*frac + 0.5)
			for k := 0; k < rate; k++ {
				at := stageStart.Add(time.Duration(s)*time.Second + time.Duration(k)*time.Second/time.Duration(rate))
				flow := flows[0]
				if len(flows) > 1 && h(n+7)%(weights[0]+weights[1]) >= weights[0] {
					flow = flows[1]
				}
				node := p.Nodes[n%len(p.Nodes)].Name
				c := &call{originate: at, stage: st.Name, flow: flow, node: node}
				pdd := time.Duration(80+h(n)%120) * time.Millisecond
				if sc.slow != nil {
					pdd += sc.slow(n, int(at.Sub(t0)/time.Second))
				}
				// The SUT sends seven calls in ten back to the first node: an
				// uneven balancer for the callee-node table and chart.
				callee := p.Nodes[0].Name
				if h(n+11)%10 >= 7 {
					callee = p.Nodes[len(p.Nodes)-1].Name
				}
				r := &metrics.Record{Run: "run-" + name, Call: fmt.Sprintf("call-%04d", n), Stage: st.Name, Flow: flow, CallerNode: node,
					CalleeNode: callee, OriginateSent: at, CallerCreate: at.Add(5 * time.Millisecond)}
				r.CallerProgress = r.CallerCreate.Add(pdd)
				cause, sip, bad := "", 0, false
				if sc.bad != nil {
					cause, sip, bad = sc.bad(n, int(at.Sub(t0)/time.Second))
				}
				hold := st.Hold.Value.D()
				switch {
				case flow == "reject":
					r.CalleeCreate = r.CallerCreate.Add(pdd / 2)
					r.SIPStatus, r.CallerCause = 486, "USER_BUSY"
					r.Outcome = metrics.OutcomeOK
					if h(n+3)%4 == 0 {
						r.SIPStatus, r.CallerCause, r.Outcome, r.Reason = 603, "CALL_REJECTED", metrics.OutcomeFailed, "unexpected_sip_603"
						r.Counts = map[string]int64{"unexpected": 1}
					}
					c.end = r.CallerProgress.Add(20 * time.Millisecond)
				case bad:
					r.SIPStatus, r.CallerCause, r.Outcome, r.Reason = sip, cause, metrics.OutcomeFailed, cause
					c.end = r.CallerProgress.Add(10 * time.Millisecond)
				default:
					r.CalleeCreate = r.CallerCreate.Add(pdd / 2)
					r.CallerAnswer = r.CallerProgress.Add(40 * time.Millisecond)
					r.CalleeAnswer = r.CallerAnswer.Add(-5 * time.Millisecond)
					r.SIPStatus, r.CallerCause, r.CalleeCause = 200, "NORMAL_CLEARING", "NORMAL_CLEARING"
					r.Outcome = metrics.OutcomeOK
					c.answered, c.answer = true, r.CallerAnswer
					c.end = r.CallerAnswer.Add(hold)
					if sc.media != nil {
						sc.media(r, n, int(c.end.Sub(t0)/time.Second))
					}
				}
				r.CallerHangup = c.end
				r.OriginateResult = "+OK " + r.Call
				c.rec = r
				calls = append(calls, c)
				events = append(events, event{at, 0, n}, event{c.end, 2, n})
				if c.answered {
					events = append(events, event{c.answer, 1, n})
				}
				n++
			}
		}
		stageStart = stageStart.Add(st.Duration.D())
	}
	sort.SliceStable(events, func(i, j int) bool {
		if !events[i].at.Equal(events[j].at) {
			return events[i].at.Before(events[j].at)
		}
		return events[i].kind < events[j].kind
	})
	live := set.Live()
	var aborted *assert.Verdict
	stage := ""
	nextCheck := t0.Add(time.Second)
	stopAt := time.Time{}
	if sc.interrupted {
		stopAt = t0.Add(p.TotalDuration() / 2)
	}
	for _, ev := range events {
		for sc.live && aborted == nil && !ev.at.Before(nextCheck) {
			now = nextCheck
			col.Tick()
			sum := col.Summary()
			aborted = live.Check(now.Sub(t0), &sum, col.Seconds())
			if aborted != nil {
				stopAt = now
			}
			nextCheck = nextCheck.Add(time.Second)
		}
		c := calls[ev.call]
		if ev.kind == 0 && !stopAt.IsZero() && !ev.at.Before(stopAt) {
			continue // originating stopped
		}
		if ev.kind != 0 && !c.originatedOK {
			continue
		}
		now = ev.at
		switch ev.kind {
		case 0:
			if c.stage != stage {
				col.SetStage(c.stage)
				stage = c.stage
			}
			col.Offered(c.stage, c.flow)
			col.Originated(c.stage, c.flow, c.node)
			c.originatedOK = true
		case 1:
			col.Answered()
		case 2:
			require.NoError(t, col.End(c.rec))
		}
	}
	for _, nd := range p.Nodes {
		g := metrics.Generator{MinIdleCPU: 62}
		if sc.unhealthy && nd.Name == "fs2" {
			g.Saturated = true
			g.Notes = []string{"overdrive guard: pending bgapi jobs over 200 for 4s"}
		}
		col.SetGenerator(nd.Name, g)
	}
	if sc.interrupted {
		col.SetInterrupted()
	}
	sum, err := col.Close()
	require.NoError(t, err)
	secs := col.Seconds()
	verdicts := set.Evaluate(&sum, secs, aborted)
	r := New(simPlanInfo(p), sum, secs, verdicts, aborted)
	if sc.unhealthy {
		// What the run's watcher records as fs2 is held back, then lost
		// and back (cmd/callplan's nodeWatch).
		r.Events = []NodeEvent{{Second: 9, Node: "fs2", Kind: EventSaturated}, {Second: 12, Node: "fs2", Kind: EventDown}, {Second: 13, Node: "fs2", Kind: EventReconnected}}
	}
	return r
}

// simPlanInfo is the report's view of the simulated plan, built here the
// way cmd/callplan builds it for a real run. Importing plan is unavoidable
// in this test (the simulation loads plan.yaml and compiles its assertions),
// but report itself does not import plan.
func simPlanInfo(p *plan.Plan) PlanInfo {
	info := PlanInfo{Name: p.Name, File: p.File, Tolerance: p.Report.Tolerance}
	for _, s := range p.Stages {
		info.Stages = append(info.Stages, StageInfo{
			Name: s.Name, Duration: assert.Sec(s.Duration.D()), RateFrom: s.Rate.From, RateTo: s.Rate.To,
			Limit: s.Limit, Hold: assert.Sec(s.Hold.Value.D()),
		})
	}
	return info
}

// scenarios are the recorded fixtures, each named for what it shows.
var scenarios = map[string]scenario{
	"pass": {},
	"fail": {
		bad: func(i, sec int) (string, int, bool) {
			if sec >= 8 && sec <= 10 && h(i)%3 == 0 {
				return "NORMAL_TEMPORARY_FAILURE", 503, true
			}
			if h(i)%40 == 0 {
				return "NO_ROUTE_DESTINATION", 404, true
			}
			return "", 0, false
		},
		slow: func(i, sec int) time.Duration {
			if sec >= 8 && sec <= 10 {
				return 250 * time.Millisecond
			}
			return 0
		},
	},
	"aborted": {
		live: true,
		bad: func(i, sec int) (string, int, bool) {
			if sec >= 4 && h(i)%2 == 0 {
				return "NORMAL_TEMPORARY_FAILURE", 503, true
			}
			return "", 0, false
		},
	},
	"unhealthy":   {unhealthy: true},
	"media":       {media: simMedia},
	"interrupted": {interrupted: true},
}

// TestRecordFixtures re-records testdata/<name>/report.json with -update,
// and otherwise checks the recorded files still match what a simulation
// produces (so a change in metrics or assert shows up here first).
func TestRecordFixtures(t *testing.T) {
	t.Parallel()
	for name, sc := range scenarios {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := simulate(t, name, sc)
			var b []byte
			buf := &bytesBuffer{}
			require.NoError(t, JSON(r)(buf))
			b = buf.Bytes()
			path := filepath.Join("testdata", name, ResultsFile)
			if *update {
				// Atomically: TestGolden reads these files in parallel.
				tmp := path + ".tmp"
				require.NoError(t, os.WriteFile(tmp, b, 0o644))
				require.NoError(t, os.Rename(tmp, path))
				return
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, string(want), string(b), "fixture %s is stale (go test ./report -update)", path)
		})
	}
}

// simKnown is the flows' counters and figures as the CLI passes them
// (cmd/callplan's known): from the flows registry.
var simKnown = assert.Known{
	Counters: func(flow string) ([]string, bool) {
		s, ok := flows.Lookup(flow)
		var names []string
		for _, c := range s.Counters {
			names = append(names, c.Name)
		}
		return names, ok
	},
	Figures: func(flow string) ([]assert.Var, bool) {
		s, ok := flows.Lookup(flow)
		var figs []assert.Var
		for _, f := range s.Figures {
			figs = append(figs, assert.Var{Name: f.Name, Doc: f.Doc, Duration: f.Duration})
		}
		return figs, ok
	},
}

// simMedia is a media run whose path degrades in seconds 9 to 11: until
// then every call sounds clean (MOS 4.41, no loss); the calls ending in
// those seconds lose 3-8 % of their packets one way, their MOS falls to
// 3.6-4.0, bert loses sync on some and dtmf misses a digit now and then.
func simMedia(r *metrics.Record, i, sec int) {
	const packets = 200
	lost := int64(0)
	if sec >= 9 && sec <= 11 {
		lost = int64(6 + h(i)%11)
	}
	loss := float64(lost) / packets
	mos := 4.41 - 8*loss
	r.CallerMedia = metrics.LegMedia{Packets: packets - lost, Lost: lost, MOS: mos, Jitter: time.Duration(500+h(i)%1500) * time.Microsecond}
	r.CalleeMedia = metrics.LegMedia{Packets: packets, MOS: 4.41, Jitter: 400 * time.Microsecond}
	switch r.Flow {
	case "bert":
		r.SetTiming("sync_time", time.Duration(1000+h(i)%60)*time.Millisecond)
		pct := 0.0
		if lost > 10 {
			pct = 20
			r.Counts = map[string]int64{"lost_sync": 1}
			r.Outcome, r.Reason = metrics.OutcomeFailed, "bert_lost_sync"
		}
		r.SetValue("lost_percent", pct)
	case "dtmf":
		r.SetTiming("digit_latency", time.Duration(60+h(i)%90)*time.Millisecond)
		if lost > 12 {
			r.Counts = map[string]int64{"missing": 1}
			r.Outcome, r.Reason = metrics.OutcomeFailed, "dtmf_missing"
		}
	}
}
