package sip

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// Goroutines may be added while Wait waits, from zero too (what a
// sync.WaitGroup forbids, and the race detector reports), and Wait returns
// only when every one counted has ended.
func TestBackgroundAddWhileWaiting(t *testing.T) {
	var b background
	b.Wait() // nothing counted: returns at once
	release := make(chan struct{})
	var ended sync.WaitGroup
	ended.Add(11) // all of them, before any starts
	start := func() {
		b.Add(1)
		go func() {
			defer ended.Done()
			defer b.Done()
			<-release
		}()
	}
	start()
	waited := make(chan struct{})
	go func() {
		b.Wait()
		close(waited)
	}()
	for range 10 {
		go start() // added concurrently with the Wait above
	}
	close(release)
	select {
	case <-waited:
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return once every goroutine ended")
	}
	ended.Wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	assert.Zero(t, b.n, "every Add matched by a Done")
}
