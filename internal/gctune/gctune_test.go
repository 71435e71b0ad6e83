package gctune

import (
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPercentFor(t *testing.T) {
	t.Parallel()
	const mb = 1 << 20
	for _, tc := range []struct {
		live uint64
		want int
	}{
		{0, 400},
		{9 * mb, 400},  // the agent's live heap: full percent
		{32 * mb, 400}, // 4 × 32 MB = the budget exactly
		{64 * mb, 200},
		{100 * mb, 128},
		{128 * mb, 100}, // the budget: the default from here on
		{1 << 30, 100},  // never below the default
	} {
		assert.Equal(t, tc.want, PercentFor(tc.live), "PercentFor(%d MB)", tc.live/mb)
	}
}

func env(kv map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := kv[k]; return v, ok }
}

// gcPercent reads the percent in force without changing it.
func gcPercent() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int(s[0].Value.Uint64())
}

func TestApplyLeavesAUsersGOGC(t *testing.T) {
	before := gcPercent()
	assert.Nil(t, Apply(env(map[string]string{"GOGC": "150"})))
	assert.Equal(t, before, gcPercent())
	Apply(env(map[string]string{"GOGC": "150"})).Stop() // a nil Tuner stops quietly
}

// waitFor runs collections until cond holds; the tuner hears of each
// collection from a finalizer, which runs a little after it.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		require.True(t, time.Now().Before(deadline), "waiting for %s", what)
		runtime.GC()
		runtime.Gosched()
	}
}

func TestApplyFollowsTheLiveHeapAndStopRestores(t *testing.T) {
	before := gcPercent()
	tu := Apply(env(nil))
	require.NotNil(t, tu)
	t.Cleanup(tu.Stop)
	assert.Equal(t, Percent, gcPercent(), "a test binary's small heap gets the full percent")

	waitFor(t, "a tune after a collection", func() bool { return tu.Tunes() > 0 })
	assert.Equal(t, Percent, gcPercent())

	// 96 MB live: the percent comes down so the growth stays in the budget
	// (128 MB × 100 / 96 MB ≈ 133, a little less with the rest of the heap).
	big := make([]byte, 96<<20)
	for i := range big {
		big[i] = byte(i)
	}
	waitFor(t, "a lower percent", func() bool { p := gcPercent(); return p >= 100 && p <= 133 })
	runtime.KeepAlive(big)
	waitFor(t, "the full percent again", func() bool { return gcPercent() == Percent })

	tu.Stop()
	assert.Equal(t, before, gcPercent(), "Stop restores what Apply found")
	n := tu.Tunes()
	for range 3 {
		runtime.GC()
	}
	assert.Equal(t, before, gcPercent(), "no tuning after Stop")
	assert.Equal(t, n, tu.Tunes(), "no tune counted after Stop")
}
