package report

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/metrics"
)

// TestPerSecondSpreadsBuckets: a long run's older seconds come as buckets
// (metrics/tiers.go); the charts see each second a bucket covers as its
// mean second, so a rate reads the same whatever the bucket's width.
func TestPerSecondSpreadsBuckets(t *testing.T) {
	t.Parallel()
	secs := []metrics.Second{
		{Index: 0, Span: 4, Calls: 400, Active: 7, Reasons: map[string]int64{"busy": 8}},
		{Index: 4, Calls: 90},
	}
	by := perSecond(secs)
	require.Len(t, by, 5)
	for i := range 4 {
		require.NotNil(t, by[i])
		assert.Equal(t, int64(100), by[i].Calls, "second %d", i)
		assert.Equal(t, int64(7), by[i].Active, "second %d", i)
		assert.Equal(t, map[string]int64{"busy": 2}, by[i].Reasons, "second %d", i)
		assert.Equal(t, 1, by[i].Width())
	}
	assert.Equal(t, int64(90), by[4].Calls)
	assert.Equal(t, int64(400), secs[0].Calls, "the bucket itself is unchanged")
}
