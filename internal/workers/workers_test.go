package workers

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 10*time.Second, time.Millisecond)
}

func TestPool(t *testing.T) {
	tests := []struct {
		name    string
		maxIdle int
		fns     int
		idle    int // goroutines left waiting once all ran
	}{
		{"one function, kept", 4, 1, 1},
		{"more functions than kept", 2, 5, 2},
		{"nothing kept", 0, 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := New(tt.maxIdle)
			defer p.Close()
			// The functions wait for each other, so each runs on its own
			// goroutine at once (none can finish and take the next).
			var started, ran sync.WaitGroup
			started.Add(tt.fns)
			ran.Add(tt.fns)
			release := make(chan struct{})
			for range tt.fns {
				p.Go(func() {
					started.Done()
					<-release
					ran.Done()
				})
			}
			started.Wait()
			close(release)
			ran.Wait()
			waitFor(t, func() bool { return p.Idle() == tt.idle })
		})
	}
}

// A kept goroutine takes the next function: no new goroutine for it (one
// would leave the kept one waiting).
func TestPoolReusesAWaitingGoroutine(t *testing.T) {
	p := New(1)
	defer p.Close()
	done := make(chan struct{})
	p.Go(func() { close(done) })
	<-done
	waitFor(t, func() bool { return p.Idle() == 1 })
	release := make(chan struct{})
	p.Go(func() { <-release })
	assert.Zero(t, p.Idle(), "the waiting goroutine took it")
	close(release)
	waitFor(t, func() bool { return p.Idle() == 1 })
}

func TestPoolClose(t *testing.T) {
	p := New(4)
	done := make(chan struct{})
	p.Go(func() { close(done) })
	<-done
	waitFor(t, func() bool { return p.Idle() == 1 })
	p.Close()
	assert.Zero(t, p.Idle())
	ran := make(chan struct{})
	p.Go(func() { close(ran) })
	<-ran
	assert.Zero(t, p.Idle(), "after Close nothing is kept")
}
