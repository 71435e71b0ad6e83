//go:build e2e

package runner

import (
	"context"
	"encoding/csv"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/agent"
	"github.com/callplan/callplan/metrics"
)

// End-to-end tests: the runner against embedded agents placing real SIP
// calls over loopback.

func testAgent(t *testing.T, cfg agent.Config) *agent.Agent {
	t.Helper()
	if cfg.ESLAddr == "" {
		cfg.ESLAddr = "127.0.0.1:0"
	}
	if cfg.SIPAddr == "" {
		cfg.SIPAddr = "127.0.0.1:0"
	}
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = 500 * time.Millisecond
	}
	if cfg.SPS == 0 {
		cfg.SPS = 100000
	}
	a, err := agent.New(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, a.Start(ctx))
	t.Cleanup(func() { cancel(); _ = a.Close() })
	return a
}

func agentNode(t *testing.T, a *agent.Agent, name string) NodeSpec {
	t.Helper()
	conn, err := DialESL(context.Background(), a.Addr(), "ClueCon")
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	_, err = Preflight(context.Background(), name, conn, Check{Profile: "external"})
	require.NoError(t, err)
	return NodeSpec{Name: name, Driver: conn, Caller: true, Callee: true, SIPHost: a.SIPAddr(), InProcess: true}
}

func e2eConfig(t *testing.T, run string, nodes ...NodeSpec) Config {
	cfg := baseConfig(t, run, nodes...)
	cfg.Dial = dialTo(nil, 5*time.Second)
	cfg.OriginateTimeout = 5 * time.Second
	return cfg
}

func TestE2ESmoke(t *testing.T) {
	t.Parallel()
	a := testAgent(t, agent.Config{})
	cfg := e2eConfig(t, "smoke", agentNode(t, a, "embedded"))
	cfg.SmokeCall = true
	cfg.Stages = []Stage{{Name: "steady", Duration: 2 * time.Second, From: 5, To: 5, Hold: 300 * time.Millisecond, Limit: 20}}
	res, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	s := res.Summary
	assert.Equal(t, int64(10), s.Calls)
	assert.Equal(t, int64(10), s.OK, "reasons %v", s.Reasons)
	assert.Equal(t, 1.0, s.ASR)
	assert.Equal(t, int64(10), s.SetupLatency.Count)
	assert.InDelta(t, float64(300*time.Millisecond), float64(s.Duration.P50), float64(100*time.Millisecond))
}

func TestE2EMixedFlowsRamp(t *testing.T) {
	t.Parallel()
	a := testAgent(t, agent.Config{})
	cfg := e2eConfig(t, "mixed", agentNode(t, a, "embedded"))
	cfg.Flows = []FlowMix{
		{Name: "park", Flow: mustFlow(t, "park", nil), Weight: 3},
		{Name: "busy", Flow: mustFlow(t, "reject", nil), Weight: 1},
		{Name: "declined", Flow: mustFlow(t, "reject", map[string]string{"cause": "CALL_REJECTED"}), Weight: 1},
		{Name: "ring", Flow: mustFlow(t, "ringback", map[string]string{"ring_for": "300ms"}), Weight: 1},
		{Name: "early", Flow: mustFlow(t, "ringback", map[string]string{"ring_for": "300ms", "mode": "pre_answer"}), Weight: 1},
		{Name: "cancel", Flow: mustFlow(t, "ringback", map[string]string{"ring_for": "300ms", "then": "caller_hangup"}), Weight: 1},
	}
	// 0 → 32/s over 2 s: exactly 32 calls, 4 per unit of weight.
	cfg.Stages = []Stage{{Name: "ramp", Duration: 2 * time.Second, From: 0, To: 32, Hold: 200 * time.Millisecond}}
	res, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	s := res.Summary
	assert.Equal(t, int64(32), s.Calls)
	for name, want := range map[string]int64{"park": 12, "busy": 4, "declined": 4, "ring": 4, "early": 4, "cancel": 4} {
		g := s.Flows[name]
		assert.Equal(t, want, g.Calls, "flow %s calls", name)
		assert.Equal(t, want, g.OK, "flow %s ok; reasons %v causes %v sip %v", name, g.Reasons, g.Causes, g.SIP)
	}
	assert.Equal(t, int64(4), s.Flows["busy"].SIP["486"])
	assert.Equal(t, int64(4), s.Flows["declined"].Causes["CALL_REJECTED"])
	assert.Equal(t, int64(0), s.Flows["ring"].Counters["no_ringback"])
	assert.Equal(t, int64(4), s.Flows["ring"].PDD.Count)
	assert.Greater(t, s.Flows["ring"].AnswerLatency.P50, 250*time.Millisecond, "answered after ringing")
}

func TestE2ELimitAndMaxCalls(t *testing.T) {
	t.Parallel()
	a := testAgent(t, agent.Config{})
	cfg := e2eConfig(t, "limit", agentNode(t, a, "embedded"))
	cfg.MaxCalls = 25
	cfg.Stages = []Stage{
		{Name: "full", Duration: time.Second, From: 30, To: 30, Hold: 2 * time.Second, Limit: 5},
		{Name: "capped", Duration: 2 * time.Second, From: 20, To: 20, Hold: 10 * time.Millisecond, MaxCalls: 8},
		{Name: "rest", Duration: 2 * time.Second, From: 20, To: 20, Hold: 10 * time.Millisecond},
	}
	res, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	s := res.Summary
	full := s.Stages["full"]
	assert.Equal(t, int64(30), full.Offered)
	assert.Equal(t, int64(5), full.Calls)
	assert.Equal(t, int64(25), full.Dropped)
	assert.LessOrEqual(t, s.Erlangs.Max, 5.0+8, "the first stage's calls never exceed its limit")
	assert.Equal(t, int64(8), s.Stages["capped"].Calls)
	assert.Equal(t, int64(12), s.Stages["rest"].Calls, "the run's max_calls (25) stops the last stage")
	assert.Equal(t, s.Calls, s.OK, "reasons %v", s.Reasons)
}

func TestE2EInterruptSparesAnotherRun(t *testing.T) {
	t.Parallel()
	a := testAgent(t, agent.Config{})
	other := e2eConfig(t, "other", agentNode(t, a, "embedded"))
	other.Stages = []Stage{{Name: "s", Duration: 500 * time.Millisecond, From: 10, To: 10, Hold: 3 * time.Second}}
	otherRes := make(chan Result, 1)
	go func() {
		res, err := Run(context.Background(), other)
		assert.NoError(t, err)
		otherRes <- res
	}()
	mine := e2eConfig(t, "mine", agentNode(t, a, "embedded"))
	mine.Stages = []Stage{{Name: "s", Duration: 30 * time.Second, From: 10, To: 10, Hold: time.Minute}}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(time.Second, cancel)
	res, err := Run(ctx, mine)
	require.NoError(t, err)
	assert.True(t, res.Interrupted)
	assert.Greater(t, res.Summary.Calls, int64(5))
	assert.Equal(t, res.Summary.Calls, res.Summary.Unknown)
	assert.Equal(t, int64(0), res.Summary.Active)

	o := <-otherRes
	assert.Equal(t, int64(5), o.Summary.Calls)
	assert.Equal(t, int64(5), o.Summary.OK, "the other run's calls were not hung up (reasons %v)", o.Summary.Reasons)
	assert.InDelta(t, float64(3*time.Second), float64(o.Summary.Duration.Min), float64(300*time.Millisecond), "held their full time")
}

// cutter is a TCP proxy in front of a node's Event Socket that can cut
// every connection and refuse new ones: to the runner the node is gone, as
// when it crashes or its network fails, while its calls go on unobserved.
type cutter struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
	cut   bool
}

func newCutter(t *testing.T, target string) *cutter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	c := &cutter{ln: ln}
	t.Cleanup(func() { ln.Close(); c.kill() })
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			c.mu.Lock()
			if c.cut {
				c.mu.Unlock()
				in.Close()
				continue
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				c.mu.Unlock()
				in.Close()
				continue
			}
			c.conns = append(c.conns, in, out)
			c.mu.Unlock()
			go func() { _, _ = io.Copy(out, in); out.Close() }()
			go func() { _, _ = io.Copy(in, out); in.Close() }()
		}
	}()
	return c
}

func (c *cutter) kill() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cut = true
	for _, nc := range c.conns {
		nc.Close()
	}
}

func TestE2ENodeKilledMidRun(t *testing.T) {
	t.Parallel()
	a, b := testAgent(t, agent.Config{}), testAgent(t, agent.Config{})
	proxy := newCutter(t, a.Addr())
	conn, err := DialESL(context.Background(), proxy.ln.Addr().String(), "ClueCon")
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	na := NodeSpec{Name: "a", Driver: conn, Caller: true, Callee: true, SIPHost: a.SIPAddr()}
	cfg := e2eConfig(t, "kill", na, agentNode(t, b, "b"))
	cfg.Stages = []Stage{{Name: "s", Duration: 2 * time.Second, From: 10, To: 10, Hold: 3 * time.Second}}
	time.AfterFunc(700*time.Millisecond, proxy.kill)
	res, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	s := res.Summary
	assert.Equal(t, int64(20), s.Calls, "the run goes on")
	assert.Equal(t, int64(1), s.Generators["a"].Disconnects)
	assert.False(t, s.Healthy())
	assert.Greater(t, s.Nodes["a"].Unknown, int64(0), "a's in-flight calls are unknown")
	assert.Equal(t, s.Nodes["b"].Calls, s.Nodes["b"].OK, "b's calls are unaffected (reasons %v)", s.Nodes["b"].Reasons)
	assert.Greater(t, s.Nodes["b"].Calls, s.Nodes["a"].Calls)
}

func TestE2ETwoAgentsAsACluster(t *testing.T) {
	t.Parallel()
	a, b := testAgent(t, agent.Config{}), testAgent(t, agent.Config{})
	na, nb := agentNode(t, a, "a"), agentNode(t, b, "b")
	cfg := e2eConfig(t, "cluster", na, nb)
	dir := t.TempDir()
	cdr, err := metrics.CreateCDR(dir)
	require.NoError(t, err)
	cfg.Collector = metrics.NewCollector("cluster", "test", metrics.WithCDR(cdr))
	// Each node calls the other: callee legs land on the other node.
	cfg.Dial = dialTo(func(o Origination) string {
		if o.Node.Name == "a" {
			return nb.SIPHost
		}
		return na.SIPHost
	}, 5*time.Second)
	cfg.Policy = PolicyLeastLoaded
	cfg.Stages = []Stage{{Name: "s", Duration: 2 * time.Second, From: 10, To: 10, Hold: 200 * time.Millisecond}}
	res, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	require.NoError(t, cdr.Close())
	s := res.Summary
	assert.Equal(t, int64(20), s.OK, "reasons %v", s.Reasons)
	assert.Greater(t, s.Nodes["a"].Calls, int64(0))
	assert.Greater(t, s.Nodes["b"].Calls, int64(0))

	f, err := os.Open(filepath.Join(dir, metrics.CDRCSVFile))
	require.NoError(t, err)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 21)
	for _, r := range rows[1:] {
		assert.NotEqual(t, r[4], r[5], "caller node %s, callee node %s", r[4], r[5])
	}
}

func TestE2ENeverAboveMaxSessions(t *testing.T) {
	t.Parallel()
	a := testAgent(t, agent.Config{MaxSessions: 6})
	n := agentNode(t, a, "small")
	conn := n.Driver.(*ESLDriver)
	facts, err := Preflight(context.Background(), "small", conn, Check{})
	require.NoError(t, err)
	n.MaxSessions = facts.MaxSessions
	cfg := e2eConfig(t, "cap", n)
	cfg.Stages = []Stage{{Name: "s", Duration: time.Second, From: 10, To: 10, Hold: 2 * time.Second}}
	res, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	s := res.Summary
	assert.Equal(t, int64(3), s.Calls, "three loop calls fill six sessions")
	assert.Equal(t, int64(7), s.Throttled)
	assert.Equal(t, int64(3), s.OK, "no call hit the node's own limit (reasons %v)", s.Reasons)
}

func TestE2EESLReconnects(t *testing.T) {
	t.Parallel()
	a := testAgent(t, agent.Config{})
	proxy := newCutter(t, a.Addr())
	conn, err := DialESL(context.Background(), proxy.ln.Addr().String(), "ClueCon")
	require.NoError(t, err)
	defer conn.Close()
	body, err := conn.API(context.Background(), "version")
	require.NoError(t, err)
	assert.Contains(t, body, "FreeSWITCH")

	// Cut the connection but let the next dial through: the client
	// reports the loss, reconnects and works again.
	proxy.mu.Lock()
	for _, nc := range proxy.conns {
		nc.Close()
	}
	proxy.conns = nil
	proxy.mu.Unlock()
	var sawDown, sawUp bool
	timeout := time.After(10 * time.Second)
	for !sawUp {
		select {
		case ev := <-conn.Events():
			sawDown = sawDown || ev.Kind == EventNodeDown
			sawUp = sawUp || ev.Kind == EventNodeUp
		case <-timeout:
			t.Fatalf("no reconnect (down seen: %v)", sawDown)
		}
	}
	assert.True(t, sawDown)
	body, err = conn.API(context.Background(), "status")
	require.NoError(t, err)
	assert.Contains(t, body, "session(s) max")
	// A refusal is an error that quotes the node's reply.
	body, err = conn.API(context.Background(), "uuid_kill no-such-uuid")
	assert.ErrorIs(t, err, ErrRefused)
	assert.Contains(t, body, "-ERR")
}

func TestE2ENoCalleeLeg(t *testing.T) {
	t.Parallel()
	// The SUT swallows the INVITE: a UDP socket that never answers.
	hole, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	defer hole.Close()
	a := testAgent(t, agent.Config{})
	cfg := e2eConfig(t, "hole", agentNode(t, a, "embedded"))
	cfg.Dial = dialTo(func(Origination) string { return hole.LocalAddr().String() }, time.Second)
	cfg.OriginateTimeout = time.Second
	cfg.Stages = []Stage{{Name: "s", Duration: 500 * time.Millisecond, From: 4, To: 4, Hold: time.Second}}
	res, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	s := res.Summary
	assert.Equal(t, int64(2), s.Calls)
	assert.Equal(t, int64(2), s.Failed)
	assert.Equal(t, map[string]int64{"no_callee_leg": 2}, s.Reasons)
	assert.True(t, s.Healthy(), "a SUT failure is not a generator failure")
}

func TestE2EGeneratorOverItsSPS(t *testing.T) {
	t.Parallel()
	// 10 legs/s is 5 loop calls/s; the plan asks for 20.
	a := testAgent(t, agent.Config{SPS: 10})
	cfg := e2eConfig(t, "sps", agentNode(t, a, "small"))
	cfg.Stages = []Stage{{Name: "s", Duration: 2 * time.Second, From: 20, To: 20, Hold: 100 * time.Millisecond}}
	res, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	s := res.Summary
	g := s.Generators["small"]
	assert.True(t, g.Saturated, "notes %v", g.Notes)
	assert.False(t, s.Healthy(), "the run must not pass on a generator's limit")
	assert.Equal(t, int64(0), s.Failed, "refusals are not the SUT's failures (reasons %v)", s.Reasons)
	assert.Greater(t, s.Throttled, int64(0), "calls are held back after a refusal")
	assert.Equal(t, s.Calls, s.OK+s.Unknown)
	assert.Greater(t, s.Unknown, int64(0), "refused calls are unknown (generator_refused)")
}
