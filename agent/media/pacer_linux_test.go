package media

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// threadSched is what the kernel says of the calling thread.
type threadSched struct {
	policy, priority uint32
	nice             int
	err              error
}

func readThreadSched() threadSched {
	attr, err := unix.SchedGetAttr(0, 0)
	if err != nil {
		return threadSched{err: err}
	}
	prio, err := unix.Getpriority(unix.PRIO_PROCESS, unix.Gettid())
	// The raw system call answers 20 - nice (getpriority(2), NOTES).
	return threadSched{policy: attr.Policy, priority: attr.Priority, nice: 20 - prio, err: err}
}

// onPacerThread pins a fresh goroutine's thread as a wheel does and runs f
// there; the thread ends with the goroutine, so its priority goes with it.
func onPacerThread(f func(p *pacer)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(pinPacer(0))
	}()
	<-done
}

func TestPacerThreadGetsWhatItReports(t *testing.T) {
	tests := []struct {
		priority string
		modes    []string // in the order the system may allow them
	}{
		{"", []string{"SCHED_FIFO 1", "nice -10", "normal (not raised"}},
		{"realtime", []string{"SCHED_FIFO 1", "nice -10", "normal (not raised"}},
		{"nice", []string{"nice -10", "normal (not raised"}},
		{"normal", []string{"normal"}},
	}
	for _, tt := range tests {
		t.Run("priority="+tt.priority, func(t *testing.T) {
			t.Setenv("CALLPLAN_MEDIA_PRIORITY", tt.priority)
			var p pacer
			var got threadSched
			onPacerThread(func(pp *pacer) { p, got = *pp, readThreadSched() })
			require.NoError(t, got.err)
			switch p.mode {
			case "SCHED_FIFO 1":
				assert.Equal(t, uint32(unix.SCHED_FIFO), got.policy)
				assert.Equal(t, uint32(1), got.priority)
				assert.True(t, p.realtime)
			case "nice -10":
				assert.Equal(t, uint32(unix.SCHED_NORMAL), got.policy)
				assert.Equal(t, -10, got.nice)
			default:
				assert.Equal(t, uint32(unix.SCHED_NORMAL), got.policy)
			}
			matched := false
			for _, m := range tt.modes {
				matched = matched || strings.HasPrefix(p.mode, m)
			}
			assert.True(t, matched, "mode %q is none of %q", p.mode, tt.modes)
		})
	}
}

func TestPacerDemotedFromRealtimeLeavesFIFO(t *testing.T) {
	var before, after pacer
	var first, second bool
	var got threadSched
	onPacerThread(func(p *pacer) {
		before = *p
		first = p.demote()
		second = p.demote()
		after, got = *p, readThreadSched()
	})
	if !before.realtime {
		t.Skipf("this system does not allow SCHED_FIFO here (%s): nothing to demote", before.mode)
	}
	require.NoError(t, got.err)
	assert.True(t, first)
	assert.False(t, second, "a second demotion is a no-op")
	assert.Equal(t, uint32(unix.SCHED_NORMAL), got.policy)
	assert.Contains(t, after.mode, "real-time dropped")
}

func TestPacerHoggingReadsTheThreadsCPUClock(t *testing.T) {
	const window = 50 * time.Millisecond
	var spun, slept, first bool
	var mode string
	onPacerThread(func(p *pacer) {
		mode = p.mode
		p.realtime, p.window = true, window // judge this thread as a real-time wheel would
		first = p.hogging(time.Now())       // opens the first window
		for start := time.Now(); time.Since(start) < 2*window; {
		}
		spun = p.hogging(time.Now())
		time.Sleep(2 * window) // the thread's CPU clock stands still
		slept = p.hogging(time.Now())
		p.demote()
	})
	if mode != "SCHED_FIFO 1" {
		// At an ordinary priority a loaded machine may not give the
		// spinning thread 90 % of its window: only real time is sure to.
		t.Skipf("this system does not allow SCHED_FIFO here (%s)", mode)
	}
	assert.False(t, first, "no window has closed yet")
	assert.True(t, spun, "a thread busy for its whole window is hogging (%s)", mode)
	assert.False(t, slept, "a thread asleep for its window is not")
}

// Real-time wheels each run on a CPU of their own, and a wheel dropped
// from real time may run anywhere again.
func TestRealtimeWheelsBindOneCPUEach(t *testing.T) {
	all, err := processCPUs()
	require.NoError(t, err)
	if all.Count() < 2 {
		t.Skipf("the process may use %d CPU: nothing to spread", all.Count())
	}
	type seen struct {
		p             pacer
		bound, demote unix.CPUSet
	}
	got := make([]seen, 2)
	for wheel := range got {
		done := make(chan struct{})
		go func() {
			defer close(done)
			p := pinPacer(wheel)
			got[wheel].p = *p
			_ = unix.SchedGetaffinity(0, &got[wheel].bound)
			p.demote()
			_ = unix.SchedGetaffinity(0, &got[wheel].demote)
		}()
		<-done
	}
	if !got[0].p.realtime {
		t.Skipf("this system does not allow SCHED_FIFO here (%s): wheels are not bound", got[0].p.mode)
	}
	for wheel, g := range got {
		assert.Equal(t, 1, g.bound.Count(), "wheel %d runs on one CPU", wheel)
		assert.True(t, g.bound.IsSet(g.p.cpu), "wheel %d on the CPU it reports", wheel)
		assert.Equal(t, all, g.demote, "wheel %d, demoted, may run on every CPU again", wheel)
	}
	assert.NotEqual(t, got[0].p.cpu, got[1].p.cpu, "two wheels, two CPUs")
}
