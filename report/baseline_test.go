package report

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func deltaOf(t *testing.T, c *Comparison, metric string) Delta {
	t.Helper()
	for _, d := range c.Deltas {
		if d.Metric == metric {
			return d
		}
	}
	require.Failf(t, "no delta", "metric %s", metric)
	return Delta{}
}

// TestCompareFloor: a relative change on a small figure is noise unless
// it also exceeds the metric's absolute floor.
func TestCompareFloor(t *testing.T) {
	t.Parallel()
	base, cur := fixture(t, "pass"), fixture(t, "pass")
	base.Summary.PDD.P95 = 800 * time.Microsecond
	cur.Summary.PDD.P95 = 968 * time.Microsecond // +21%
	c := Compare(base, cur, 0.10)
	d := deltaOf(t, c, "pdd.p95")
	assert.Equal(t, "+21.0%", d.ChangeText)
	assert.False(t, d.Regressed, "0.17 ms is under the 20 ms floor")
	assert.Equal(t, 20.0, d.Floor)

	// The floor can be lowered: then the same change regresses.
	assert.True(t, deltaOf(t, CompareFloors(base, cur, 0.10, map[string]float64{"pdd.p95": 0.1}), "pdd.p95").Regressed)

	// Past the floor and the tolerance both: a regression.
	cur.Summary.PDD.P95 = 40 * time.Millisecond
	assert.True(t, deltaOf(t, Compare(base, cur, 0.10), "pdd.p95").Regressed)

	// ASR: 99.8% to 99.5% is -0.3%, within half a point.
	base.Summary.ASR, cur.Summary.ASR = 0.998, 0.995
	assert.False(t, deltaOf(t, Compare(base, cur, 0), "asr").Regressed)
	cur.Summary.ASR = 0.99
	assert.True(t, deltaOf(t, Compare(base, cur, 0), "asr").Regressed)
}

// TestComparePlanWarning: runs of different plans, or of the same plan
// with other stages, are compared with a warning.
func TestComparePlanWarning(t *testing.T) {
	t.Parallel()
	base, cur := fixture(t, "pass"), fixture(t, "pass")
	assert.Empty(t, Compare(base, cur, 0.1).Warnings)

	cur.Plan.Stages = append([]StageInfo(nil), cur.Plan.Stages...)
	cur.Plan.Stages[0].RateTo *= 2
	assert.Equal(t, []string{`plan "smoke-pass" had different stages in the baseline run: the loads differ`}, Compare(base, cur, 0.1).Warnings)

	cur.Plan.Name = "soak"
	c := Compare(base, cur, 0.1)
	assert.Equal(t, []string{`the runs come from different plans: baseline "smoke-pass", this run "soak"`}, c.Warnings)
	cur.Baseline = c
	assert.Contains(t, render(t, Table(cur)), "warning: the runs come from different plans")
	assert.Contains(t, render(t, HTML(cur)), `<p class="reason">warning: the runs come from different plans: baseline &#34;smoke-pass&#34;`)
}

// TestCompareQuality: MOS and loss are compared when both runs had media,
// shown but not judged when one had none, and left out when neither did.
func TestCompareQuality(t *testing.T) {
	t.Parallel()
	base, cur := fixture(t, "media"), fixture(t, "media")
	c := Compare(base, cur, 0.10)
	assert.False(t, c.Regressed())
	assert.Equal(t, "3.81", deltaOf(t, c, "mos.p5").NewText)

	// MOS p5 4.41 → 3.92 is -11 %, past 0.1: a regression; 4.41 → 4.35
	// is within the floor.
	base.Summary.MOS.P5, cur.Summary.MOS.P5 = 4.41, 3.92
	assert.True(t, deltaOf(t, Compare(base, cur, 0.10), "mos.p5").Regressed)
	cur.Summary.MOS.P5 = 4.35
	assert.False(t, deltaOf(t, Compare(base, cur, 0), "mos.p5").Regressed)

	// Loss appearing where there was none regresses past half a point.
	base.Summary.Loss.P95, cur.Summary.Loss.P95 = 0, 0.004
	assert.False(t, deltaOf(t, Compare(base, cur, 0.10), "loss.p95").Regressed)
	cur.Summary.Loss.P95 = 0.05
	d := deltaOf(t, Compare(base, cur, 0.10), "loss.p95")
	assert.True(t, d.Regressed)
	assert.Equal(t, "5.00%", d.NewText)

	// One run without media: shown, not judged.
	quiet := fixture(t, "pass")
	d = deltaOf(t, Compare(quiet, cur, 0.10), "mos.p5")
	assert.False(t, d.Regressed)
	// Neither: not compared at all.
	for _, d := range Compare(quiet, fixture(t, "pass"), 0.10).Deltas {
		assert.NotContains(t, []string{"mos.p5", "loss.p95"}, d.Metric)
	}
}
