package sip

import "sync"

// background counts a profile's background goroutines (answers awaiting
// their ACK, INVITE pumps, requests, probes) so that Close can wait for
// them. Unlike a sync.WaitGroup it may be added to while Close waits: a
// call answered by its channel's goroutine as a fault stops the profile
// does exactly that, which a WaitGroup forbids (an Add from zero must
// happen before Wait; the race detector caught it in TestE2EKamailioDispatcher).
// Wait returns once the count is zero; a goroutine added after that ends
// on the profile's cancelled context.
type background struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n drops to zero; nil until the first Add
}

func (b *background) Add(delta int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.n == 0 && delta > 0 {
		b.idle = make(chan struct{})
	}
	b.n += delta
	if b.n < 0 {
		panic("sip: background count below zero")
	}
	if b.n == 0 && b.idle != nil {
		close(b.idle)
	}
}

func (b *background) Done() { b.Add(-1) }

// Wait blocks until nothing counted is running.
func (b *background) Wait() {
	for {
		b.mu.Lock()
		n, idle := b.n, b.idle
		b.mu.Unlock()
		if n == 0 {
			return
		}
		<-idle
	}
}
