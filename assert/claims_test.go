package assert

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/metrics"
)

// TestDocumentedClaims checks what docs/assertions.md promises about
// arithmetic: a ratio of counts with no calls is false, not a pass, and
// durations scale by numbers.
func TestDocumentedClaims(t *testing.T) {
	t.Parallel()
	s, err := Compile(planWith(t, `  - {name: ratio, expr: failed / calls < 0.01}
  - {name: scaled, expr: answer_latency.p99 < pdd.p99 * 2}
`))
	require.NoError(t, err)
	vs := s.Evaluate(summary(metrics.Group{}), nil, nil)
	assert.False(t, vs[0].Pass, "no calls: NaN < 0.01 is false")
	assert.Empty(t, vs[0].Error)
	assert.Equal(t, "failed = 0, calls = 0", vs[0].ObservedText())
}
