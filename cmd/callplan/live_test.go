package main

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"

	"github.com/callplan/callplan/runner"
)

var busy = runner.Progress{
	Stage: "ramp", Elapsed: 42*time.Second + 300*time.Millisecond, Total: 2 * time.Minute,
	TargetCPS: 10, AchievedCPS: 9.8, Active: 148, Calls: 1234, Answered: 1180, Failed: 12,
	Dropped: 3, Throttled: 7, Saturated: []string{"fs2"},
}

func TestLiveLineLabelled(t *testing.T) {
	t.Parallel()
	line := fitLine(liveSegments(busy, 142*time.Millisecond), 0)
	assert.Equal(t, "ramp 42s/2m0s | saturated fs2 | cps 9.8 of 10.0 | active 148 | calls 1234 | answered 1180 | failed 12 | ASR 95.6% | pdd p95 142ms | dropped 3 | throttled 7", line)
}

// TestLiveLineFitsWidth: on a terminal the line never reaches the last
// column, so a redraw cannot wrap; what goes first is the least
// important, and the stage, the rate and a lost node stay.
func TestLiveLineFitsWidth(t *testing.T) {
	t.Parallel()
	down := busy
	down.Down = []string{"fs1"}
	down.FailingAsserts = []string{"asr >= 0.99", "pdd.p95 < duration(\"300ms\")"}
	for _, width := range []int{40, 60, 79, 99, 119, 200} {
		line := fitLine(liveSegments(down, 142*time.Millisecond), width)
		assert.LessOrEqual(t, utf8.RuneCountInString(line), width, "width %d: %q", width, line)
		assert.True(t, strings.HasPrefix(line, "ramp 42s/2m0s"), "width %d: %q", width, line)
		if width >= 60 {
			assert.Contains(t, line, "DOWN fs1", "width %d", width)
			assert.Contains(t, line, "cps 9.8 of 10.0", "width %d", width)
		}
	}
	// At 99 columns (a 100-column terminal) the ASR still shows.
	assert.Contains(t, fitLine(liveSegments(busy, 142*time.Millisecond), 99), "ASR 95.6%")
	// A single part wider than the terminal is cut, not wrapped.
	assert.Equal(t, "ramp 42s/2m0s | cps 9.8 of 10.0", fitLine(liveSegments(busy, 0), 33))
	assert.Equal(t, "ramp 42s/2…", fitLine(liveSegments(busy, 0), 11))
}

func TestShortDuration(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{842 * time.Microsecond: "842µs", 1234 * time.Microsecond: "1.23ms",
		142 * time.Millisecond: "142ms", 12340 * time.Microsecond: "12.3ms", 1250 * time.Millisecond: "1.25s"} {
		assert.Equal(t, want, shortDuration(d))
	}
}
