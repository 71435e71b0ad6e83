package report

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/metrics"
)

func TestTableByCalleeNode(t *testing.T) {
	t.Parallel()
	sum := metrics.Summary{Run: "r1", StageOrder: []string{"rr", "hash"}}
	sum.Calls = 9
	sum.CalleeNodes = map[string]metrics.CalleeNode{
		"b": {Received: 3, Answered: 3, Share: 1.0 / 3},
		"a": {Received: 4, Answered: 4, Share: 4.0 / 9},
		"c": {Received: 2, Answered: 1, Failed: 1, Share: 2.0 / 9},
	}
	sum.Imbalance = 1.0 / 3
	sum.Stages = map[string]metrics.Group{
		"rr":   {CalleeNodes: map[string]metrics.CalleeNode{"a": {Received: 1}}, Imbalance: 0},
		"hash": {CalleeNodes: map[string]metrics.CalleeNode{"a": {Received: 1}}, Imbalance: 0.5},
	}
	secs := []metrics.Second{{Index: 0, Callees: map[string]metrics.CalleeSecond{"a": {MaxActive: 4}, "c": {MaxActive: 2}}}}
	var b bytes.Buffer
	require.NoError(t, Table(New(PlanInfo{Name: "lb"}, sum, secs, nil, nil))(&b))
	out := b.String()
	assert.Contains(t, out, "By callee node: imbalance 0.333 (rr 0.000, hash 0.500)")
	assert.Regexp(t, `a\s*│\s*4\s*│\s*4\s*│\s*0\s*│\s*44.4%\s*│\s*4`, out)
	assert.Regexp(t, `c\s*│\s*2\s*│\s*1\s*│\s*1\s*│\s*22.2%\s*│\s*2`, out)

	var none bytes.Buffer
	require.NoError(t, Table(New(PlanInfo{Name: "lb"}, metrics.Summary{Run: "r2"}, nil, nil, nil))(&none))
	assert.NotContains(t, none.String(), "By callee node")
}
