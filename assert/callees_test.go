package assert

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/metrics"
)

func TestCalleeNodesCompile(t *testing.T) {
	t.Parallel()
	accepts := []string{
		`imbalance <= 0.1`,
		`callee_nodes["fs2"].share >= 0.3`,
		`callee_nodes.embedded.received > 0 && callee_nodes.fs2.failed == 0`,
		`stages.ramp.imbalance < 0.5 && stages.ramp.callee_nodes.fs2.answered > 0`,
		`flows.park.callee_nodes.fs2.share > 0.2`,
	}
	for _, src := range accepts {
		_, err := Compile(planWith(t, "  - expr: '"+src+"'\n"))
		assert.NoError(t, err, src)
	}
	for _, scoped := range []string{"{expr: imbalance <= 0.2, window: 10s}", "{expr: 'callee_nodes.fs2.share > 0.3', stage: warm}"} {
		_, err := Compile(planWith(t, "  - "+scoped+"\n"))
		assert.NoError(t, err, scoped)
	}

	tests := []struct{ src, want string }{
		{`callee_nodes["fs3"].share > 0`, "unknown field fs3 (did you mean fs2?)"},
		{`callee_nodes.fs2.shar > 0`, "unknown field shar (did you mean share?)"},
		{`imbalanc < 1`, "unknown name imbalanc (did you mean imbalance?)"},
		{`imbalance < duration("1s")`, "mismatched types"},
	}
	for _, tt := range tests {
		got := compileErr(t, "  - expr: '"+tt.src+"'\n")
		assert.Contains(t, got, tt.want, tt.src)
	}
}

func TestCalleeNodesEvaluate(t *testing.T) {
	t.Parallel()
	set, err := Compile(planWith(t, `  - expr: 'imbalance <= 0.05'
  - expr: 'callee_nodes.fs2.received == 0 && callee_nodes.fs2.share == 0'
  - expr: 'callee_nodes.embedded.share == 1'
  - {expr: 'imbalance <= 0.05', stage: ramp, name: ramp even}
  - {expr: 'imbalance >= 0.9', window: 2s}
`))
	require.NoError(t, err)
	// Every call landed on embedded: fs2 was never reached, so it reads
	// zeros and the imbalance is 2 nodes * share 1 - 1 = 1.
	g := metrics.Group{Calls: 4, CalleeNodes: map[string]metrics.CalleeNode{"embedded": {Received: 4, Share: 1}}, Imbalance: 1}
	s := summary(g)
	s.Stages = map[string]metrics.Group{"ramp": {Calls: 2}}
	secs := []metrics.Second{
		{Index: 0, Calls: 2, Callees: map[string]metrics.CalleeSecond{"embedded": {Received: 2}, "fs2": {}}},
		{Index: 1, Calls: 2, Callees: map[string]metrics.CalleeSecond{"embedded": {Received: 2}, "fs2": {}}},
	}
	vs := set.Evaluate(s, secs, nil)
	require.Len(t, vs, 5)
	assert.False(t, vs[0].Pass, "imbalance 1 fails <= 0.05")
	assert.Equal(t, "imbalance = 1", vs[0].ObservedText())
	assert.True(t, vs[1].Pass, "a node no call reached reads zeros: %s %s", vs[1].Error, vs[1].ObservedText())
	assert.True(t, vs[2].Pass, vs[2].ObservedText())
	assert.True(t, vs[3].Pass, "a stage without callee figures reads zero imbalance: %s", vs[3].Error)
	assert.True(t, vs[4].Pass, "window imbalance from the series: %s", vs[4].ObservedText())
}
