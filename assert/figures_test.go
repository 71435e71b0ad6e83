package assert

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/metrics"
	"github.com/callplan/callplan/plan"
)

// figuresKnown stands in for the flows registry: bert counts lost_sync and
// keeps sync_time (a duration) and lost_percent (a number); dtmf counts
// missing and keeps digit_latency; park keeps nothing.
var figuresKnown = Known{
	Counters: func(flow string) ([]string, bool) {
		switch flow {
		case "bert":
			return []string{"lost_sync", "timeouts"}, true
		case "dtmf":
			return []string{"missing"}, true
		case "park":
			return nil, true
		}
		return nil, false
	},
	Figures: func(flow string) ([]Var, bool) {
		switch flow {
		case "bert":
			return []Var{{Name: "sync_time", Duration: true}, {Name: "lost_percent"}}, true
		case "dtmf":
			return []Var{{Name: "digit_latency", Duration: true}}, true
		case "park":
			return nil, true
		}
		return nil, false
	},
}

func mediaPlan(t *testing.T, assertions string) *plan.Plan {
	t.Helper()
	src := `flows:
  - {use: bert}
  - {use: dtmf}
  - {use: park}
stages:
  - {name: s, duration: 10s, rate: 1, limit: 5}
assertions:
` + assertions
	p, err := plan.Parse("p.yaml", []byte(src), plan.Options{})
	require.NoError(t, err)
	return p
}

func yamlExpr(expr string) string {
	return "  - expr: '" + strings.ReplaceAll(expr, "'", "''") + "'\n"
}

func TestFigureVariablesCompile(t *testing.T) {
	t.Parallel()
	for _, src := range []string{
		yamlExpr(`flows.bert.sync_time.p95 < duration("2s")`),
		yamlExpr(`flows.bert.sync_time.count > 0 && flows.bert.sync_time.min <= flows.bert.sync_time.max`),
		yamlExpr(`flows.bert.lost_percent.max <= 30 && flows.bert.lost_sync == 0`),
		yamlExpr(`flows.dtmf.missing == 0 && flows.dtmf.digit_latency.p99 < duration("300ms")`),
		yamlExpr(`flows.bert.mos.p5 >= 4.0`),
		"  - {expr: 'sync_time.p50 < duration(\"1500ms\") && lost_sync == 0', flow: bert}\n",
	} {
		_, err := CompileWith(mediaPlan(t, src), figuresKnown)
		assert.NoError(t, err, "CompileWith(%s)", src)
	}
}

func TestFigureVariablesAreChecked(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src, want string
	}{
		{"figure typo", "  - expr: flows.bert.sync_tme.p95 < duration(\"2s\")\n",
			`p.yaml:8:22: assertions[0].expr: invalid expression: unknown figure sync_tme of flow bert (did you mean sync_time?); it keeps sync_time, lost_percent`},
		{"figure of a flow that keeps none", yamlExpr(`flows.park.sync_time.p95 < duration("2s")`),
			`unknown figure sync_time of flow park; the flow keeps no figures (docs/flows.md)`},
		{"figure of another flow", yamlExpr(`flows.dtmf.sync_time.p95 < duration("2s")`),
			`unknown figure sync_time of flow dtmf; it keeps digit_latency`},
		{"a duration compared with a number", yamlExpr(`flows.bert.sync_time.p95 < 2`),
			`compare durations with duration("300ms")`},
		{"a number compared with a duration", yamlExpr(`flows.bert.lost_percent.max < duration("2s")`),
			`mismatched types float64 and time.Duration`},
		{"quantile typo", yamlExpr(`flows.bert.sync_time.p96 < duration("2s")`),
			`unknown field p96 (did you mean p95?)`},
		{"counter typo beside figures", yamlExpr(`flows.dtmf.mising == 0`),
			`unknown counter mising of flow dtmf (did you mean missing?); it counts missing`},
		{"flow scope", "  - {expr: 'sync_tme.p95 < duration(\"2s\")', flow: bert}\n",
			`unknown figure sync_tme of flow bert (did you mean sync_time?)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var errs plan.Errors
			CheckWith(figuresKnown)(mediaPlan(t, tt.src), &errs)
			require.Len(t, errs, 1, "CheckWith(%s)", tt.src)
			assert.Contains(t, errs[0].String(), tt.want, "CheckWith(%s)", tt.src)
		})
	}
	t.Run("without Known a figure is not a variable", func(t *testing.T) {
		t.Parallel()
		_, err := Compile(mediaPlan(t, yamlExpr(`flows.bert.sync_time.p95 < duration("2s")`)))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "unknown figure sync_time of flow bert; the flow keeps no figures")
	})
}

func TestFigureVariablesEvaluate(t *testing.T) {
	t.Parallel()
	set, err := CompileWith(mediaPlan(t,
		yamlExpr(`flows.bert.sync_time.p95 < duration("2s")`)+
			yamlExpr(`flows.bert.lost_percent.max <= 30`)+
			"  - {expr: 'sync_time.p50 < duration(\"1s\")', flow: bert}\n"+
			yamlExpr(`flows.dtmf.digit_latency.count == 0 && flows.dtmf.missing == 0`)), figuresKnown)
	require.NoError(t, err)
	sum := &metrics.Summary{Flows: map[string]metrics.Group{
		"bert": {Calls: 10,
			Timings: map[string]metrics.TimeScore{"sync_time": {Count: 10, P50: 1020 * time.Millisecond, P95: 1040 * time.Millisecond}},
			Values:  map[string]metrics.Score{"lost_percent": {Count: 10, Max: 96}}},
		// dtmf placed calls but none received a digit: zero figures.
		"dtmf": {Calls: 4, Counters: map[string]int64{"missing": 40}},
	}}
	vs := set.Evaluate(sum, nil, nil)
	require.Len(t, vs, 4)
	assert.True(t, vs[0].Pass, vs[0].String())
	assert.Equal(t, "flows.bert.sync_time.p95 = 1.04s", vs[0].ObservedText())
	assert.False(t, vs[1].Pass, vs[1].String())
	assert.Equal(t, "flows.bert.lost_percent.max = 96", vs[1].ObservedText())
	assert.False(t, vs[2].Pass, "flow scope reads bert's own: %s", vs[2].String())
	assert.Equal(t, "sync_time.p50 = 1.02s", vs[2].ObservedText())
	assert.False(t, vs[3].Pass, vs[3].String())
	assert.Contains(t, vs[3].ObservedText(), "flows.dtmf.digit_latency.count = 0")
	assert.Contains(t, vs[3].ObservedText(), "flows.dtmf.missing = 40")
}
