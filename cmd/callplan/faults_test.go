package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/metrics"
	"github.com/callplan/callplan/plan"
)

// freeUDPPort is a loopback port nothing listened on a moment ago.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

// faultPlan is a caller agent calling a callee agent directly, with the
// given faults on the callee.
func faultPlan(t *testing.T, hold, faults string) string {
	t.Helper()
	port := freeUDPPort(t)
	src := fmt.Sprintf(`name: faults
nodes:
  - {uri: embedded, name: gen, role: caller}
  - {uri: embedded, name: b, role: callee, sip_port: %d}
originate:
  destination: lb@127.0.0.1:%d
  timeout: 2s
stages:
  - {name: s, duration: 4s, rate: 5, hold: %s, limit: 50}
faults:
%s
assertions:
  - expr: callee_nodes.b.received > 0
`, port, port, hold, faults)
	path := filepath.Join(t.TempDir(), "faults.yaml")
	require.NoError(t, os.WriteFile(path, []byte(src), 0o644))
	return path
}

func readCDR(t *testing.T, dir string) []metrics.Record {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, metrics.CDRJSONLFile))
	require.NoError(t, err)
	var out []metrics.Record
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var r metrics.Record
		require.NoError(t, json.Unmarshal([]byte(line), &r))
		out = append(out, r)
	}
	return out
}

func readSummary(t *testing.T, dir string) metrics.Summary {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	require.NoError(t, err)
	var s metrics.Summary
	require.NoError(t, json.Unmarshal(b, &s))
	return s
}

// The callee answers 503 from 1 s to 2.5 s of the run: the calls placed
// then fail with 503 and no other does; the faults are marked on the
// time axis; the node stays a healthy generator.
func TestRunFaultRejectWindow(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, out, errOut := runCLI(t, "run", faultPlan(t, "200ms", "  - {at: 1s, node: b, action: reject, code: 503, for: 1500ms}"), "--out", dir, "--no-smoke-call")
	require.Equal(t, ExitPassed, code, "stdout %s\nstderr %s", out, errOut)
	assert.Regexp(t, `callplan: fault at 1(\.\d+)?s: b reject 503`, errOut)
	s := readSummary(t, dir)
	require.Len(t, s.Faults, 2)
	assert.Equal(t, []string{"reject", "heal"}, []string{s.Faults[0].Action, s.Faults[1].Action})
	assert.Equal(t, "503", s.Faults[0].Detail)
	assert.Equal(t, 1, s.Faults[0].Second)
	// Scheduled at the run clock's 1 s and 2.5 s; a loaded machine may
	// apply either late, so only the order and a rough gap are checked.
	assert.Greater(t, s.Faults[1].At-s.Faults[0].At, 500*time.Millisecond)
	assert.Equal(t, int64(20), s.Calls)
	// Every refused call was placed while the fault was on (give or take
	// the INVITE's trip), and each never reached the callee node; every
	// call placed well outside the window was answered there.
	refused := s.SIP["503"]
	assert.Positive(t, refused, "sip %v", s.SIP)
	assert.Equal(t, s.Calls-refused, s.CalleeNodes["b"].Received)
	assert.GreaterOrEqual(t, s.Failed, refused)
	from, to := s.Started.Add(s.Faults[0].At), s.Started.Add(s.Faults[1].At)
	for _, r := range readCDR(t, dir) {
		switch {
		case r.SIPStatus == 503:
			assert.True(t, r.OriginateSent.After(from.Add(-time.Second)) && r.OriginateSent.Before(to), "refused call %s sent at %s, fault from %s to %s", r.Call, r.OriginateSent, from, to)
		case r.OriginateSent.Before(from.Add(-time.Second)) || r.OriginateSent.After(to.Add(time.Second)):
			assert.Equal(t, "b", r.CalleeNode, "call %s outside the fault", r.Call)
		}
	}
	assert.True(t, s.Healthy(), "a planned fault is not a generator problem: %+v", s.Generators)
}

// The callee's profile is stopped at 1 s and started 1.5 s later: the
// calls up on it are cut off (SYSTEM_SHUTDOWN), INVITEs sent meanwhile
// are retransmitted into a closed port, and once it is back it takes calls
// again (the late INVITEs among them).
func TestRunFaultStopAndStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, out, errOut := runCLI(t, "run", faultPlan(t, "1s", "  - {at: 1s, node: b, action: stop, for: 1500ms}"), "--out", dir, "--no-smoke-call")
	require.Equal(t, ExitPassed, code, "stdout %s\nstderr %s", out, errOut)
	s := readSummary(t, dir)
	require.Len(t, s.Faults, 2)
	assert.Equal(t, []string{"stop", "start"}, []string{s.Faults[0].Action, s.Faults[1].Action})
	assert.Empty(t, s.Faults[0].Error)
	assert.Positive(t, s.Failed, "calls up on b when it stopped are cut off")
	// A call whose hold was just ending when b stopped may still end ok;
	// the others up on b are cut off.
	var cut int
	for _, r := range readCDR(t, dir) {
		if r.CalleeCause == "SYSTEM_SHUTDOWN" && r.Outcome == metrics.OutcomeFailed {
			cut++
		}
	}
	assert.Positive(t, cut, "a call up on b is cut off with SYSTEM_SHUTDOWN on b's side")
	assert.True(t, s.Healthy(), "%+v", s.Generators)
	var before, after int64
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	require.NoError(t, err)
	var r struct {
		Seconds []metrics.Second `json:"seconds"`
	}
	require.NoError(t, json.Unmarshal(b, &r))
	for _, sec := range r.Seconds {
		switch {
		case sec.Index < 1:
			before += sec.Callees["b"].Received
		case sec.Index >= 3:
			after += sec.Callees["b"].Received
		}
	}
	assert.Positive(t, before, "b took calls before the stop")
	assert.Positive(t, after, "b takes calls again after the start")
}

func TestFaultSchedule(t *testing.T) {
	t.Parallel()
	evs := faultSchedule([]plan.Fault{
		{At: plan.Duration(5 * time.Second), Node: "a", Action: plan.FaultSlow, Delay: plan.Duration(time.Second), For: plan.Duration(10 * time.Second)},
		{At: plan.Duration(2 * time.Second), Node: "b", Action: plan.FaultStop, For: plan.Duration(time.Second)},
		{At: plan.Duration(7 * time.Second), Node: "b", Action: plan.FaultReject, Code: 486},
	})
	var got []string
	for _, e := range evs {
		got = append(got, fmt.Sprintf("%s %s %s %s", e.at, e.node, e.fault.Kind, e.detail))
	}
	assert.Equal(t, []string{"2s b stop ", "3s b start ", "5s a slow 1s", "7s b reject 486", "15s a heal "}, got)
}
