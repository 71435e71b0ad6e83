package metrics

import "time"

// Summary is what a run measured: the whole run, and the same figures per
// stage, per flow and per caller node. Assertions and reports read it; its
// field names (json and expr tags) are the metric names of names.go and
// docs/metrics.md.
type Summary struct {
	Run     string        `json:"run" expr:"run"`
	Plan    string        `json:"plan,omitempty" expr:"plan"`
	Started time.Time     `json:"started" expr:"started"`
	Elapsed time.Duration `json:"elapsed" expr:"elapsed"`

	// Group holds the whole run's figures; its fields are promoted so
	// assertions read asr, calls, pdd.p95 at the top level.
	Group

	Stages map[string]Group `json:"stages,omitempty" expr:"stages"`
	Flows  map[string]Group `json:"flows,omitempty" expr:"flows"`
	Nodes  map[string]Group `json:"nodes,omitempty" expr:"nodes"`
	// StageOrder lists stage names in the order they ran.
	StageOrder []string `json:"stage_order,omitempty" expr:"stage_order"`

	// Generators is the health of each generator node, reported apart
	// from the SUT's figures: an unhealthy generator makes the
	// measurement untrustworthy.
	Generators map[string]Generator `json:"generators,omitempty" expr:"generators"`
	// Pacing says per stage whether the plan's load was delivered on time
	// and, when not, which side held it back (pacing.go).
	Pacing map[string]StagePacing `json:"pacing,omitempty" expr:"-"`
	// Interrupted is set when the run was stopped by the user.
	Interrupted bool `json:"interrupted,omitempty" expr:"interrupted"`
	// Faults are the faults the plan injected, in the order applied.
	Faults []FaultMark `json:"faults,omitempty" expr:"-"`
	// Clocks are each node's event clock as the run learnt it (resolution,
	// offset, which clock its calls' latencies were measured on);
	// docs/metrics.md, "Clocks".
	Clocks map[string]NodeClock `json:"clocks,omitempty" expr:"-"`
}

// Healthy reports whether every generator node stayed healthy.
func (s *Summary) Healthy() bool {
	for _, g := range s.Generators {
		if !g.Healthy() {
			return false
		}
	}
	return true
}

// Group is the figures of one set of calls: the run, a stage, a flow or a
// node. Counts are of calls (or arrivals, for offered/dropped/throttled).
type Group struct {
	Offered   int64 `json:"offered" expr:"offered"`
	Calls     int64 `json:"calls" expr:"calls"`
	Answered  int64 `json:"answered" expr:"answered"`
	OK        int64 `json:"ok" expr:"ok"`
	Failed    int64 `json:"failed" expr:"failed"`
	Unknown   int64 `json:"unknown" expr:"unknown"`
	Dropped   int64 `json:"dropped" expr:"dropped"`
	Throttled int64 `json:"throttled" expr:"throttled"`
	// Missed counts arrivals the runner could not send within MissAfter of
	// their due time, or not before their stage ended (pacing.go).
	Missed int64 `json:"missed" expr:"missed"`
	// Active is the number of calls in progress when the summary was taken.
	Active int64 `json:"active" expr:"active"`

	// ASR is answered / calls (0 with no calls).
	ASR float64 `json:"asr" expr:"asr"`
	// Success is ok / calls (0 with no calls).
	Success float64 `json:"success" expr:"success"`

	PDD           Latency `json:"pdd" expr:"pdd"`
	SetupLatency  Latency `json:"setup_latency" expr:"setup_latency"`
	AnswerLatency Latency `json:"answer_latency" expr:"answer_latency"`
	Duration      Latency `json:"duration" expr:"duration"`
	// PacingLag is how late arrivals were sent after their due time
	// (the runner's clock; pacing.go).
	PacingLag Latency `json:"pacing_lag" expr:"pacing_lag"`

	// MOS, Loss and Jitter are the audio quality of the calls that had
	// media, each call counted by its worse direction (Record.Quality).
	MOS    Score     `json:"mos,omitzero" expr:"mos"`
	Loss   Score     `json:"loss,omitzero" expr:"loss"`
	Jitter TimeScore `json:"jitter,omitzero" expr:"jitter"`

	// Timings and Values are the distributions of a flow's own figures
	// (figures.go), by name; only a flow's group has them. Assertions read
	// them as flows.F.NAME.p95, typed by the flow's Spec.
	Timings map[string]TimeScore `json:"timings,omitempty" expr:"-"`
	Values  map[string]Score     `json:"values,omitempty" expr:"-"`

	// Erlangs: Max is the most calls in progress at once; Mean is
	// call-seconds divided by the group's span (first originate to last
	// end, or now).
	Erlangs Gauge `json:"erlangs" expr:"erlangs"`
	// CPS: Max is the most originates in one wall-clock second; Mean is
	// the originate rate between the first originate and the last: N
	// originates enclose N-1 intervals, so it is (calls-1) / span (10 calls
	// paced at 2/s span 4.5 s and give 2.0, not 2.22).
	CPS Gauge `json:"cps" expr:"cps"`

	// Causes counts ended calls by hangup cause (see Record.Cause).
	Causes map[string]int64 `json:"causes" expr:"causes"`
	// SIP counts ended calls by final SIP status, keyed by the code as
	// text ("200", "503"); calls that saw no SIP status are not counted.
	SIP map[string]int64 `json:"sip" expr:"sip"`
	// Reasons counts failed calls by Record.Reason.
	Reasons map[string]int64 `json:"reasons" expr:"reasons"`
	// Counters are the flows' own counters summed (e.g. "unexpected").
	Counters map[string]int64 `json:"counters" expr:"counters"`

	// CalleeNodes are the group's calls by the node their inbound leg
	// arrived on; Imbalance is max share ÷ mean share − 1 over them
	// (distribution.go).
	CalleeNodes map[string]CalleeNode `json:"callee_nodes,omitempty" expr:"callee_nodes"`
	Imbalance   float64               `json:"imbalance,omitempty" expr:"imbalance"`
}

// Gauge is a level that varies over time.
type Gauge struct {
	Max  float64 `json:"max" expr:"max"`
	Mean float64 `json:"mean" expr:"mean"`
}

// Generator is one generator node's health over the run.
type Generator struct {
	// Saturated: the overdrive guard held calls back from this node
	// (pending jobs, reply latency or Idle-CPU crossed their limits).
	Saturated bool `json:"saturated" expr:"saturated"`
	// AtMaxSessions: the node reported Session-Count at Max-Sessions.
	AtMaxSessions bool `json:"at_max_sessions" expr:"at_max_sessions"`
	// MinIdleCPU is the lowest Idle-CPU a HEARTBEAT reported (percent),
	// -1 when no heartbeat arrived.
	MinIdleCPU float64 `json:"min_idle_cpu" expr:"min_idle_cpu"`
	// Disconnects counts ESL connection losses during the run.
	Disconnects int64 `json:"disconnects" expr:"disconnects"`
	// DroppedEvents counts events the client could not deliver.
	DroppedEvents int64 `json:"dropped_events" expr:"dropped_events"`
	// SUT: the node is also the system under test (plan: sut: true); its
	// saturation is the result being measured, not a generator failure.
	SUT bool `json:"sut,omitempty" expr:"sut"`
	// Notes say what happened, in words, for the report.
	Notes []string `json:"notes,omitempty" expr:"notes"`
}

// Healthy reports whether the node's figures can be trusted.
func (g Generator) Healthy() bool {
	return (!g.Saturated || g.SUT) && !g.AtMaxSessions && g.Disconnects == 0 && g.DroppedEvents == 0
}

// groupAcc accumulates one Group. It holds counters, maps keyed by cause or
// status (bounded by the set of causes), and four HDR histograms: nothing
// per call.
type groupAcc struct {
	g                            Group
	pdd, setup, answer, duration durHist
	lag                          durHist // pacing lag, recorded for the run and stages
	quality                      qualityAcc
	figures                      *figureAcc // a flow's group only
	first, last                  time.Time  // span of activity
	active, maxActive            int64
	callSeconds                  float64
	areaAt                       time.Time // when callSeconds was last brought up to date
	cpsSec                       int64     // wall second the cps counter is for
	cpsCount, cpsMax             int64
	lastOriginate                time.Time
}

func newGroupAcc() *groupAcc {
	return &groupAcc{g: Group{
		Causes: map[string]int64{}, SIP: map[string]int64{},
		Reasons: map[string]int64{}, Counters: map[string]int64{},
	}, quality: newQualityAcc()}
}

// touch brings the call-seconds integral up to now and widens the span.
func (a *groupAcc) touch(now time.Time) {
	if a.first.IsZero() {
		a.first, a.areaAt = now, now
	}
	if now.After(a.areaAt) {
		a.callSeconds += float64(a.active) * now.Sub(a.areaAt).Seconds()
		a.areaAt = now
	}
	if now.After(a.last) {
		a.last = now
	}
}

func (a *groupAcc) originated(now time.Time) {
	a.touch(now)
	a.g.Calls++
	a.active++
	a.maxActive = max(a.maxActive, a.active)
	sec := now.Unix()
	if sec != a.cpsSec {
		a.cpsSec, a.cpsCount = sec, 0
	}
	a.lastOriginate = now
	a.cpsCount++
	a.cpsMax = max(a.cpsMax, a.cpsCount)
}

// ended adds a finished call. A record whose originate was never counted
// (started false) does not leave the active count.
func (a *groupAcc) ended(now time.Time, r *Record) {
	a.touch(now)
	if a.active > 0 {
		a.active--
	}
	foldEnd(r, tally{&a.g.OK, &a.g.Failed, &a.g.Unknown, &a.g.Reasons, &a.g.Causes, &a.g.SIP},
		&a.pdd, &a.setup, &a.answer, &a.duration)
	if r.Answered() {
		a.g.Answered++
	}
	a.quality.add(r)
	for k, v := range r.Counts {
		a.g.Counters[k] += v
	}
}

// snapshot returns the Group as of now, with derived figures filled in.
func (a *groupAcc) snapshot(now time.Time, live bool) Group {
	g := a.g
	g.Causes, g.SIP = cloneMap(a.g.Causes), cloneMap(a.g.SIP)
	g.Reasons, g.Counters = cloneMap(a.g.Reasons), cloneMap(a.g.Counters)
	g.Active = a.active
	if g.Calls > 0 {
		g.ASR = float64(g.Answered) / float64(g.Calls)
		g.Success = float64(g.OK) / float64(g.Calls)
	}
	g.PDD, g.SetupLatency = a.pdd.latency(), a.setup.latency()
	g.AnswerLatency, g.Duration = a.answer.latency(), a.duration.latency()
	g.PacingLag = a.lag.latency()
	a.quality.fill(&g)
	a.figures.fill(&g)
	end, area := a.last, a.callSeconds
	if live && now.After(a.areaAt) {
		end = now
		area += float64(a.active) * now.Sub(a.areaAt).Seconds()
	}
	if span := end.Sub(a.first).Seconds(); !a.first.IsZero() && span > 0 {
		g.Erlangs.Mean = area / span
	}
	if span := a.lastOriginate.Sub(a.first).Seconds(); span > 0 && g.Calls > 1 {
		g.CPS.Mean = float64(g.Calls-1) / span
	} else if g.Calls > 0 {
		g.CPS.Mean = float64(g.Calls) // every call in the same instant
	}
	g.Erlangs.Max = float64(a.maxActive)
	g.CPS.Max = float64(a.cpsMax)
	return g
}

func cloneMap(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
