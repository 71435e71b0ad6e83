package agent

import "sync"

// workers runs the agent's per-call functions (a leg's channel goroutine,
// a bgapi job) on goroutines that are kept once their function returns and
// take the next one. A new goroutine starts with a small stack and copies
// it as it grows through the channel model and sipgo: 2 → 4 → 8 → 16 kB,
// about a tenth of a loop call's CPU in a profile (runtime.newstack and
// copystack under runInbound, runOutbound and runJob, docs/performance.md).
// A kept goroutine starts its next function with the stack the last one
// grew (the collector shrinks the stacks of idle ones, so a burst does not
// pin its peak).
//
// At most maxIdle goroutines wait; one more finishing then exits, and Go
// starts a new goroutine when none waits, so there is no limit on how many
// run. close ends the waiting ones and makes every running one exit when
// its function returns.
type workers struct {
	mu      sync.Mutex
	idle    []chan func() // each waiting goroutine's inbox; the last parked is taken first (warmest stack)
	maxIdle int
	closed  bool
}

func newWorkers(maxIdle int) *workers { return &workers{maxIdle: maxIdle} }

// Go runs fn on a waiting goroutine, or on a new one.
func (w *workers) Go(fn func()) {
	w.mu.Lock()
	if n := len(w.idle); n > 0 {
		inbox := w.idle[n-1]
		w.idle = w.idle[:n-1]
		w.mu.Unlock()
		inbox <- fn // buffered: never blocks
		return
	}
	w.mu.Unlock()
	go w.run(fn)
}

func (w *workers) run(fn func()) {
	var inbox chan func()
	for {
		fn()
		w.mu.Lock()
		if w.closed || len(w.idle) >= w.maxIdle {
			w.mu.Unlock()
			return
		}
		if inbox == nil {
			inbox = make(chan func(), 1)
		}
		w.idle = append(w.idle, inbox)
		w.mu.Unlock()
		if fn = <-inbox; fn == nil {
			return
		}
	}
}

// idleCount is how many goroutines wait for work (for tests).
func (w *workers) idleCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.idle)
}

// close ends the waiting goroutines; running ones exit after their
// function. Go after close still runs its function, on a new goroutine.
func (w *workers) close() {
	w.mu.Lock()
	idle := w.idle
	w.idle, w.closed = nil, true
	w.mu.Unlock()
	for _, inbox := range idle {
		inbox <- nil
	}
}
