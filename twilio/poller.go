package twilio

import (
	"context"
	"sync"
	"time"
)

// Update is one observation of a call by the Poller: its status changed
// (or the fetch failed). Received is when the answer arrived, on the
// caller's clock; the status change itself happened at most one polling
// interval earlier.
type Update struct {
	Call     Call
	Received time.Time
	Err      error
}

// Poller follows calls' status by fetching them, for when no status
// callback URL is reachable. Its total request rate is bounded by a Pace,
// and each call is fetched at most once per Every; a call whose status is
// final is dropped.
type Poller struct {
	client  *Client
	pace    *Pace
	every   time.Duration
	workers int
	handle  func(Update)

	mu      sync.Mutex
	watched map[string]*watch
	wake    chan struct{}
}

type watch struct {
	last Status
	due  time.Time
	busy bool
}

// NewPoller polls through client at most perSecond requests per second,
// each call at most once per every, with workers requests in flight;
// handle receives every status change, from the poller's goroutines (it
// must not block for long).
func NewPoller(client *Client, perSecond float64, every time.Duration, workers int, handle func(Update)) *Poller {
	return &Poller{
		client:  client,
		pace:    NewPace(perSecond),
		every:   every,
		workers: max(workers, 1),
		handle:  handle,
		watched: map[string]*watch{},
		wake:    make(chan struct{}, 1),
	}
}

// Watch starts following sid, whose status is known to be last.
func (p *Poller) Watch(sid string, last Status) {
	p.mu.Lock()
	p.watched[sid] = &watch{last: last, due: time.Now().Add(p.every)}
	p.mu.Unlock()
	p.signal()
}

// Forget stops following sid.
func (p *Poller) Forget(sid string) {
	p.mu.Lock()
	delete(p.watched, sid)
	p.mu.Unlock()
}

// Len is the number of calls followed.
func (p *Poller) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.watched)
}

func (p *Poller) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run polls until ctx ends.
func (p *Poller) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range p.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.work(ctx)
		}()
	}
	wg.Wait()
}

func (p *Poller) work(ctx context.Context) {
	for {
		sid, wait := p.nextDue()
		if sid == "" {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-p.wake:
			case <-t.C:
			}
			t.Stop()
			continue
		}
		if err := p.pace.Wait(ctx); err != nil {
			p.release(sid, "")
			return
		}
		call, err := p.client.FetchCall(ctx, sid)
		if ctx.Err() != nil {
			p.release(sid, "")
			return
		}
		now := time.Now()
		if err != nil {
			p.release(sid, "")
			p.handle(Update{Call: Call{SID: sid}, Received: now, Err: err})
			continue
		}
		if p.release(sid, call.Status) {
			p.handle(Update{Call: *call, Received: now})
		}
	}
}

// nextDue claims the call whose fetch is most overdue, or says how long
// until one is due.
func (p *Poller) nextDue() (string, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	var best string
	var bestDue time.Time
	for sid, w := range p.watched {
		if w.busy {
			continue
		}
		if best == "" || w.due.Before(bestDue) {
			best, bestDue = sid, w.due
		}
	}
	if best == "" {
		return "", time.Second
	}
	if d := bestDue.Sub(now); d > 0 {
		return "", d
	}
	p.watched[best].busy = true
	return best, 0
}

// release ends a claim; with a status it records it, drops a final call,
// and reports whether the status changed.
func (p *Poller) release(sid string, s Status) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	w, ok := p.watched[sid]
	if !ok {
		return false // forgotten meanwhile: nobody is listening
	}
	w.busy = false
	w.due = time.Now().Add(p.every)
	if s == "" || s == w.last {
		return false
	}
	w.last = s
	if s.Final() {
		delete(p.watched, sid)
	}
	return true
}
