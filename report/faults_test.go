package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/metrics"
)

func TestFaultsMarkedInTableAndCharts(t *testing.T) {
	t.Parallel()
	sum := metrics.Summary{Run: "r1", Faults: []metrics.FaultMark{
		{At: 2 * time.Second, Second: 2, Node: "callee-b", Action: "stop"},
		{At: 5500 * time.Millisecond, Second: 5, Node: "callee-b", Action: "reject", Detail: "503", Error: "boom"},
	}}
	secs := make([]metrics.Second, 10)
	for i := range secs {
		secs[i] = metrics.Second{Index: i, Calls: 2}
	}
	r := New(PlanInfo{Name: "lb"}, sum, secs, nil, nil)

	var tb bytes.Buffer
	require.NoError(t, Table(r)(&tb))
	assert.Contains(t, tb.String(), "Faults injected")
	assert.Regexp(t, `2s\s*│\s*callee-b\s*│\s*stop\s*│\s*│\s*applied`, tb.String())
	assert.Regexp(t, `5.5s\s*│\s*callee-b\s*│\s*reject\s*│\s*503\s*│\s*FAILED: boom`, tb.String())

	var hb bytes.Buffer
	require.NoError(t, HTML(r)(&hb))
	page := hb.String()
	charts := strings.Count(page, "<svg")
	require.Positive(t, charts)
	assert.Equal(t, charts, strings.Count(page, "<title>callee-b stop at 2s</title>"), "every chart marks the stop")
	// 2 s of 10 on a plot from padL to padL+plotW.
	assert.Contains(t, page, `x1="185.6"`)
	assert.Contains(t, page, ">callee-b reject 503</text>")
}
