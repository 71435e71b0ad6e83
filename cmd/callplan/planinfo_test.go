package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	verdict "github.com/callplan/callplan/assert"
	"github.com/callplan/callplan/plan"
	"github.com/callplan/callplan/report"
)

// TestPlanInfo checks the plan-to-report conversion carries every field the
// report shows: name, file, tolerance, and each stage's targets (a ramp's
// both ends, limit, and hold, including a hold: auto resolved by plan).
func TestPlanInfo(t *testing.T) {
	t.Parallel()
	p, err := plan.Parse("plans/p.yaml", []byte(`name: info
stages:
  - {name: warm, duration: 10s, rate: {from: 1, to: 4}, limit: 7, hold: 2s}
  - {name: steady, duration: 1m, rate: 4, limit: 8, hold: auto}
report: {tolerance: 0.25}
`), plan.Options{Check: verdict.Check})
	require.NoError(t, err)
	got := planInfo(p)
	assert.Equal(t, report.PlanInfo{
		Name: "info", File: p.File, Tolerance: 0.25,
		Stages: []report.StageInfo{
			{Name: "warm", Duration: verdict.Sec(10 * time.Second), RateFrom: 1, RateTo: 4, Limit: 7, Hold: verdict.Sec(2 * time.Second)},
			{Name: "steady", Duration: verdict.Sec(time.Minute), RateFrom: 4, RateTo: 4, Limit: 8, Hold: verdict.Sec(2 * time.Second)},
		},
	}, got)
	assert.Equal(t, "plans/p.yaml", got.File)
}

// TestPlanInfoNoStages keeps "stages": [] (not null) in report.json for a
// plan without stages, as the report has always written it.
func TestPlanInfoNoStages(t *testing.T) {
	t.Parallel()
	info := planInfo(&plan.Plan{Name: "empty"})
	require.NotNil(t, info.Stages)
	assert.Empty(t, info.Stages)
}
