package report

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/metrics"
)

func TestYAxisRoundTicks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		vmax      float64
		whole     bool
		step, top float64
	}{
		{7, false, 2, 8},
		{12, true, 5, 15},
		{1, true, 1, 1},
		{0, true, 1, 1},
		{0.8, false, 0.2, 0.8},
		{0.83, false, 0.2, 1},
		{250, false, 50, 250},
		{1234, false, 500, 1500},
	}
	for _, tt := range tests {
		step, top := yAxis(tt.vmax, tt.whole)
		assert.InDelta(t, tt.step, step, 1e-9, "yAxis(%v, %v) step", tt.vmax, tt.whole)
		assert.InDelta(t, tt.top, top, 1e-9, "yAxis(%v, %v) top", tt.vmax, tt.whole)
	}
}

func TestXTicksRound(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]int{7: 1, 8: 1, 9: 2, 18: 5, 40: 5, 41: 5, 45: 10, 300: 60, 3600: 600, 86400: 10800} {
		assert.Equal(t, want, xStep(n), "xStep(%d)", n)
	}
	for sec, want := range map[int]string{0: "0s", 45: "45s", 60: "1m", 90: "1m30s", 600: "10m", 3600: "1h", 7200: "2h"} {
		assert.Equal(t, want, fmtSeconds(sec), "fmtSeconds(%d)", sec)
	}
	// An 18 s run is labelled 0s, 5s, 10s, 15s; never 0, 2, 3, 5, 7 s.
	svg := lineChart("t", "calls", 18, []series{{name: "a", values: make([]float64, 18)}}, nil)
	assert.Equal(t, []string{"0s", "5s", "10s", "15s"}, tickLabels(svg))
}

var tickRe = regexp.MustCompile(`<text x="[0-9.]+" y="\d+" text-anchor="middle" font-size="11">([0-9hms]+)</text>`)

func tickLabels(svg string) []string {
	var out []string
	for _, m := range tickRe.FindAllStringSubmatch(svg, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestChartsTellLinesApart: target, achieved and answered differ in dash
// and marker, not colour alone.
func TestChartsTellLinesApart(t *testing.T) {
	t.Parallel()
	cps := charts(fixture(t, "pass"))[0]
	svg := string(cps.SVG)
	assert.Contains(t, svg, `stroke="#000000" stroke-width="2" stroke-dasharray="8 4"`, "target dashed")
	assert.Contains(t, svg, `<circle cx=`, "achieved has circle markers")
	assert.Contains(t, svg, `stroke-dasharray="2 3"`, "answered dotted")
	assert.Regexp(t, `<rect x="[0-9.]+" y="[0-9.]+" width="7" height="7" fill="#009E73"/>`, svg, "answered has square markers")
}

// TestFailureChartCountsUnknown: calls that ended unknown (node lost)
// have their own category, so the chart is not empty when they are the
// only failures.
func TestFailureChartCountsUnknown(t *testing.T) {
	t.Parallel()
	secs := []*metrics.Second{{Index: 0, Stage: "s"}, {Index: 1, Stage: "s", Unknown: 4}, {Index: 2, Stage: "s", Failed: 1}}
	c := failureChart(secs, []chartEvent{{sec: 1, label: "fs2 down"}})
	svg := string(c.SVG)
	assert.Contains(t, svg, `<title>1s unknown: 4</title>`)
	assert.Contains(t, svg, `<title>2s failed: 1</title>`)
	assert.Contains(t, svg, `fill="#8c8c8c"`, "unknown drawn in its grey")
	assert.Contains(t, svg, `<g class="event"><title>1s: fs2 down</title>`)
	assert.Equal(t, 1, strings.Count(svg, `class="event"`))
}

func TestThrottleEvents(t *testing.T) {
	t.Parallel()
	secs := []*metrics.Second{{}, {Throttled: 2}, {Throttled: 1}, {}, {Throttled: 5}}
	evs := throttleEvents(secs)
	require.Len(t, evs, 2)
	assert.Equal(t, NodeEvent{Second: 1, Kind: EventThrottled}, evs[0])
	assert.Equal(t, NodeEvent{Second: 4, Kind: EventThrottled}, evs[1])
}

func TestInfraReason(t *testing.T) {
	t.Parallel()
	r := fixture(t, "unhealthy")
	assert.Equal(t, "generator fs2 was saturated (calls were held back): the figures cannot be trusted", infraReason(r))
	assert.Empty(t, infraReason(fixture(t, "pass")))
	health, notes := healthText(metrics.Generator{MinIdleCPU: 0, Notes: []string{"Idle-CPU fell to 0.0%"}})
	assert.Equal(t, "ok", health)
	assert.Equal(t, "warning, calls not held back: Idle-CPU fell to 0.0%", notes)
}

func TestHeartbeatNote(t *testing.T) {
	t.Parallel()
	r := fixture(t, "pass")
	hb := func(every int) {
		for i := range r.Seconds {
			r.Seconds[i].Heartbeats = nil
			if i%every == 0 {
				r.Seconds[i].Heartbeats = map[string]metrics.Heartbeat{"fs2": {IdleCPU: 90}}
			}
		}
	}
	hb(2)
	assert.Empty(t, heartbeatNote(r, "fs2"))
	hb(8)
	assert.Equal(t, "a heartbeat every 8 s: set event-heartbeat-interval to 2 (docs/freeswitch.md)", heartbeatNote(r, "fs2"))
	_, notes := nodeNotes(r, "fs2", r.Summary.Generators["fs2"])
	assert.Equal(t, "warning: a heartbeat every 8 s: set event-heartbeat-interval to 2 (docs/freeswitch.md)", notes)
}
