package flows

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/metrics"
)

// checkFigures checks that a judged record's figures are declared by the
// flow's Spec with the type they were recorded as, and that each duration
// figure agrees with the CDR field in milliseconds it mirrors.
func checkFigures(t *testing.T, flow string, r *metrics.Record, mirrors map[string]string) {
	t.Helper()
	spec, ok := Lookup(flow)
	require.True(t, ok)
	for name, d := range r.Timings {
		f, ok := spec.Figure(name)
		assert.True(t, ok && f.Duration, "flow %s recorded undeclared duration figure %q", flow, name)
		if field, ok := mirrors[name]; ok {
			ms, err := strconv.ParseFloat(r.Fields[field], 64)
			require.NoError(t, err, "figure %s without its field %s", name, field)
			assert.InDelta(t, ms, float64(d)/float64(time.Millisecond), 0.001, "%s vs %s", name, field)
		}
	}
	for field, name := range invert(mirrors) {
		_, hasField := r.Fields[field]
		_, hasFigure := r.Timings[name]
		assert.Equal(t, hasField, hasFigure, "field %s and figure %s go together", field, name)
	}
	for name := range r.Values {
		f, ok := spec.Figure(name)
		assert.True(t, ok && !f.Duration, "flow %s recorded undeclared number figure %q", flow, name)
	}
}

func invert(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[v] = k
	}
	return out
}
