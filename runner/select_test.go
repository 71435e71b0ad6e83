package runner

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testNodes(specs ...NodeSpec) []*node {
	ns := make([]*node, len(specs))
	for i, s := range specs {
		s.Caller = true
		ns[i] = newNode(i, s)
	}
	return ns
}

// picks runs n selections, each call taking its legs on the node.
func picks(s *selector, nodes []*node, n int) map[string]int {
	got := map[string]int{}
	for range n {
		p := s.pick(nodes)
		if p == nil {
			got["<none>"]++
			continue
		}
		p.legs += p.legsPerCall()
		got[p.Name]++
	}
	return got
}

func TestSelectorPolicies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		policy string
		specs  []NodeSpec
		n      int
		want   map[string]int
	}{
		{PolicyRoundRobin, []NodeSpec{{Name: "a"}, {Name: "b"}, {Name: "c"}}, 9, map[string]int{"a": 3, "b": 3, "c": 3}},
		{PolicyWeighted, []NodeSpec{{Name: "a", Weight: 3}, {Name: "b", Weight: 1}}, 8, map[string]int{"a": 6, "b": 2}},
		{PolicyWeighted, []NodeSpec{{Name: "a", Weight: 5}, {Name: "b", Weight: 3}, {Name: "c", Weight: 2}}, 100, map[string]int{"a": 50, "b": 30, "c": 20}},
		// least_loaded fills the emptier node first, then shares evenly.
		{PolicyLeastLoaded, []NodeSpec{{Name: "a"}, {Name: "b"}}, 10, map[string]int{"a": 5, "b": 5}},
		// Never above max_sessions (one leg per call here: calls do not
		// come back to these nodes); then nothing can take a call.
		{PolicyRoundRobin, []NodeSpec{{Name: "a", MaxSessions: 2}, {Name: "b", MaxSessions: 1}}, 5, map[string]int{"a": 2, "b": 1, "<none>": 2}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.policy, len(tt.specs)), func(t *testing.T) {
			t.Parallel()
			nodes := testNodes(tt.specs...)
			got := picks(newSelector(tt.policy, nodes), nodes, tt.n)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestLeastLoadedCountsHeartbeatLoad(t *testing.T) {
	t.Parallel()
	nodes := testNodes(NodeSpec{Name: "busy"}, NodeSpec{Name: "idle"})
	nodes[0].hbSessions = 10 // other traffic on the node
	got := picks(newSelector(PolicyLeastLoaded, nodes), nodes, 4)
	assert.Equal(t, map[string]int{"idle": 4}, got)
}

func TestSelectorSkipsDownAndSaturatedNodes(t *testing.T) {
	t.Parallel()
	nodes := testNodes(NodeSpec{Name: "a"}, NodeSpec{Name: "b"}, NodeSpec{Name: "c"})
	nodes[0].up = false
	nodes[1].saturated = true
	for _, policy := range []string{PolicyRoundRobin, PolicyWeighted, PolicyLeastLoaded} {
		got := picks(newSelector(policy, nodes), nodes, 3)
		assert.Equal(t, map[string]int{"c": 3}, got, policy)
	}
	nodes[2].Caller = false // a callee-only node never originates
	assert.Nil(t, newSelector(PolicyRoundRobin, nodes).pick(nodes))
}

func TestSmoothWRRSpreadsPicks(t *testing.T) {
	t.Parallel()
	s := newSmoothWRR([]int{5, 1, 1})
	var seq strings.Builder
	for range 7 {
		seq.WriteString(string(rune('a' + s.next(func(int) bool { return true }))))
	}
	// nginx's example: {a:5, b:1, c:1} gives a a b a c a a.
	assert.Equal(t, "aabacaa", seq.String())
}

func TestHoldSource(t *testing.T) {
	t.Parallel()
	fixed := newHoldSource(2*time.Second, false, 1)
	assert.Equal(t, 2*time.Second, fixed.next())
	exp := newHoldSource(time.Second, true, 1)
	var sum time.Duration
	const n = 20000
	for range n {
		sum += exp.next()
	}
	assert.InDelta(t, float64(time.Second), float64(sum/n), float64(30*time.Millisecond), "mean of exponential holds")
	a, b := newHoldSource(time.Second, true, 7), newHoldSource(time.Second, true, 7)
	assert.Equal(t, a.next(), b.next(), "seeded")
}

func TestProgressLine(t *testing.T) {
	t.Parallel()
	p := Progress{Stage: "steady", Elapsed: 12500 * time.Millisecond, Total: time.Minute, TargetCPS: 10, AchievedCPS: 9,
		Active: 40, Calls: 120, Answered: 118, Failed: 2, Dropped: 1, Saturated: []string{"fs1"}}
	assert.Equal(t, "steady 12s/1m0s cps 9.0/10.0 active 40 calls 120 answered 118 failed 2 dropped 1 saturated: fs1", p.Line())
}

func TestRandomFlowChoice(t *testing.T) {
	t.Parallel()
	r := newRandomChoice([]int{3, 1}, 42)
	counts := [2]int{}
	var first []int
	for i := range 40000 {
		k := r.next()
		counts[k]++
		if i < 20 {
			first = append(first, k)
		}
	}
	assert.InDelta(t, 30000, counts[0], 600, "in proportion to the weights")
	again := newRandomChoice([]int{3, 1}, 42)
	for i, want := range first {
		assert.Equal(t, want, again.next(), "pick %d with the same seed", i)
	}
}

func TestRunRandomFlowsBySeed(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		run := func(seed uint64) map[string]int64 {
			cl := newFakeCluster(t)
			cfg := baseConfig(t, "r", cl.node("a").spec())
			cfg.RandomFlows, cfg.Seed = true, seed
			cfg.Flows = []FlowMix{{Name: "x", Flow: mustFlow(t, "park", nil), Weight: 1}, {Name: "y", Flow: mustFlow(t, "park", nil), Weight: 1}}
			cfg.Stages = []Stage{{Name: "s", Duration: 500 * time.Millisecond, From: 40, To: 40, Hold: time.Millisecond}}
			res, err := Run(context.Background(), cfg)
			require.NoError(t, err)
			return map[string]int64{"x": res.Summary.Flows["x"].Calls, "y": res.Summary.Flows["y"].Calls}
		}
		a, b := run(5), run(5)
		assert.Equal(t, a, b, "same seed, same flows")
		assert.Equal(t, int64(20), a["x"]+a["y"])
	})
}

// A heartbeat's Session-Count counts this run's own legs too, and it is
// old by the time it is used: only the sessions beyond the run's legs at
// that moment are added, so a node whose calls just ended is not held
// back by a stale figure.
func TestLeastLoadedHeartbeatIsNotStale(t *testing.T) {
	t.Parallel()
	nodes := testNodes(NodeSpec{Name: "a"}, NodeSpec{Name: "b"})
	for _, n := range nodes {
		n.legs = 10
		n.hbSessions, n.hbOwn = 10, 10 // the heartbeat saw only our legs
	}
	nodes[0].legs = 2 // a's calls ended since
	nodes[1].legs = 6
	assert.Equal(t, 2, nodes[0].load())
	got := picks(newSelector(PolicyLeastLoaded, nodes), nodes, 1)
	assert.Equal(t, map[string]int{"a": 1}, got)

	nodes[1].hbSessions = 14 // b carries 4 sessions of someone else's
	assert.Equal(t, 10, nodes[1].load())
}
