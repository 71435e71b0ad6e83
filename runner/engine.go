package runner

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/callplan/callplan/flows"
	"github.com/callplan/callplan/internal/workers"
	"github.com/callplan/callplan/metrics"
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

	// work runs each call's originate, flow actor and scheduled flow
	// actions on kept goroutines (internal/workers): a new goroutine's
	// stack grew by copying under every one of them.
	work *workers.Pool

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

// maxIdleWorkers bounds the goroutines kept waiting for the next call's
// work: a few hundred calls in flight turn over that many a second.
const maxIdleWorkers = 512

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
		work:       workers.New(maxIdleWorkers),
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
		e.work.Close()
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
