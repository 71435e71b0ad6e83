package media

import (
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWakeCause(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name     string
		late     time.Duration
		cpuWait  time.Duration
		switches int64
		want     lateCause
	}{
		{"on time", 2 * ms, 0, 1, lateWork},
		{"late with nothing the guest saw", 25 * ms, 0, 1, lateStalled},
		{"late, a short wait for a CPU", 25 * ms, 4 * ms, 1, lateStalled},
		{"late waiting for a CPU", 25 * ms, 22 * ms, 1, lateCPU},
		{"late waiting for a P: a second switch", 25 * ms, 0, 2, lateP},
		{"late waiting for a P and then a CPU", 25 * ms, 12 * ms, 3, lateP},
		{"woke without a switch counted", 8 * ms, 0, 0, lateStalled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, wakeCause(tc.late, tc.cpuWait, tc.switches))
		})
	}
}

func TestMidWorkCause(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name     string
		cpuWait  time.Duration
		switches int64
		want     lateCause
	}{
		{"neither blocked nor waiting: the work", 0, 0, lateWork},
		{"a short wait for a CPU is still the work", 3 * ms, 0, lateWork},
		{"waited for a CPU", 9 * ms, 0, lateCPU},
		{"blocked (a lock, a P, stop-the-world)", 0, 1, lateBlocked},
		{"blocked, then waited for a CPU", 9 * ms, 2, lateBlocked},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, midWorkCause(tc.cpuWait, tc.switches))
		})
	}
}

// The watch reads the real kernel file: a sleep on the locked thread is
// counted as one more time put on a CPU, and an on-time wake is not excused.
func TestStallWatchReadsTheThreadsSchedstat(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	w := newStallWatch()
	defer w.close()
	if w.fd < 0 {
		t.Skip("no /proc/thread-self/schedstat on this kernel (CONFIG_SCHED_INFO off)")
	}
	_, before, ok := w.read()
	require.True(t, ok)
	p := &pacer{}
	require.True(t, p.sleepUntil(time.Now().Add(2*time.Millisecond)))
	_, after, ok := w.read()
	require.True(t, ok)
	assert.Greater(t, after, before, "a sleep puts the thread back on a CPU once more")
	assert.Equal(t, lateWork, w.woke(time.Millisecond), "a wake within the threshold is never excused")
	assert.False(t, p.sleepUntil(time.Now().Add(-time.Millisecond)), "a due time passed is not slept for")
}

func TestStallWatchParsesSchedstat(t *testing.T) {
	for _, tc := range []struct {
		text        string
		wait, count int64
		ok          bool
	}{
		{"123456 7890 42\n", 7890, 42, true},
		{"0 0 1", 0, 1, true},
		{"99 88\n", 0, 0, false},
		{"", 0, 0, false},
	} {
		w := &stallWatch{}
		f, err := os.CreateTemp(t.TempDir(), "schedstat")
		require.NoError(t, err)
		_, err = f.WriteString(tc.text)
		require.NoError(t, err)
		w.fd = int(f.Fd())
		wait, count, ok := w.read()
		assert.Equal(t, tc.ok, ok, "%q", tc.text)
		if tc.ok {
			assert.Equal(t, tc.wait, wait, "%q", tc.text)
			assert.Equal(t, tc.count, count, "%q", tc.text)
		}
		require.NoError(t, f.Close())
	}
}
