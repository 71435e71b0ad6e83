package twilio_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/callplan/callplan/twilio"
	"github.com/callplan/callplan/twilio/twiliotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// However many goroutines wait at once, the slots they get are at least one
// interval apart: the pace never lets a burst through. Each Wait returns no
// earlier than its slot, and the k-th slot is at least k intervals after
// the first Wait began, so the k-th earliest return is too. (Comparing the
// first and last returns instead failed clean-clone CI once: a goroutine
// woken late at its slot shortens that span without any burst.)
func TestPaceNeverBursts(t *testing.T) {
	t.Parallel()
	p := twilio.NewPace(200) // 5 ms
	var mu sync.Mutex
	var at []time.Time
	var wg sync.WaitGroup
	start := time.Now()
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			require.NoError(t, p.Wait(context.Background()))
			mu.Lock()
			at = append(at, time.Now())
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	for k, x := range at {
		assert.GreaterOrEqual(t, x.Sub(start), time.Duration(k)*p.Interval(), "return %d came before its slot", k)
	}
}

func TestPaceStopsOnContext(t *testing.T) {
	t.Parallel()
	p := twilio.NewPace(0.001)
	require.NoError(t, p.Wait(context.Background())) // first slot: now
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, p.Wait(ctx), context.Canceled)
}

// The poller reports each status change once, drops ended calls, and its
// fetches never exceed its rate.
func TestPollerFollowsCallsAtBoundedRate(t *testing.T) {
	t.Parallel()
	srv := twiliotest.NewServer(twiliotest.WithScript(func(to string) twiliotest.Progression {
		if to == "+1busy" {
			return twiliotest.Busy(40 * time.Millisecond)
		}
		return twiliotest.Answer(40*time.Millisecond, 80*time.Millisecond)
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv)
	const rate = 100.0
	var mu sync.Mutex
	seen := map[string][]twilio.Status{}
	p := twilio.NewPoller(c, rate, 10*time.Millisecond, 3, func(u twilio.Update) {
		assert.NoError(t, u.Err)
		mu.Lock()
		seen[u.Call.SID] = append(seen[u.Call.SID], u.Call.Status)
		mu.Unlock()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan struct{})
	start := time.Now()
	go func() { p.Run(ctx); close(done) }()
	want := map[string]twilio.Status{}
	for _, to := range []string{"+1a", "+1b", "+1busy", "+1c"} {
		call, err := c.CreateCall(ctx, params(to))
		require.NoError(t, err)
		want[call.SID] = map[bool]twilio.Status{true: twilio.StatusBusy, false: twilio.StatusCompleted}[to == "+1busy"]
		p.Watch(call.SID, call.Status)
	}
	require.Eventually(t, func() bool { return p.Len() == 0 }, 15*time.Second, 5*time.Millisecond)
	elapsed := time.Since(start)
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	for sid, final := range want {
		got := seen[sid]
		require.NotEmpty(t, got, sid)
		assert.Equal(t, final, got[len(got)-1], "%s saw %v", sid, got)
		for i := 1; i < len(got); i++ {
			assert.NotEqual(t, got[i-1], got[i], "each change reported once: %v", got)
		}
	}
	fetches := srv.Stats().Fetches
	assert.LessOrEqual(t, float64(fetches), elapsed.Seconds()*rate+1, "%d fetches in %v at %g/s", fetches, elapsed, rate)
}
