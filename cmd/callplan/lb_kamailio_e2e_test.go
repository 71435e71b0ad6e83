//go:build e2e

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/internal/peertest"
	"github.com/callplan/callplan/report"
)

// startKamailio runs scenarios/sut/kamailio-lb.cfg on a free loopback
// port with a dispatcher list naming the callee ports; it is stopped (its
// whole process group) when the test ends.
func startKamailio(t *testing.T, callees map[string]int) int {
	t.Helper()
	cfg, err := filepath.Abs("../../scenarios/sut/kamailio-lb.cfg")
	require.NoError(t, err)
	var list strings.Builder
	for _, name := range []string{"callee-a", "callee-b", "callee-c"} {
		fmt.Fprintf(&list, "1 sip:127.0.0.1:%d 0 0 duid=%s;maxload=0\n", callees[name], name)
	}
	dsList := filepath.Join(t.TempDir(), "dispatcher.list")
	require.NoError(t, os.WriteFile(dsList, []byte(list.String()), 0o644))
	port := peertest.FreePort(t)
	p := peertest.Start(t, "kamailio", "-f", cfg, "-DD", "-E", "-m", "64", "-M", "8",
		"-l", "udp:127.0.0.1:"+strconv.Itoa(port), "-A", `DS_LIST="`+dsList+`"`)
	p.WaitBound(t, "udp", port)
	return port
}

// TestE2EKamailioDispatcher runs scenarios/lb-kamailio.yaml against a real
// Kamailio: round robin must be even (imbalance <= 0.05), hash over
// Call-ID shows how uneven chance makes it (logged), and when callee-b's
// profile stops mid-stage the failures stay within the plan's bound, the
// two nodes left share the calls evenly, and callee-b takes calls again
// once it is back.
func TestE2EKamailioDispatcher(t *testing.T) {
	callees := map[string]int{}
	env := map[string]string{}
	for _, n := range []string{"callee-a", "callee-b", "callee-c"} {
		callees[n] = peertest.FreePort(t)
		env["LB_"+strings.ToUpper(strings.ReplaceAll(n, "-", "_"))+"_PORT"] = strconv.Itoa(callees[n])
	}
	env["LB_KAMAILIO_PORT"] = strconv.Itoa(startKamailio(t, callees))

	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"run", "../../scenarios/lb-kamailio.yaml", "--out", dir, "--progress-every", "5s"}, Env{
		Stdout: &out, Stderr: &errb,
		Getenv:  func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Environ: func() []string { return nil },
	})
	t.Logf("callplan run:\n%s\n%s", errb.String(), out.String())
	r, err := report.Read(dir)
	require.NoError(t, err)
	s := r.Summary
	for _, st := range s.StageOrder {
		g := s.Stages[st]
		t.Logf("stage %-12s imbalance %.3f  received a/b/c %d/%d/%d  failed %d", st, g.Imbalance,
			g.CalleeNodes["callee-a"].Received, g.CalleeNodes["callee-b"].Received, g.CalleeNodes["callee-c"].Received, g.Failed)
	}
	require.Equal(t, ExitPassed, code, "every assertion of the plan holds")

	rr, hash := s.Stages["round-robin"], s.Stages["hash-callid"]
	assert.LessOrEqual(t, rr.Imbalance, 0.05)
	assert.GreaterOrEqual(t, hash.Imbalance, rr.Imbalance, "hashing is never more even than strict rotation")
	t.Logf("hash over Call-ID: imbalance %.3f against round robin's %.3f: the stateless unevenness the talk warns of", hash.Imbalance, rr.Imbalance)

	// The fault, and what the seconds say around it.
	require.Len(t, s.Faults, 2)
	down, up := s.Faults[0].Second, s.Faults[1].Second
	var during, after map[string]int64 = map[string]int64{}, map[string]int64{}
	for _, sec := range r.Seconds {
		m := after
		switch {
		case sec.Index > down+3 && sec.Index < up: // Kamailio has marked b down
			m = during
		case sec.Index <= up+2:
			continue
		}
		for k, c := range sec.Callees {
			m[k] += c.Received
		}
	}
	assert.Zero(t, during["callee-b"], "no call reaches the stopped node once it is marked down")
	a, c := float64(during["callee-a"]), float64(during["callee-c"])
	require.Positive(t, a+c)
	assert.InDelta(t, 0.5, a/(a+c), 0.1, "the nodes left share evenly: a %v, c %v", a, c)
	assert.Positive(t, after["callee-b"], "callee-b takes calls again after it is started")
	assert.LessOrEqual(t, s.Stages["failover"].Failed, int64(10))
}
