package workers

import "sync"

// Pool runs functions on kept goroutines. The zero value is not usable:
// make one with New.
type Pool struct {
	mu      sync.Mutex
	idle    []chan func() // each waiting goroutine's inbox; the last parked is taken first (warmest stack)
	maxIdle int
	closed  bool
}

// New returns a pool that keeps at most maxIdle goroutines waiting.
func New(maxIdle int) *Pool { return &Pool{maxIdle: maxIdle} }

// Go runs fn on a waiting goroutine, or on a new one.
func (p *Pool) Go(fn func()) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		inbox := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		inbox <- fn // buffered: never blocks
		return
	}
	p.mu.Unlock()
	go p.run(fn)
}

func (p *Pool) run(fn func()) {
	var inbox chan func()
	for {
		fn()
		p.mu.Lock()
		if p.closed || len(p.idle) >= p.maxIdle {
			p.mu.Unlock()
			return
		}
		if inbox == nil {
			inbox = make(chan func(), 1)
		}
		p.idle = append(p.idle, inbox)
		p.mu.Unlock()
		if fn = <-inbox; fn == nil {
			return
		}
	}
}

// Idle is how many goroutines wait for work.
func (p *Pool) Idle() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}

// Close ends the waiting goroutines; running ones exit after their
// function. Go after Close still runs its function, on a new goroutine.
func (p *Pool) Close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, inbox := range idle {
		inbox <- nil
	}
}
