package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/esl/esltest"
	"github.com/callplan/callplan/plan"
	"github.com/callplan/callplan/runner"
)

// statusDefaults is `status` as FreeSWITCH 1.10.12 answers it
// (esl/testdata/fixtures 10a), with its default limits: sps 30, 1000
// sessions, no min-idle-cpu.
const statusDefaults = "UP 0 years, 0 days, 0 hours, 2 minutes, 11 seconds, 88 milliseconds, 367 microseconds\n" +
	"FreeSWITCH (Version 1.10.12-release  64bit) is ready\n37 session(s) since startup\n0 session(s) - peak 6, last 5min 6 \n" +
	"0 session(s) per Sec out of max 30, peak 6, last 5min 6 \n1000 session(s) max\nmin idle cpu 0.00/98.30\nCurrent Stack Size/Max 240K/8192K\n"

func TestPlanLoad(t *testing.T) {
	t.Parallel()
	p := &plan.Plan{
		Stages: []plan.Stage{{Rate: plan.Rate{From: 10, To: 50}, Limit: 400}},
		Nodes:  []plan.Node{{Name: "a", Role: plan.RoleBoth}, {Name: "b", Role: plan.RoleBoth}},
	}
	// Half the calls placed here and half received: one leg per call.
	assert.Equal(t, nodeLoad{legsPerSec: 50, legs: 400}, planLoad(p, p.Nodes[0]))
	p.Nodes = []plan.Node{{Name: "a", Role: plan.RoleCaller, Weight: 3}, {Name: "b", Role: plan.RoleCaller, Weight: 1}, {Name: "c", Role: plan.RoleCallee}}
	assert.Equal(t, nodeLoad{legsPerSec: 37.5, legs: 300}, planLoad(p, p.Nodes[0]))
	assert.Equal(t, nodeLoad{legsPerSec: 50, legs: 400}, planLoad(p, p.Nodes[2]))
}

// TestNodeWarnings runs the checks against a fake FreeSWITCH that answers
// as the real one does (fixture 10a).
func TestNodeWarnings(t *testing.T) {
	t.Parallel()
	srv := esltest.NewServer()
	defer srv.Close()
	sps, status := "30", statusDefaults
	srv.SetAPI("fsctl", func(args string) string { return "+OK sessions per second: " + sps + "\n" })
	srv.SetAPI("status", func(string) string { return status })
	ctx := context.Background()
	conn, err := runner.DialESL(ctx, srv.Addr, "ClueCon")
	require.NoError(t, err)
	defer conn.Close()

	assert.Empty(t, nodeWarnings(ctx, conn, nodeLoad{legsPerSec: 20, legs: 100}), "within every limit")

	ws := nodeWarnings(ctx, conn, nodeLoad{legsPerSec: 60, legs: 1500})
	require.Len(t, ws, 2)
	assert.Equal(t, "sessions-per-second is 30 but the plan creates up to 60 legs per second here at its peak; FreeSWITCH refuses legs over it "+
		"(originate -ERR DESTINATION_OUT_OF_ORDER, inbound 503): raise sessions-per-second in switch.conf.xml or run `fsctl sps 150`", ws[0])
	assert.Contains(t, ws[1], "max-sessions is 1000 but the plan's limit puts up to 1500 legs here at once")
	assert.Contains(t, ws[1], "`fsctl max_sessions 3000`")

	status = strings.Replace(statusDefaults, "min idle cpu 0.00/98.30", "min idle cpu 25.00/31.50", 1)
	ws = nodeWarnings(ctx, conn, nodeLoad{legsPerSec: 1, legs: 1})
	require.Len(t, ws, 1)
	assert.Contains(t, ws[0], "min-idle-cpu is 25% and the node is 32% idle before the run")
}

// TestPreflightWarnsOfNodeLimits: opening a plan's FreeSWITCH node prints
// the warnings when the plan exceeds its sessions-per-second.
func TestPreflightWarnsOfNodeLimits(t *testing.T) {
	t.Parallel()
	srv := esltest.NewServer()
	defer srv.Close()
	srv.SetAPI("fsctl", func(string) string { return "+OK sessions per second: 30\n" })
	srv.SetAPI("status", func(string) string { return statusDefaults })
	srv.SetAPI("version", func(string) string { return "FreeSWITCH Version 1.10.12-release~64bit ( 64bit)" })
	srv.SetAPI("sofia", func(string) string { return "=================\nName             \texternal\n" })
	planFile := filepath.Join(t.TempDir(), "p.yaml")
	require.NoError(t, os.WriteFile(planFile, []byte("nodes: ['fs://"+srv.Addr+"']\nstages:\n  - {duration: 1s, rate: 40, hold: 1s}\n"), 0o644))
	var errb bytes.Buffer
	env := Env{Stdout: &errb, Stderr: &errb, Getenv: func(string) (string, bool) { return "", false }}
	p, err := loadPlan(env, planFile, nil)
	require.NoError(t, err)
	_, cleanup, err := openNodes(context.Background(), env, p)
	defer cleanup()
	require.NoError(t, err, errb.String())
	assert.Contains(t, errb.String(), "callplan: node "+p.Nodes[0].Name+": warning: sessions-per-second is 30 but the plan creates up to 80 legs per second here at its peak")
}
