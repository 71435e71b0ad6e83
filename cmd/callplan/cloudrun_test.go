package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/metrics"
	"github.com/callplan/callplan/runner/cloud"
	"github.com/callplan/callplan/twilio/twiliotest"
)

// cloudPlanFile writes a cloud plan pointed at the fake API.
func cloudPlanFile(t *testing.T, srv *twiliotest.Server, stage string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cloud.yaml")
	src := `name: cloud
max_calls: 4
nodes:
  - uri: twilio://
    twilio:
      base_url: ` + srv.URL + `
      from: "+15005550006"
      to: "+15558675310"
      twiml: <Response><Pause length="60"/></Response>
      poll_rate: 100
      poll_interval: 100ms
stages:
  - ` + stage + `
assertions:
  - expr: asr >= 0.99
`
	require.NoError(t, os.WriteFile(path, []byte(src), 0o644))
	return path
}

func envMain(ctx context.Context, env map[string]string, args ...string) (ExitCode, string, string) {
	var outb, errb syncBuffer
	code := Main(ctx, args, Env{
		Stdout: &outb, Stderr: &errb,
		Getenv:  func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Environ: func() []string { return nil },
	})
	return code, outb.String(), errb.String()
}

// A cloud run against the fake: every call created, held, ended by
// callplan, each SID on record in sids.csv and in the CDR.
func TestCloudRun(t *testing.T) {
	t.Parallel()
	srv := twiliotest.NewServer(twiliotest.WithScript(func(string) twiliotest.Progression {
		return twiliotest.Answer(20*time.Millisecond, 0)
	}))
	t.Cleanup(srv.Close)
	dir := filepath.Join(t.TempDir(), "out")
	code, out, errOut := envMain(context.Background(), cloudEnv(twiliotest.AuthToken), "run", cloudPlanFile(t, srv, "{duration: 400ms, rate: 10, hold: 300ms}"), "--out", dir, "--quiet")
	require.Equal(t, ExitPassed, code, "stdout %s\nstderr %s", out, errOut)
	b, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	require.NoError(t, err)
	var sum metrics.Summary
	require.NoError(t, json.Unmarshal(b, &sum))
	assert.Equal(t, int64(4), sum.Calls)
	assert.Equal(t, int64(4), sum.OK)
	assert.Equal(t, map[string]int64{"NORMAL_CLEARING": 4}, sum.Causes)
	assert.Contains(t, errOut, "node twilio ok")
	assert.Contains(t, errOut, "retried 0 answers 429 and 0 5xx")
	assert.NotContains(t, out+errOut, twiliotest.AuthToken)
	assert.Empty(t, srv.Live())
	assert.Equal(t, 4, srv.Stats().Ended, "callplan ended each call after its hold")

	rows, err := cloud.ReadSIDs(dir)
	require.NoError(t, err)
	require.Len(t, rows, 4)
	sids := map[string]bool{}
	for _, r := range rows {
		sids[r.SID] = true
	}
	f, err := os.Open(filepath.Join(dir, metrics.CDRJSONLFile))
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		var r metrics.Record
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r))
		assert.True(t, sids[r.Fields[cloud.FieldSID]], "CDR sid %q is in sids.csv", r.Fields[cloud.FieldSID])
		n++
	}
	assert.Equal(t, 4, n)
}

// Refused credentials: exit 3 before any call, the token printed nowhere.
func TestCloudRunBadCredentials(t *testing.T) {
	t.Parallel()
	const secret = "wrong-token-90817"
	srv := twiliotest.NewServer()
	t.Cleanup(srv.Close)
	code, out, errOut := envMain(context.Background(), cloudEnv(secret), "run", cloudPlanFile(t, srv, "{duration: 1s, rate: 4, hold: 1s}"),
		"--out", filepath.Join(t.TempDir(), "out"), "--quiet")
	assert.Equal(t, ExitInfrastructure, code)
	assert.Contains(t, errOut, "credentials from $TWILIO_ACCOUNT_SID and $TWILIO_AUTH_TOKEN refused")
	assert.Contains(t, errOut, "error 20003")
	assert.NotContains(t, out+errOut, secret)
	assert.Zero(t, srv.Stats().Creates, "no call was created")
}

// Ctrl-C: exit 4, and every call of the run ended through the API.
func TestCloudRunInterrupted(t *testing.T) {
	t.Parallel()
	srv := twiliotest.NewServer(twiliotest.WithScript(func(string) twiliotest.Progression {
		return twiliotest.Answer(0, 0)
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for srv.Stats().Creates < 3 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	code, out, errOut := envMain(ctx, cloudEnv(twiliotest.AuthToken), "run", cloudPlanFile(t, srv, "{duration: 30s, rate: 10, hold: 1h}"),
		"--out", filepath.Join(t.TempDir(), "out"), "--quiet")
	require.Equal(t, ExitInterrupted, code, "stdout %s\nstderr %s", out, errOut)
	assert.Empty(t, srv.Live(), "the stop ended every call through the API")
	assert.Equal(t, srv.Stats().Creates, srv.Stats().Ended)
}

// TestHelperProcess is `callplan` in a child process, for the kill test:
// it runs only when CALLPLAN_HELPER_ARGS is set.
func TestHelperProcess(t *testing.T) {
	args := os.Getenv("CALLPLAN_HELPER_ARGS")
	if args == "" {
		return
	}
	code := Main(context.Background(), strings.Split(args, "\x1f"), Env{
		Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.LookupEnv, Environ: os.Environ,
	})
	os.Exit(int(code))
}

// A run killed outright (SIGKILL: no stop, no cleanup) leaves calls up;
// `callplan hangup RESULTS_DIR` ends exactly those, and a second hangup
// changes nothing.
func TestCloudKilledRunThenHangup(t *testing.T) {
	t.Parallel()
	// Every other call is hung up by the far end at once; the rest stay
	// up until someone ends them.
	var n atomic.Int32
	srv := twiliotest.NewServer(twiliotest.WithScript(func(string) twiliotest.Progression {
		if n.Add(1)%2 == 0 {
			return twiliotest.Answer(0, 10*time.Millisecond)
		}
		return twiliotest.Answer(0, 0)
	}))
	t.Cleanup(srv.Close)
	dir := filepath.Join(t.TempDir(), "out")
	plan := cloudPlanFile(t, srv, "{duration: 1s, rate: 8, hold: 1h}")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(),
		"CALLPLAN_HELPER_ARGS="+strings.Join([]string{"run", plan, "--out", dir, "--quiet"}, "\x1f"),
		"TWILIO_ACCOUNT_SID="+twiliotest.AccountSID, "TWILIO_AUTH_TOKEN="+twiliotest.AuthToken)
	require.NoError(t, cmd.Start())
	// Wait until the run has created all its calls (max_calls: 4) and put
	// them on record, then kill it.
	require.Eventually(t, func() bool {
		rows, err := cloud.ReadSIDs(dir)
		return err == nil && len(rows) == 4
	}, 30*time.Second, 10*time.Millisecond)
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	require.Eventually(t, func() bool { return len(srv.Live()) == 2 }, 10*time.Second, 5*time.Millisecond,
		"the killed run left two calls up")
	live := srv.Live()
	ended := srv.Stats().Ended

	code, out, errOut := runWithEnv(t, cloudEnv(twiliotest.AuthToken), "hangup", dir)
	require.Equal(t, ExitPassed, code, errOut)
	assert.Equal(t, "twilio: 4 calls on record: 2 ended now, 2 already over\n", out)
	assert.Empty(t, srv.Live())
	assert.Equal(t, ended+2, srv.Stats().Ended, "exactly the calls still up were ended")
	for _, sid := range live {
		c, _ := srv.Call(sid)
		assert.True(t, c.EndedByAPI, "%s was one of those still up", sid)
	}

	code, out, _ = runWithEnv(t, cloudEnv(twiliotest.AuthToken), "hangup", dir)
	require.Equal(t, ExitPassed, code)
	assert.Equal(t, "twilio: 4 calls on record: 0 ended now, 4 already over\n", out)
	assert.Equal(t, ended+2, srv.Stats().Ended, "the second hangup changes nothing")
}
