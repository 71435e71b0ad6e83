package runner

import (
	"context"
	"sync"
	"time"
)

// This file ends runs: draining calls after the last arrival, the bound
// on stuck calls, and the user's stop (this run's calls hung up on every
// node, the books closed).

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
