package runner

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/callplan/callplan/flows"
	"github.com/callplan/callplan/internal/hangup"
	"github.com/callplan/callplan/metrics"
	"github.com/google/uuid"
)

// Stage is one period of load, resolved from the plan.
type Stage struct {
	Name     string
	Duration time.Duration
	From, To float64 // calls per second
	// Limit is the most calls in progress; an arrival over it is dropped.
	// 0 means no limit.
	Limit           int
	Hold            time.Duration
	HoldExponential bool
	MaxCalls        int
	Poisson         bool
}

// FlowMix is one weighted flow of the plan's mix.
type FlowMix struct {
	Name   string // name in reports
	Flow   flows.Flow
	Weight int
}

// Config is one run, resolved from a plan.
type Config struct {
	RunID  string
	Stages []Stage
	Flows  []FlowMix
	Nodes  []NodeSpec
	Policy string // PolicyRoundRobin (default), PolicyWeighted, PolicyLeastLoaded
	Seed   uint64
	// RandomFlows draws each call's flow at random by weight; the default
	// is smooth weighted round-robin.
	RandomFlows bool
	// MaxCalls caps originates over the run; 0 means no cap.
	MaxCalls int
	// Dial completes each call's Origination from the plan: the engine
	// fills in the call's identity (CallID, RunID, Flow, Stage, Node) and
	// Dial adds where it goes and what it carries (Destination, caller id,
	// Timeout, Headers, Variables). An error fails the call
	// originate_error.
	Dial func(Origination) (Origination, error)
	// OriginateTimeout is the plan's originate timeout; a call whose callee
	// leg has not arrived a second after it fails no_callee_leg.
	OriginateTimeout time.Duration
	Collector        *metrics.Collector
	Guard            Guard
	// SmokeCall runs one call through the whole path before the first
	// stage; a failure stops the run before any load (exit 3).
	SmokeCall bool
	// StopGrace bounds how long a stop waits for hung-up calls to end.
	StopGrace time.Duration
	// Linger bounds how long a call whose caller leg ended waits for the
	// callee leg's end and the originate result.
	Linger time.Duration
	// DrainMargin is added to the originate timeout and the longest hold
	// to bound the wait for calls to end after the last arrival (default
	// 30 s); calls still up then are hung up and fail not_ended.
	DrainMargin time.Duration
	// Progress, when set, is called about once a second.
	Progress func(Progress)
}

// Result is what a run ended with.
type Result struct {
	Summary     metrics.Summary
	Interrupted bool
}

// ErrSmokeCall means the preflight smoke call failed.
var ErrSmokeCall = errors.New("smoke call failed")

type engine struct {
	cfg   Config
	col   *metrics.Collector
	sched *Schedule
	nodes []*node
	sel   *selector

	flowWRR  *smoothWRR
	flowRand *randomChoice
	holds    []*holdSource

	mu         sync.Mutex
	calls      map[string]*call // by call id (= the caller leg's id)
	byCallee   map[string]*call // by the callee leg's id
	active     int
	stageCalls []int
	runCalls   int
	stopping   bool
	idle       chan struct{} // signalled when active drops to 0 while draining
	started    time.Time
	curStage   int
	ctx        context.Context // the run's context for commands (survives a stop)
	wg         sync.WaitGroup  // event pumps and call actors
	origWG     sync.WaitGroup  // originates being sent
}

// Run drives the calls of cfg. It returns when every stage has run and
// every call has ended, or, when ctx is cancelled, after stopping: no new
// calls, this run's calls hung up, records flushed (Result.Interrupted).
func Run(ctx context.Context, cfg Config) (Result, error) {
	e, err := newEngine(cfg)
	if err != nil {
		return Result{}, err
	}
	return e.run(ctx)
}

func newEngine(cfg Config) (*engine, error) {
	if len(cfg.Nodes) == 0 {
		return nil, errors.New("no nodes")
	}
	if len(cfg.Flows) == 0 {
		return nil, errors.New("no flows")
	}
	if cfg.Dial == nil || cfg.Collector == nil {
		return nil, errors.New("config needs Dial and Collector")
	}
	if cfg.OriginateTimeout <= 0 {
		cfg.OriginateTimeout = 60 * time.Second
	}
	if cfg.StopGrace <= 0 {
		cfg.StopGrace = 5 * time.Second
	}
	if cfg.Linger <= 0 {
		cfg.Linger = 5 * time.Second
	}
	if cfg.DrainMargin <= 0 {
		cfg.DrainMargin = 30 * time.Second
	}
	segs := make([]Segment, len(cfg.Stages))
	for i, s := range cfg.Stages {
		segs[i] = Segment{Duration: s.Duration, From: s.From, To: s.To}
	}
	sched, err := NewSchedule(segs...)
	if err != nil {
		return nil, err
	}
	e := &engine{
		cfg: cfg, col: cfg.Collector, sched: sched,
		calls: map[string]*call{}, byCallee: map[string]*call{},
		stageCalls: make([]int, len(cfg.Stages)),
	}
	callers := 0
	for i, s := range cfg.Nodes {
		e.nodes = append(e.nodes, newNode(i, s))
		if s.Caller {
			callers++
		}
	}
	if callers == 0 {
		return nil, errors.New("no node places calls (every node has role callee)")
	}
	e.sel = newSelector(cfg.Policy, e.nodes)
	w := make([]int, len(cfg.Flows))
	for i, f := range cfg.Flows {
		w[i] = max(f.Weight, 1)
	}
	if cfg.RandomFlows {
		e.flowRand = newRandomChoice(w, cfg.Seed)
	} else {
		e.flowWRR = newSmoothWRR(w)
	}
	for i, s := range cfg.Stages {
		e.holds = append(e.holds, newHoldSource(s.Hold, s.HoldExponential, cfg.Seed+uint64(i)*7919))
	}
	return e, nil
}

// stagePacer paces stage i on its own: its arrivals start at the stage's
// start, uniform or Poisson as the stage says (each stage its own seeded
// stream, so changing one stage does not move another's arrivals). It also
// returns the stage's own schedule.
func (e *engine) stagePacer(i int) (Pacer, *Schedule) {
	st := e.cfg.Stages[i]
	s, _ := NewSchedule(Segment{Duration: st.Duration, From: st.From, To: st.To}) // checked in newEngine
	if st.Poisson {
		return NewPoissonPacer(s, e.cfg.Seed+uint64(i)*104729), s
	}
	return UniformPacer{s}, s
}

func (e *engine) run(ctx context.Context) (Result, error) {
	// Commands (hangups at stop, flow actions of ending calls) must outlive
	// the user's cancellation; the run ends them itself.
	cmdCtx, cancelCmds := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelCmds()
	e.ctx = cmdCtx

	for _, n := range e.nodes {
		e.wg.Add(1)
		go e.pump(n)
	}
	defer func() {
		cancelCmds()
		e.wg.Wait()
	}()

	tickCtx, stopTicks := context.WithCancel(cmdCtx)
	defer stopTicks()
	e.wg.Add(1)
	go e.ticker(tickCtx)

	if e.cfg.SmokeCall {
		if err := e.smoke(ctx); err != nil {
			if ctx.Err() != nil {
				return e.stop()
			}
			return Result{}, err
		}
	}

	e.mu.Lock()
	e.started = time.Now()
	e.mu.Unlock()
	if len(e.cfg.Stages) > 0 {
		e.col.SetStage(e.cfg.Stages[0].Name)
	}
	if err := e.pace(ctx); err != nil {
		return e.stop()
	}
	// Drain: wait for every call to end, or for the user to stop us. A
	// call still up when no call could legitimately still be going (the
	// flow's hangup was lost, say) is hung up and recorded as failed
	// not_ended: never lost, and never holding the run open forever.
	dctx, cancel := context.WithTimeout(ctx, e.drainGrace())
	err := e.drain(dctx)
	cancel()
	switch {
	case ctx.Err() != nil:
		return e.stop()
	case err != nil:
		e.endStuck()
	}
	return e.finish(false)
}

// drainGrace is the longest a call may legitimately last after the last
// arrival: the originate timeout, the longest hold (exponential holds are
// capped at 20 means), and DrainMargin for ringing, set-up and tear-down.
func (e *engine) drainGrace() time.Duration {
	var hold time.Duration
	for _, s := range e.cfg.Stages {
		h := s.Hold
		if s.HoldExponential {
			h *= 20
		}
		hold = max(hold, h)
	}
	return e.cfg.OriginateTimeout + hold + e.cfg.DrainMargin
}

// endStuck hangs up and records the calls that outlived drainGrace.
func (e *engine) endStuck() {
	e.mu.Lock()
	for _, c := range e.calls {
		c.stuck = true
	}
	e.mu.Unlock()
	ctx, cancel := context.WithTimeout(e.ctx, e.cfg.StopGrace)
	defer cancel()
	e.endRuns(ctx)
	_ = e.drain(ctx)
	e.closeRemaining()
}

// pace originates calls stage by stage until the last stage ends or ctx
// is done.
func (e *engine) pace(ctx context.Context) error {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	sleepUntil := func(at time.Duration) error {
		wait := at - time.Since(e.started)
		// Go's timers wake about a millisecond late at best, so a sleep
		// shorter than that would cap the rate near 1000/s: arrivals due
		// within the next millisecond go now (at most 1 ms early).
		if wait <= time.Millisecond {
			return ctx.Err()
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return nil
		}
	}
	pg := pacing{last: -1, window: -1}
	for si := range e.cfg.Stages {
		start := e.sched.StageStart(si)
		if err := sleepUntil(start); err != nil {
			return err
		}
		e.enterStage(si)
		p, ss := e.stagePacer(si)
		uniform := !e.cfg.Stages[si].Poisson
		for hits := uint64(0); ; hits++ {
			wait, stop := p.Pace(time.Since(e.started)-start, hits)
			if stop {
				break
			}
			// The rate the arrival was scheduled at (not the rate now,
			// which is 0 past the stage's end when the runner is behind).
			rate := 0.0
			if uniform {
				at, _ := ss.ArrivalTime(float64(hits))
				rate = ss.Rate(at)
			}
			if err := e.paceSend(&pg, uniform, rate, time.Since(e.started)+wait, sleepUntil); err != nil {
				return err
			}
			if l := e.judgeArrival(si, p, hits); l == stageOver {
				break
			} else if l == skipIt {
				continue
			}
			full, done := e.arrive(si)
			if done {
				e.judgeStage(si)
				return nil
			}
			if full {
				// The stage's max_calls is reached: idle to its end.
				break
			}
		}
		e.judgeStage(si)
	}
	return sleepUntil(e.sched.Duration())
}

// pacing is the state that keeps uniform arrivals from bunching up.
type pacing struct {
	last   time.Duration // when the previous call was actually sent
	window int64         // current 100 ms window (since the run started)
	inWin  int           // calls sent in it
}

const paceWindow = 100 * time.Millisecond

// paceSend waits until a uniform arrival due at due may be sent. On
// schedule that is due itself. After a stall (GC, a busy host) the
// overdue calls are not sent at once: they catch up at most twice the
// rate, and no 100 ms window gets more than ⌈rate/10⌉+1 calls. The count
// stays exact; the stragglers are a little late instead of a burst that
// would hit the SUT with a spike the plan never asked for.
func (e *engine) paceSend(pg *pacing, uniform bool, rate float64, due time.Duration, sleepUntil func(time.Duration) error) error {
	at := due
	if uniform && pg.last >= 0 && rate > 0 {
		at = max(at, pg.last+time.Duration(0.5/rate*float64(time.Second)))
	}
	for {
		if err := sleepUntil(at); err != nil {
			return err
		}
		now := time.Since(e.started)
		if !uniform {
			return nil
		}
		w := int64(now / paceWindow)
		if w != pg.window {
			pg.window, pg.inWin = w, 0
		}
		r := max(rate, e.sched.Rate(time.Duration(w)*paceWindow), e.sched.Rate(time.Duration(w+1)*paceWindow-1))
		if pg.inWin < int(math.Ceil(r*paceWindow.Seconds()))+1 {
			pg.inWin++
			pg.last = now
			return nil
		}
		at = time.Duration(w+1) * paceWindow
	}
}

// enterStage records stage changes for the time series.
func (e *engine) enterStage(si int) {
	e.mu.Lock()
	changed := si != e.curStage
	e.curStage = si
	e.mu.Unlock()
	if changed {
		e.col.SetStage(e.cfg.Stages[si].Name)
	}
}

// arrive handles one arrival in stage si: drop, throttle or originate. It
// reports full when the stage's max_calls is reached and done when the
// run's is.
func (e *engine) arrive(si int) (full, done bool) {
	st := e.cfg.Stages[si]
	e.mu.Lock()
	if e.cfg.MaxCalls > 0 && e.runCalls >= e.cfg.MaxCalls {
		e.mu.Unlock()
		return false, true
	}
	if st.MaxCalls > 0 && e.stageCalls[si] >= st.MaxCalls {
		e.mu.Unlock()
		return true, false
	}
	fi := e.chooseFlow()
	fm := e.cfg.Flows[fi]
	e.col.Offered(st.Name, fm.Name)
	if st.Limit > 0 && e.active >= st.Limit {
		e.mu.Unlock()
		e.col.Dropped(st.Name, fm.Name)
		return false, false
	}
	n := e.sel.pick(e.nodes)
	if n == nil {
		e.mu.Unlock()
		e.col.Throttled(st.Name, fm.Name)
		return false, false
	}
	c := e.newCall(si, fm, n, false)
	e.stageCalls[si]++
	e.runCalls++
	full = st.MaxCalls > 0 && e.stageCalls[si] >= st.MaxCalls
	done = e.cfg.MaxCalls > 0 && e.runCalls >= e.cfg.MaxCalls
	e.mu.Unlock()
	e.col.Originated(st.Name, fm.Name, n.Name)
	e.wg.Add(1)
	e.origWG.Add(1)
	go e.originate(c)
	return full, done
}

func (e *engine) chooseFlow() int {
	if e.flowRand != nil {
		return e.flowRand.next()
	}
	return e.flowWRR.next(func(int) bool { return true })
}

// newCall registers a call on node n. Called with e.mu held.
func (e *engine) newCall(si int, fm FlowMix, n *node, smoke bool) *call {
	id := uuid.NewString()
	ctx, cancel := context.WithCancel(e.ctx)
	c := &call{
		id: id, stage: si, flowName: fm.Name, flow: flows.ForCall(fm.Flow), node: n,
		smoke: smoke, ctx: ctx, cancel: cancel, done: make(chan struct{}),
	}
	c.fc = flows.Call{ID: id, Caller: &leg{e: e, c: c}, Callee: &leg{e: e, c: c, callee: true}}
	stageName := ""
	if si >= 0 && si < len(e.cfg.Stages) {
		stageName = e.cfg.Stages[si].Name
		c.fc.Hold = e.holds[si].next()
	}
	c.rec = metrics.Record{Run: e.cfg.RunID, Call: id, Stage: stageName, Flow: fm.Name, CallerNode: n.Name}
	c.reserved = n.legsPerCall()
	n.legs += c.reserved
	n.pending++
	c.isPending = true
	e.calls[id] = c
	e.active++
	return c
}

// originate hands the call to its node's driver.
func (e *engine) originate(c *call) {
	defer e.wg.Done()
	defer e.origWG.Done()
	e.mu.Lock()
	if e.stopping {
		// Stopped between the arrival and now: never sent.
		c.interrupted = true
		c.jobDone, c.callerDone = true, true
		fin := e.maybeFinish(c)
		e.mu.Unlock()
		e.end(fin)
		return
	}
	e.mu.Unlock()
	o, err := e.cfg.Dial(Origination{
		CallID: c.id, RunID: e.cfg.RunID, Flow: c.flowName, Stage: c.rec.Stage, Node: c.node.NodeSpec,
	})
	if err != nil {
		err = fmt.Errorf("%w: %w", errBuild, err)
	}
	sent := time.Now()
	e.mu.Lock()
	c.sentAt, c.rec.OriginateSent = sent, sent
	e.mu.Unlock()
	if err == nil {
		if err = c.node.Driver.Originate(e.ctx, o); errors.Is(err, ErrBadOrigination) {
			err = fmt.Errorf("%w: %w", errBuild, err)
		}
	}
	e.mu.Lock()
	c.node.reply.add(time.Since(sent))
	c.node.checkGuard(e.cfg.Guard)
	if err != nil {
		// Not sent, or sent on a connection that failed under it: whether
		// the node started the call is unknown (node_lost), unless the
		// command could not even be built (a plan problem: failed).
		c.jobDone, c.jobFailed, c.callerDone = true, true, true
		if errors.Is(err, errBuild) {
			c.flowErr = err
		} else {
			c.unknown = true
		}
		if c.rec.Fields == nil {
			c.rec.Fields = map[string]string{}
		}
		c.rec.Fields["originate_error"] = err.Error()
		fin := e.maybeFinish(c)
		e.mu.Unlock()
		e.end(fin)
		return
	}
	// The callee must arrive within the originate timeout (plus a second
	// for the INVITE's trip); otherwise the call fails no_callee_leg.
	if !c.node.OneLeg {
		c.timers = append(c.timers, time.AfterFunc(e.cfg.OriginateTimeout+time.Second, func() { e.noCallee(c) }))
	}
	e.mu.Unlock()
}

// errBuild marks an origination that could not be built or expressed.
var errBuild = errors.New("building originate")

// noCallee ends a call whose callee leg never arrived.
func (e *engine) noCallee(c *call) {
	e.mu.Lock()
	if c.finished || c.calleeID != "" {
		e.mu.Unlock()
		return
	}
	c.noCallee = true
	up := c.created && !c.callerDone
	var fin *call
	if !up {
		// No caller leg to wait for: whatever the job says later is moot.
		c.jobDone, c.callerDone = true, true
		fin = e.maybeFinish(c)
	}
	e.mu.Unlock()
	if up {
		_ = (&leg{e: e, c: c}).Hangup(e.ctx, "NORMAL_CLEARING")
	}
	e.end(fin)
}

// pump moves a node's events into the engine.
func (e *engine) pump(n *node) {
	defer e.wg.Done()
	for {
		select {
		case <-e.ctx.Done():
			return
		case ev, ok := <-n.Driver.Events():
			if !ok {
				e.connDown(n, errors.New("connection closed"))
				return
			}
			ev.Node = n.Name
			e.handle(n, ev)
		}
	}
}

// connDown marks a lost node: its in-flight calls become unknown.
func (e *engine) connDown(n *node, err error) {
	e.mu.Lock()
	if !n.up {
		e.mu.Unlock()
		return
	}
	n.up = false
	n.disconnects++
	n.note("connection lost: %v; its in-flight calls are unknown", err)
	var fins []*call
	for _, c := range e.calls {
		if c.node == n || c.calleeNode == n {
			c.unknown = true
			c.callerDone, c.calleeDone, c.jobDone = true, true, true
			if f := e.maybeFinish(c); f != nil {
				fins = append(fins, f)
			}
		}
	}
	e.mu.Unlock()
	for _, c := range fins {
		e.end(c)
	}
}

// handle applies one event. Every update is keyed on the leg's id or, for
// an originate's result, the call id; events of legs of other runs are
// ignored.
func (e *engine) handle(n *node, ev LegEvent) {
	e.observeClock(n, ev)
	switch ev.Kind {
	case EventNodeDown:
		e.connDown(n, ev.Err)
		return
	case EventNodeUp:
		e.mu.Lock()
		n.up = true
		n.note("connection re-established")
		e.mu.Unlock()
		return
	case EventHeartbeat:
		e.mu.Lock()
		n.heartbeat(ev.Health)
		n.checkGuard(e.cfg.Guard)
		e.col.Heartbeat(n.Name, n.heartbeatFigures())
		e.mu.Unlock()
		return
	}
	e.mu.Lock()
	c, callee := e.lookup(n, ev)
	if c == nil || c.finished {
		e.mu.Unlock()
		return
	}
	if e.stopping && ev.Kind == EventCreated {
		// A leg that appears after the stop's endRuns (its originate was
		// already on its way) is hung up on sight.
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			_ = e.act(e.ctx, n, ev.LegID, Action{Kind: ActHangup, Cause: hangup.ManagerRequest.String()})
		}()
	}
	c.rec.Fields = mergeInto(c.rec.Fields, ev.Fields)
	c.rec.Counts = mergeInto(c.rec.Counts, ev.Counts)
	noteReceipt(n, &c.rec, callee, ev)
	var post []flows.Event
	switch {
	case ev.Kind == EventJobResult:
		e.onJobResult(n, c, ev)
	case callee:
		post = e.onCallee(c, ev)
	default:
		post = e.onCaller(n, c, ev)
	}
	for _, p := range post {
		e.post(c, p)
	}
	fin := e.maybeFinish(c)
	e.mu.Unlock()
	e.end(fin)
}

// mergeInto adds a driver's per-call figures (LegEvent.Fields, Counts) to
// the record's.
func mergeInto[V any](dst, src map[string]V) map[string]V {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(map[string]V, len(src))
	}
	for k, v := range src {
		dst[k] = v
	}
	return dst
}

// onJobResult takes the originate's outcome. Called with e.mu held.
func (e *engine) onJobResult(n *node, c *call, ev LegEvent) {
	if c.jobDone {
		return
	}
	c.jobDone = true
	c.rec.OriginateResult = ev.Result
	c.jobFailed = ev.Failed
	e.unpend(c)
	if c.jobFailed && !c.created {
		c.callerDone = true // the leg never existed
		if cause, _ := hangup.ByName(ev.Cause); cause == hangup.DestinationOutOfOrder {
			// The node would not even create the leg: over its sps or
			// max_sessions (esl-reference 4.1). A generator limit, not
			// the SUT's failure.
			c.refused = true
			n.refuse(e.cfg.Guard)
		}
	}
}

// onCallee takes an event of the callee leg and returns what the flow is
// told. Called with e.mu held.
func (e *engine) onCallee(c *call, ev LegEvent) []flows.Event {
	r := &c.rec
	switch ev.Kind {
	case EventCreated:
		r.CalleeCreate = ev.NodeTime
	case EventParked:
		if !c.arrived {
			c.arrived = true
			return flowEvent(flows.CalleeArrived, flows.LegCallee, ev)
		}
	case EventAnswered:
		if r.CalleeAnswer.IsZero() {
			r.CalleeAnswer = ev.NodeTime
			return flowEvent(flows.CalleeAnswered, flows.LegCallee, ev)
		}
	case EventHungUp:
		c.calleeDone = true
		r.CalleeHangup = ev.NodeTime
		r.CalleeCause = ev.Cause
		r.CalleeMedia = ev.Stats.Received()
		c.calleeNode.legs--
	default:
		return mediaEvent(flows.LegCallee, ev)
	}
	return nil
}

// onCaller takes an event of the caller leg and returns what the flow is
// told. Called with e.mu held.
func (e *engine) onCaller(n *node, c *call, ev LegEvent) []flows.Event {
	r := &c.rec
	switch ev.Kind {
	case EventCreated:
		if !c.created {
			c.created = true
			r.CallerCreate = ev.NodeTime
			e.unpend(c)
			n.create.add(time.Since(c.sentAt))
			n.checkGuard(e.cfg.Guard)
		}
	case EventProgress, EventEarlyMedia:
		if r.CallerProgress.IsZero() {
			r.CallerProgress = ev.NodeTime
			return flowEvent(flows.CallerProgress, flows.LegCaller, ev)
		}
	case EventAnswered:
		if r.CallerAnswer.IsZero() {
			r.CallerAnswer = ev.NodeTime
			if !c.smoke {
				e.col.AnsweredIn(r.Flow, r.CallerNode)
			}
			return flowEvent(flows.CallerAnswered, flows.LegCaller, ev)
		}
	case EventHungUp:
		c.callerDone = true
		r.CallerHangup = ev.NodeTime
		r.CallerCause = ev.Cause
		r.CallerMedia = ev.Stats.Received()
		r.SIPStatus = sipStatus(ev.SIPStatus, !r.CallerAnswer.IsZero())
		// Release the caller leg, and the callee reservation if the
		// callee never landed here.
		c.node.legs -= c.reserved
		c.reserved = 0
		if !c.jobDone || c.calleeID != "" && !c.calleeDone {
			c.timers = append(c.timers, time.AfterFunc(e.cfg.Linger, func() { e.lingerOver(c) }))
		}
	default:
		return mediaEvent(flows.LegCaller, ev)
	}
	return nil
}

func flowEvent(k flows.EventKind, leg flows.Leg, ev LegEvent) []flows.Event {
	return []flows.Event{{Kind: k, Leg: leg, At: ev.NodeTime, Payload: ev.Payload}}
}

// mediaEvent passes the media results of a leg to the flow as they are.
func mediaEvent(leg flows.Leg, ev LegEvent) []flows.Event {
	var k flows.EventKind
	switch ev.Kind {
	case EventDTMF:
		k = flows.DTMFReceived
	case EventPlaybackStart:
		k = flows.PlaybackStarted
	case EventPlaybackStop:
		k = flows.PlaybackStopped
	case EventRecordStart:
		k = flows.RecordStarted
	case EventRecordStop:
		k = flows.RecordStopped
	case EventBERTInSync:
		k = flows.BERTInSync
	case EventBERTLostSync:
		k = flows.BERTLostSync
	case EventBERTTimeout:
		k = flows.BERTTimeout
	case EventToneDetected:
		k = flows.ToneDetected
	default:
		return nil
	}
	return flowEvent(k, leg, ev)
}

// lookup finds the call an event is about; callee says it is about the
// callee leg. A callee leg is recognised on its EventCreated by the call
// id it carries (on any node).
func (e *engine) lookup(n *node, ev LegEvent) (*call, bool) {
	if ev.Kind == EventJobResult {
		return e.calls[ev.CallID], false
	}
	if c, ok := e.calls[ev.LegID]; ok {
		return c, false
	}
	if c, ok := e.byCallee[ev.LegID]; ok {
		return c, true
	}
	if ev.Kind != EventCreated || ev.Leg != flows.LegCallee || ev.LegID == "" {
		return nil, false
	}
	c, ok := e.calls[ev.CallID]
	if !ok || c.calleeID != "" || c.finished {
		return nil, false
	}
	if ev.RunID != "" && ev.RunID != e.cfg.RunID {
		return nil, false
	}
	id := ev.LegID
	c.calleeID = id
	c.calleeNode = n
	c.rec.CalleeNode = n.Name
	e.col.Landed(&c.rec)
	e.byCallee[id] = c
	// The callee leg takes one of the legs reserved on the caller node
	// when it lands there; elsewhere the spare reservation is released and
	// the landing node gets a leg of its own.
	if n == c.node && c.reserved > 1 {
		c.reserved--
	} else {
		if c.reserved > 1 {
			c.node.legs--
			c.reserved--
		}
		n.legs++
	}
	return c, true
}

// unpend takes the call off its node's pending originates (once).
func (e *engine) unpend(c *call) {
	if c.isPending {
		c.isPending = false
		c.node.pending--
	}
}

// lingerOver ends a call that waited too long for its callee's end or its
// originate result after the caller leg ended.
func (e *engine) lingerOver(c *call) {
	e.mu.Lock()
	if c.calleeID != "" && !c.calleeDone {
		c.calleeDone = true
		c.calleeNode.legs--
	}
	c.jobDone = true
	fin := e.maybeFinish(c)
	e.mu.Unlock()
	e.end(fin)
}

// post queues a flow event; one actor per call runs them in order.
func (e *engine) post(c *call, ev flows.Event) {
	c.pending = append(c.pending, ev)
	if c.acting {
		return
	}
	c.acting = true
	e.wg.Add(1)
	go e.runFlow(c)
}

// runFlow is a call's actor: it hands the flow its events one at a time.
func (e *engine) runFlow(c *call) {
	defer e.wg.Done()
	for {
		e.mu.Lock()
		if len(c.pending) == 0 || c.finished {
			c.acting = false
			e.mu.Unlock()
			return
		}
		ev := c.pending[0]
		c.pending = c.pending[1:]
		e.mu.Unlock()
		if err := c.flow.On(c.ctx, &c.fc, ev); err != nil && c.ctx.Err() == nil {
			e.mu.Lock()
			// A command on a leg that has just ended fails for that reason;
			// the call's own end says what happened, not the flow.
			gone := c.callerDone || c.calleeDone
			if c.flowErr == nil && !gone {
				c.flowErr = fmt.Errorf("%s: %w", ev, err)
			}
			e.mu.Unlock()
			if gone {
				continue
			}
			// End both legs: the flow cannot carry on.
			_ = c.fc.Callee.Hangup(e.ctx, "NORMAL_CLEARING")
			_ = c.fc.Caller.Hangup(e.ctx, "NORMAL_CLEARING")
		}
	}
}

// maybeFinish marks the call finished when nothing more is to come and
// returns it for end; nil otherwise. Called with e.mu held.
func (e *engine) maybeFinish(c *call) *call {
	if c.finished || !c.jobDone || !c.callerDone {
		return nil
	}
	if c.calleeID != "" && !c.calleeDone {
		return nil
	}
	c.finished = true
	for _, t := range c.timers {
		t.Stop()
	}
	c.timers = nil
	c.cancel()
	e.unpend(c)
	if c.reserved > 0 {
		c.node.legs -= c.reserved
		c.reserved = 0
	}
	delete(e.calls, c.id)
	if c.calleeID != "" {
		delete(e.byCallee, c.calleeID)
	}
	c.judge()
	return c
}

// end hands a finished call's record to the collector, outside the lock.
func (e *engine) end(c *call) {
	if c == nil {
		return
	}
	if !c.smoke {
		_ = e.col.End(&c.rec) // a write error surfaces from Collector.Close
	}
	// The call leaves the active count only once its record is in: the
	// run must not close the books between the two.
	e.mu.Lock()
	e.active--
	if e.active == 0 && e.idle != nil {
		close(e.idle)
		e.idle = nil
	}
	e.mu.Unlock()
	close(c.done)
}

// drain waits for every call to end.
func (e *engine) drain(ctx context.Context) error {
	for {
		e.mu.Lock()
		if e.active == 0 {
			e.mu.Unlock()
			return nil
		}
		if e.idle == nil {
			e.idle = make(chan struct{})
		}
		idle := e.idle
		e.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-idle:
		}
	}
}

// stop ends a run the user interrupted: hang up this run's calls on every
// node (Driver.EndRun), wait a bounded time for their ends, then close
// the books.
func (e *engine) stop() (Result, error) {
	e.mu.Lock()
	e.stopping = true
	for _, c := range e.calls {
		c.interrupted = true
	}
	e.mu.Unlock()
	ctx, cancel := context.WithTimeout(e.ctx, e.cfg.StopGrace)
	defer cancel()
	// Let originates already on the wire return first, so EndRun covers
	// their legs (later ones are killed on sight, see handle).
	sent := make(chan struct{})
	go func() { e.origWG.Wait(); close(sent) }()
	select {
	case <-sent:
	case <-ctx.Done():
	}
	e.endRuns(ctx)
	_ = e.drain(ctx)
	e.closeRemaining()
	e.col.SetInterrupted()
	return e.finish(true)
}

// endRuns hangs up this run's calls on every node.
func (e *engine) endRuns(ctx context.Context) {
	var wg sync.WaitGroup
	for _, n := range e.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.endRun(ctx, n)
		}()
	}
	wg.Wait()
}

// closeRemaining records the calls whose ends did not arrive in time as
// they stand.
func (e *engine) closeRemaining() {
	e.mu.Lock()
	var fins []*call
	for _, c := range e.calls {
		c.jobDone, c.callerDone, c.calleeDone = true, true, true
		if f := e.maybeFinish(c); f != nil {
			fins = append(fins, f)
		}
	}
	e.mu.Unlock()
	for _, c := range fins {
		e.end(c)
	}
}

func (e *engine) finish(interrupted bool) (Result, error) {
	e.publishHealth()
	s, err := e.col.Close()
	return Result{Summary: s, Interrupted: interrupted}, err
}

func (e *engine) publishHealth() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, n := range e.nodes {
		e.col.SetGenerator(n.Name, n.health())
	}
}

// act performs an action on a leg of node n, timing the node's reply
// for the overdrive guard.
func (e *engine) act(ctx context.Context, n *node, legID string, a Action) error {
	t := time.Now()
	err := n.Driver.Act(ctx, legID, a)
	e.replied(n, t)
	return err
}

// endRun hangs up this run's calls on node n, timing the reply.
func (e *engine) endRun(ctx context.Context, n *node) {
	t := time.Now()
	_, _ = n.Driver.EndRun(ctx, e.cfg.RunID, "MANAGER_REQUEST")
	e.replied(n, t)
}

func (e *engine) replied(n *node, sent time.Time) {
	e.mu.Lock()
	n.reply.add(time.Since(sent))
	n.checkGuard(e.cfg.Guard)
	e.mu.Unlock()
}

// ticker seals time-series seconds, publishes health and reports
// progress once a second.
func (e *engine) ticker(ctx context.Context) {
	defer e.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			e.mu.Lock()
			for _, n := range e.nodes {
				n.tick(now, e.cfg.Guard)
				n.watchCPU(now, n.Driver.Health().IdleCPU)
			}
			e.mu.Unlock()
			e.col.Tick()
			e.publishHealth()
			if e.cfg.Progress != nil {
				e.cfg.Progress(e.progress())
			}
		}
	}
}

// smoke runs one park call through the whole path and requires it to end
// ok. It is not counted in the run's metrics.
func (e *engine) smoke(ctx context.Context) error {
	park, err := flows.New("park", nil)
	if err != nil {
		return err
	}
	e.mu.Lock()
	n := e.sel.pick(e.nodes)
	if n == nil {
		e.mu.Unlock()
		return fmt.Errorf("%w: no node can take a call", ErrSmokeCall)
	}
	c := e.newCall(-1, FlowMix{Name: "smoke", Flow: park}, n, true)
	c.fc.Hold = 100 * time.Millisecond
	c.rec.Stage = "smoke"
	e.mu.Unlock()
	e.wg.Add(1)
	e.origWG.Add(1)
	go e.originate(c)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
	}
	if c.rec.Outcome != metrics.OutcomeOK {
		return &SmokeError{Node: n.Name, Record: c.rec}
	}
	return nil
}
