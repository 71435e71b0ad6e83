package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/metrics"
)

func TestHeartbeatCharts(t *testing.T) {
	t.Parallel()
	secs := make([]metrics.Second, 6)
	for i := range secs {
		secs[i] = metrics.Second{Index: i, Calls: 1}
	}
	// g1 beats at 1 s and 3 s, g2 at 2 s: each second shows the last one.
	secs[1].Heartbeats = map[string]metrics.Heartbeat{"g1": {SessionCount: 4, MaxSessions: 100, IdleCPU: 90}}
	secs[2].Heartbeats = map[string]metrics.Heartbeat{"g2": {SessionCount: 8, MaxSessions: 100, IdleCPU: 70}}
	secs[3].Heartbeats = map[string]metrics.Heartbeat{"g1": {SessionCount: 6, MaxSessions: 100, IdleCPU: 80}}
	var b bytes.Buffer
	require.NoError(t, HTML(New(PlanInfo{Name: "hb"}, metrics.Summary{Run: "r"}, secs, nil, nil))(&b))
	page := b.String()
	assert.Contains(t, page, "Sessions per node (HEARTBEAT Session-Count)")
	assert.Contains(t, page, "Idle CPU per node (HEARTBEAT Idle-CPU)")
	assert.Equal(t, 2, strings.Count(page, "<title>g1</title>"), "one g1 line per chart")

	by := make([]*metrics.Second, len(secs))
	for i := range secs {
		by[i] = &secs[i]
	}
	cs := heartbeatCharts(by, nil)
	require.Len(t, cs, 2)
	// g1's line runs from its first heartbeat (second 1) to the end: five
	// points, carried forward between heartbeats; g2's from second 2.
	for name, want := range map[string]int{"g1": 5, "g2": 4} {
		svg := string(cs[0].SVG)
		end := strings.Index(svg, `"><title>`+name+`</title></polyline>`)
		require.Positive(t, end, name)
		start := strings.LastIndex(svg[:end], `points="`) + len(`points="`)
		assert.Len(t, strings.Fields(svg[start:end]), want, name)
	}

	none := heartbeatCharts(by[:1], nil)
	assert.Nil(t, none, "no heartbeat, no chart")
}
