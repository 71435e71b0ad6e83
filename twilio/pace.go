package twilio

import (
	"context"
	"sync"
	"time"
)

// Pace spaces events evenly at a fixed rate: each Wait takes the next free
// slot, one interval after the previous one, and sleeps until it. Unlike a
// per-second budget (the seed tool's "as fast as possible until this
// second's cap, then wait") it never lets a burst through: two slots are
// always at least one interval apart. An idle pace does not bank slots.
type Pace struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

// NewPace returns a pace of perSecond events per second; perSecond <= 0
// means no spacing.
func NewPace(perSecond float64) *Pace {
	p := &Pace{}
	if perSecond > 0 {
		p.interval = time.Duration(float64(time.Second) / perSecond)
	}
	return p
}

// Interval is the spacing between slots.
func (p *Pace) Interval() time.Duration { return p.interval }

// Wait blocks until the caller's slot, or until ctx ends (the slot is then
// lost, which only makes the pace slower).
func (p *Pace) Wait(ctx context.Context) error {
	if p == nil || p.interval <= 0 {
		return ctx.Err()
	}
	p.mu.Lock()
	now := time.Now()
	slot := p.next
	if slot.Before(now) {
		slot = now
	}
	p.next = slot.Add(p.interval)
	p.mu.Unlock()
	d := time.Until(slot)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
