package assert

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/metrics"
)

// bucket is a merged bucket of w seconds from i (metrics/tiers.go), each
// second like sec's.
func bucket(i, w int, calls, answered int64) metrics.Second {
	s := sec(i, "ramp", calls, answered)
	s.Span = w
	return s
}

// TestWindowsOverBuckets: in a long run's older part the series holds
// buckets of several seconds; a window there is judged on the fewest
// buckets that cover it, and its span says which seconds those were.
func TestWindowsOverBuckets(t *testing.T) {
	t.Parallel()
	// Four buckets of 4 s at 10 cps, the second answering half; then the
	// latest four seconds one by one.
	secs := []metrics.Second{bucket(0, 4, 40, 40), bucket(4, 4, 40, 20), bucket(8, 4, 40, 40), bucket(12, 4, 40, 40)}
	for i := 16; i < 20; i++ {
		secs = append(secs, sec(i, "ramp", 10, 10))
	}
	s, err := Compile(planWith(t, "  - {expr: asr >= 0.9, window: 5s}\n"))
	require.NoError(t, err)
	v := s.Evaluate(summary(metrics.Group{}), secs, nil)[0]
	assert.False(t, v.Pass, "%s", v)
	// [0,8) and [4,12) hold the bad bucket; [8,16) and [12,17) do not;
	// from 16 on, less than 5 s are left.
	assert.Equal(t, 4, v.Windows)
	assert.Equal(t, 2, v.FailedWindows)
	assert.Equal(t, &Span{0, 8}, v.Span)
	assert.Equal(t, "asr = 0.75, in [0s, 8s)", v.ObservedText())

	// Live, the latest window is the single seconds plus the bucket
	// before them.
	live := s.Failing(0, nil, secs)
	assert.Empty(t, live)
	secs[3].Answered, secs[3].OK, secs[3].EndedAnswered, secs[3].Failed = 0, 0, 0, 40
	assert.Equal(t, []string{"asr >= 0.9"}, s.Failing(0, nil, secs))
}
