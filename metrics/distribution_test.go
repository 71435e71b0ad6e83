package metrics

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestImbalance(t *testing.T) {
	t.Parallel()
	nodes := func(received ...int64) map[string]CalleeNode {
		m := map[string]CalleeNode{}
		for i, r := range received {
			m[fmt.Sprintf("n%d", i)] = CalleeNode{Received: r}
		}
		return m
	}
	tests := []struct {
		name     string
		received []int64
		want     float64
	}{
		{"even", []int64{10, 10, 10}, 0},
		{"one busier by half the mean", []int64{15, 10, 5}, 0.5},
		{"all on one of three", []int64{30, 0, 0}, 2},
		{"one node never reached", []int64{10, 10, 0}, 0.5},
		{"nothing received", []int64{0, 0, 0}, 0},
		{"no nodes", nil, 0},
		{"single node", []int64{7}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Imbalance(nodes(tt.received...))
			assert.InDelta(t, tt.want, got, 1e-9, "Imbalance(%v)", tt.received)
		})
	}
}

// landed builds a record of a call whose callee leg arrived on callee.
func landed(id, stage, callee string, out Outcome) *Record {
	r := &Record{Call: id, Stage: stage, Flow: "park", CallerNode: "gen", CalleeNode: callee, Outcome: out}
	if out == OutcomeOK {
		r.CallerAnswer = t0
	}
	return r
}

func TestCollectorDistributionPerCalleeNode(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{}
	clk.Set(0)
	var nodeCSV bytes.Buffer
	c := NewCollector("r", "p", WithClock(clk.Now), WithCalleeNodes("a", "b", "c"), WithNodeSeries(&nodeCSV))
	c.SetStage("one")
	// Stage one: 4 calls, a gets 3, b gets 1, c none; one of a's fails.
	calls := []*Record{
		landed("1", "one", "a", OutcomeOK), landed("2", "one", "a", OutcomeOK),
		landed("3", "one", "b", OutcomeOK), landed("4", "one", "a", OutcomeFailed),
	}
	for _, r := range calls {
		c.Originated("one", "park", "gen")
		c.Landed(r)
		c.Landed(r) // a repeated landing counts once
	}
	c.Heartbeat("a", Heartbeat{SessionCount: 3, MaxSessions: 100, IdleCPU: 97.5})
	clk.Set(1500 * time.Millisecond)
	for _, r := range calls {
		require.NoError(t, c.End(r))
	}
	// Stage two: 3 calls, one per node, counted at End only (no Landed).
	c.SetStage("two")
	for i, n := range []string{"a", "b", "c"} {
		c.Originated("two", "park", "gen")
		require.NoError(t, c.End(landed(fmt.Sprint(10+i), "two", n, OutcomeOK)))
	}
	// A call that never reached a callee node is not in the distribution.
	c.Originated("two", "park", "gen")
	require.NoError(t, c.End(&Record{Call: "x", Stage: "two", Flow: "park", CallerNode: "gen", Outcome: OutcomeFailed, Reason: NameNoCallee}))
	clk.Set(2500 * time.Millisecond)
	s, err := c.Close()
	require.NoError(t, err)

	want := map[string]CalleeNode{
		"a": {Received: 4, Answered: 3, Failed: 1, Share: 4.0 / 7},
		"b": {Received: 2, Answered: 2, Share: 2.0 / 7},
		"c": {Received: 1, Answered: 1, Share: 1.0 / 7},
	}
	assertNodes(t, want, s.CalleeNodes)
	assert.InDelta(t, 4.0*3/7-1, s.Imbalance, 1e-9, "run imbalance")
	assertNodes(t, map[string]CalleeNode{
		"a": {Received: 3, Answered: 2, Failed: 1, Share: 0.75},
		"b": {Received: 1, Answered: 1, Share: 0.25},
		"c": {},
	}, s.Stages["one"].CalleeNodes)
	assert.InDelta(t, 1.25, s.Stages["one"].Imbalance, 1e-9, "stage one: 0.75 / (1/3) - 1")
	assert.InDelta(t, 0, s.Stages["two"].Imbalance, 1e-9, "stage two is even")
	assert.InDelta(t, 4.0*3/7-1, s.Nodes["gen"].Imbalance, 1e-9, "caller node scope sees every call")

	secs := c.Seconds()
	require.Len(t, secs, 3)
	assert.Equal(t, CalleeSecond{Received: 3, Active: 3, MaxActive: 3}, secs[0].Callees["a"], "second 0: a carries its three calls")
	assert.Equal(t, CalleeSecond{}, secs[0].Callees["c"], "a declared node reads zeros")
	assert.Equal(t, Heartbeat{SessionCount: 3, MaxSessions: 100, IdleCPU: 97.5}, secs[0].Heartbeats["a"])
	assert.Equal(t, CalleeSecond{Received: 1, Answered: 3, Failed: 1, MaxActive: 3}, secs[1].Callees["a"], "second 1: a's calls end")
	assert.Equal(t, int64(3), secs[0].Node("gen").Callees["a"].Received, "the caller node's share of the second")

	w := Window(secs[:1])
	assert.InDelta(t, 1.25, w.Imbalance, 1e-9, "window of second 0")
	assert.Equal(t, int64(0), w.CalleeNodes["c"].Received)
	assert.InDelta(t, s.Imbalance, Window(secs).Imbalance, 1e-9, "the whole series")

	rows, err := csv.NewReader(&nodeCSV).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, nodeSeriesHeader, rows[0])
	assert.Equal(t, []string{"0", "one", "a", "3", "0", "0", "3", "3", "100", "97.5"}, rows[1])
	assert.Equal(t, []string{"0", "one", "c", "0", "0", "0", "0", "", "", ""}, rows[3])
	assert.Len(t, rows, 1+3*3, "one row per declared node per second")
}

func TestCollectorDistributionUndeclaredNode(t *testing.T) {
	t.Parallel()
	c := NewCollector("r", "p")
	c.Originated("s", "f", "n")
	require.NoError(t, c.End(landed("1", "s", "elsewhere", OutcomeOK)))
	s, err := c.Close()
	require.NoError(t, err)
	assertNodes(t, map[string]CalleeNode{"elsewhere": {Received: 1, Answered: 1, Share: 1}}, s.CalleeNodes)
	assert.Zero(t, s.Imbalance)
}

func assertNodes(t *testing.T, want, got map[string]CalleeNode) {
	t.Helper()
	require.Len(t, got, len(want))
	for k, w := range want {
		g := got[k]
		assert.InDelta(t, w.Share, g.Share, 1e-9, "%s share", k)
		w.Share, g.Share = 0, 0
		assert.Equal(t, w, g, "node %s", k)
	}
}

func TestCollectorMarkFault(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{}
	clk.Set(0)
	c := NewCollector("r", "p", WithClock(clk.Now))
	clk.Set(2500 * time.Millisecond)
	m := c.MarkFault("b", "reject", "503", nil)
	assert.Equal(t, FaultMark{At: 2500 * time.Millisecond, Second: 2, Node: "b", Action: "reject", Detail: "503"}, m)
	clk.Set(3 * time.Second)
	c.MarkFault("c", "stop", "", fmt.Errorf("no agent"))
	s, err := c.Close()
	require.NoError(t, err)
	require.Len(t, s.Faults, 2)
	assert.Equal(t, "no agent", s.Faults[1].Error)
	assert.Len(t, c.Seconds(), 4, "marking rolls the series up to the fault")
}
