//go:build e2e

package runner

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/agent"
)

// TestE2ESaturatedGenerator drives an agent set to a low capacity (each
// channel takes a sixth of its CPU) with calls held long enough to use it
// all. The driver's status poll sees its idle CPU at 0; after 2 s the node
// is flagged saturated, new calls are held back (throttled) and the run's
// generator health fails. The same node marked as also the SUT is
// reported saturated but healthy, and its calls are not held back.
func TestE2ESaturatedGenerator(t *testing.T) {
	t.Parallel()
	for _, sut := range []bool{false, true} {
		t.Run(map[bool]string{false: "generator", true: "sut"}[sut], func(t *testing.T) {
			t.Parallel()
			a := testAgent(t, agent.Config{Capacity: 6})
			spec := agentNode(t, a, "small")
			spec.SUT = sut
			spec.InProcess = false // judged by the idle CPU its Capacity simulates
			cfg := e2eConfig(t, "saturate", spec)
			cfg.Stages = []Stage{{Name: "s", Duration: 6 * time.Second, From: 4, To: 4, Hold: 3 * time.Second}}
			res, err := Run(context.Background(), cfg)
			require.NoError(t, err)
			s := res.Summary
			g := s.Generators["small"]
			assert.True(t, g.Saturated, "%+v", g)
			assert.Equal(t, 0.0, g.MinIdleCPU)
			assert.Equal(t, sut, g.SUT)
			assert.Equal(t, sut, s.Healthy(), "saturation fails generator health unless the node is the SUT")
			require.NotEmpty(t, g.Notes)
			assert.Contains(t, g.Notes[len(g.Notes)-1], "idle CPU under 10% for 2s")
			if sut {
				assert.Zero(t, s.Throttled, "the SUT's calls are not held back")
				assert.Equal(t, int64(24), s.Calls)
			} else {
				assert.Positive(t, s.Throttled, "calls held back from the saturated node")
				assert.Equal(t, s.Offered, s.Calls+s.Throttled+s.Dropped)
			}
		})
	}
}
