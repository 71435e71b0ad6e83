package metrics

import (
	"strconv"
	"time"
)

// Second is one second of the run's time series: what happened in that
// wall-clock second since the run started. The latest seconds are kept one
// by one so assertions can evaluate windows, e.g. "asr over every 30 s";
// older ones are merged into buckets of Span seconds (tiers.go) so a run's
// memory does not grow with its length. Window merges them.
type Second struct {
	// Index is the second since the run started (0 is [0 s, 1 s)); for a
	// bucket, its first second.
	Index int    `json:"t"`
	Stage string `json:"stage"`
	// Span is how many seconds a merged bucket covers (0 for one second;
	// Width reads either). Its counts are over the whole span.
	Span int `json:"span,omitempty"`

	Offered   int64 `json:"offered"`
	Calls     int64 `json:"calls"`
	Answered  int64 `json:"answered"` // caller answers that happened in this second
	OK        int64 `json:"ok"`       // calls that ended ok in this second
	Failed    int64 `json:"failed"`
	Unknown   int64 `json:"unknown"`
	Dropped   int64 `json:"dropped"`
	Throttled int64 `json:"throttled"`
	Missed    int64 `json:"missed,omitempty"`
	// EndedAnswered counts the calls that ended in this second and had
	// been answered, so a window can be judged on its finished calls
	// alone (FinishedWindow).
	EndedAnswered int64 `json:"ended_answered,omitempty"`

	// Active is the number of calls in progress at the end of the second;
	// MaxActive the most at any instant in it.
	Active    int64 `json:"active"`
	MaxActive int64 `json:"max_active"`
	// Erlangs is the call-seconds carried in this second: the mean number
	// of calls in progress over it (over its span for a bucket).
	Erlangs float64 `json:"erlangs"`

	Causes  map[string]int64 `json:"causes,omitempty"`
	SIP     map[string]int64 `json:"sip,omitempty"`
	Reasons map[string]int64 `json:"reasons,omitempty"`

	PDD           WindowHist `json:"pdd"`
	SetupLatency  WindowHist `json:"setup_latency"`
	AnswerLatency WindowHist `json:"answer_latency"`
	Duration      WindowHist `json:"duration"`
	// MOS, Loss and Jitter are the audio quality of the calls that ended
	// in this second with media, each by its worse direction, for MOS and
	// loss over time and for windows: MOS kept in thousandths, loss in
	// millionths, jitter in µs (quality_series.go).
	MOS    WindowHist `json:"mos,omitzero"`
	Loss   WindowHist `json:"loss,omitzero"`
	Jitter WindowHist `json:"jitter,omitzero"`

	// Flows and Nodes are the same second broken down by the flow and the
	// caller node a call belongs to, so a window can be judged for one flow
	// or node. A flow or node that had nothing in the second (no arrival,
	// no call, none active) has no entry. Their own Flows and Nodes are
	// empty. Arrivals (offered, dropped, throttled) have no node yet, so
	// they count per flow only. They are kept in memory for the run's
	// assertions and not saved in report.json: that would multiply its
	// largest part by 1 + flows + nodes, and verdicts are saved already.
	Flows map[string]Second `json:"-"`
	Nodes map[string]Second `json:"-"`

	// Callees are the second's calls by callee node (every node the plan
	// names that receives calls, and any other a call landed on);
	// Heartbeats the last HEARTBEAT of each node that sent one in it.
	Callees    map[string]CalleeSecond `json:"callees,omitempty"`
	Heartbeats map[string]Heartbeat    `json:"heartbeats,omitempty"`
}

// Flow is the second as seen by flow name: its entry in Flows, or an empty
// second with the same Index and Stage when the flow had nothing in it.
func (s *Second) Flow(name string) Second { return sub(s, s.Flows, name) }

// Node is the second as seen by caller node name; see Flow.
func (s *Second) Node(name string) Second { return sub(s, s.Nodes, name) }

func sub(s *Second, m map[string]Second, name string) Second { return s.sub(name, m) }

// Window merges seconds into one Group, as if the calls in those seconds
// were all there was: counts and breakdowns are summed, percentiles come
// from the merged histograms, erlangs.max is the highest MaxActive,
// erlangs.mean the call-seconds over the window length, cps.max the busiest
// second (a bucket's mean rate stands for its seconds) and cps.mean calls
// per second. Answered counts answers that
// happened in the window, so a window's ASR is answers / originates in it.
func Window(secs []Second) Group {
	g := Group{
		Causes: map[string]int64{}, SIP: map[string]int64{},
		Reasons: map[string]int64{}, Counters: map[string]int64{},
	}
	if len(secs) == 0 {
		return g
	}
	var area, n float64
	pdd := make([]WindowHist, 0, len(secs))
	setup := make([]WindowHist, 0, len(secs))
	answer := make([]WindowHist, 0, len(secs))
	dur := make([]WindowHist, 0, len(secs))
	var quality windowQuality
	for _, s := range secs {
		g.Offered += s.Offered
		g.Calls += s.Calls
		g.Answered += s.Answered
		g.OK += s.OK
		g.Failed += s.Failed
		g.Unknown += s.Unknown
		g.Dropped += s.Dropped
		g.Throttled += s.Throttled
		g.Missed += s.Missed
		w := float64(s.Width())
		area += s.Erlangs * w
		n += w
		g.Erlangs.Max = max(g.Erlangs.Max, float64(s.MaxActive))
		g.CPS.Max = max(g.CPS.Max, float64(s.Calls)/w)
		addMap(g.Causes, s.Causes)
		addMap(g.SIP, s.SIP)
		addMap(g.Reasons, s.Reasons)
		pdd, setup = append(pdd, s.PDD), append(setup, s.SetupLatency)
		answer, dur = append(answer, s.AnswerLatency), append(dur, s.Duration)
		quality.add(s)
	}
	g.Active = secs[len(secs)-1].Active
	g.Erlangs.Mean = area / n
	g.CPS.Mean = float64(g.Calls) / n
	if g.Calls > 0 {
		g.ASR = min(float64(g.Answered)/float64(g.Calls), 1)
		g.Success = min(float64(g.OK)/float64(g.Calls), 1)
	}
	g.PDD = mergeWindows(pdd...).Latency()
	g.SetupLatency = mergeWindows(setup...).Latency()
	g.AnswerLatency = mergeWindows(answer...).Latency()
	g.Duration = mergeWindows(dur...).Latency()
	quality.fill(&g)
	g.CalleeNodes, g.Imbalance = windowDistribution(secs)
	return g
}

func addMap(dst, src map[string]int64) {
	for k, v := range src {
		dst[k] += v
	}
}

// openSecond accumulates the second in progress. flows and nodes are the
// per-flow and per-caller-node buckets of the same second, made when
// something happens in them (or a call of theirs is in progress).
type openSecond struct {
	s                            Second
	pdd, setup, answer, duration binCounter
	mos, loss, jitter            binCounter // made by the first call with media
	flows, nodes                 map[string]*openSecond
}

// sub returns the bucket of name in m (o.flows or o.nodes), making it with
// active calls in progress when it is new; nil when name is empty.
func (o *openSecond) sub(m *map[string]*openSecond, name string, active int64) *openSecond {
	if name == "" {
		return nil
	}
	if *m == nil {
		*m = map[string]*openSecond{}
	}
	b, ok := (*m)[name]
	if !ok {
		b = newOpenSecond(o.s.Index, o.s.Stage, active)
		(*m)[name] = b
	}
	return b
}

func newOpenSecond(index int, stage string, active int64) *openSecond {
	return &openSecond{
		s:   Second{Index: index, Stage: stage, Active: active, MaxActive: active},
		pdd: binCounter{}, setup: binCounter{}, answer: binCounter{}, duration: binCounter{},
	}
}

// ended folds a finished call into the second.
func (o *openSecond) ended(r *Record) {
	if r.Answered() {
		o.s.EndedAnswered++
	}
	foldEnd(r, tally{&o.s.OK, &o.s.Failed, &o.s.Unknown, &o.s.Reasons, &o.s.Causes, &o.s.SIP},
		o.pdd, o.setup, o.answer, o.duration)
	o.quality(r)
}

func (o *openSecond) seal() Second {
	s := o.s
	s.PDD, s.SetupLatency = o.pdd.seal(), o.setup.seal()
	s.AnswerLatency, s.Duration = o.answer.seal(), o.duration.seal()
	s.MOS, s.Loss, s.Jitter = o.mos.seal(), o.loss.seal(), o.jitter.seal()
	s.Flows, s.Nodes = sealSubs(o.flows, o.s.Stage), sealSubs(o.nodes, o.s.Stage)
	return s
}

func sealSubs(m map[string]*openSecond, stage string) map[string]Second {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]Second, len(m))
	for k, b := range m {
		b.s.Stage = stage
		out[k] = b.seal()
	}
	return out
}

// timeseriesHeader is the header row of timeseries.csv.
var timeseriesHeader = []string{
	"t", "stage", NameOffered, NameCalls, NameAnswered, NameOK, NameFailed,
	NameUnknown, NameDropped, NameThrottled, NameActive, NameErlangs, NameCPS,
	NamePDD + "_p95_ms", NameAnswerLatency + "_p95_ms",
}

func (s *Second) row() []string {
	i := func(v int64) string { return strconv.FormatInt(v, 10) }
	ms := func(d time.Duration) string {
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64)
	}
	return []string{
		strconv.Itoa(s.Index), s.Stage, i(s.Offered), i(s.Calls), i(s.Answered),
		i(s.OK), i(s.Failed), i(s.Unknown), i(s.Dropped), i(s.Throttled),
		i(s.Active), strconv.FormatFloat(s.Erlangs, 'f', 3, 64), i(s.Calls),
		ms(s.PDD.Latency().P95), ms(s.AnswerLatency.Latency().P95),
	}
}
