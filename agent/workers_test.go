package agent

import (
	"bytes"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goroutineID reads the running goroutine's number from its stack header
// ("goroutine 42 [running]:"), the only way a test can tell goroutines apart.
func goroutineID() string {
	var b [64]byte
	n := runtime.Stack(b[:], false)
	return string(bytes.Fields(b[:n])[1])
}

func waitIdle(t *testing.T, w *workers, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return w.idleCount() == n }, 10*time.Second, time.Millisecond,
		"want %d idle workers", n)
}

func TestWorkersReuseAFinishedGoroutine(t *testing.T) {
	t.Parallel()
	w := newWorkers(4)
	t.Cleanup(w.close)
	ids := make(chan string, 2)
	w.Go(func() { ids <- goroutineID() })
	first := <-ids
	waitIdle(t, w, 1)
	w.Go(func() { ids <- goroutineID() })
	assert.Equal(t, first, <-ids, "the second function runs on the goroutine the first one left")
	waitIdle(t, w, 1)
}

func TestWorkersKeepAtMostMaxIdle(t *testing.T) {
	t.Parallel()
	const maxIdle, running = 3, 8
	w := newWorkers(maxIdle)
	t.Cleanup(w.close)
	release := make(chan struct{})
	var started, done sync.WaitGroup
	started.Add(running)
	done.Add(running)
	for range running {
		w.Go(func() { started.Done(); <-release; done.Done() })
	}
	started.Wait() // none waited for another: all eight run at once
	assert.Equal(t, 0, w.idleCount())
	close(release)
	done.Wait()
	waitIdle(t, w, maxIdle)
}

func TestWorkersCloseEndsTheWaitingOnes(t *testing.T) {
	t.Parallel()
	w := newWorkers(2)
	ran := make(chan string, 3)
	// Both functions wait for each other, so they run on two goroutines
	// (the first one, done at once, could otherwise have taken the second
	// and left one worker idle, not two).
	var both sync.WaitGroup
	both.Add(2)
	for range 2 {
		w.Go(func() { both.Done(); both.Wait(); ran <- goroutineID() })
	}
	assert.NotEqual(t, <-ran, <-ran)
	waitIdle(t, w, 2)
	w.close()
	assert.Equal(t, 0, w.idleCount())
	// After close a function still runs, on a goroutine that then exits
	// instead of waiting.
	w.Go(func() { ran <- goroutineID() })
	<-ran
	assert.Equal(t, 0, w.idleCount())
}
