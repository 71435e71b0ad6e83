package cloud_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callplan/callplan/flows"
	"github.com/callplan/callplan/metrics"
	"github.com/callplan/callplan/plan"
	"github.com/callplan/callplan/runner"
	"github.com/callplan/callplan/runner/cloud"
	"github.com/callplan/callplan/twilio"
	"github.com/callplan/callplan/twilio/twiliotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cloudRun is one run of a plan on a cloud node against a fake API,
// through the real engine, as `callplan run` wires it.
type cloudRun struct {
	res     runner.Result
	err     error
	records []metrics.Record
	dir     string
	driver  *cloud.Driver
}

func runCloud(t *testing.T, ctx context.Context, srv *twiliotest.Server, src string) cloudRun {
	t.Helper()
	p, err := plan.Parse("cloud.yaml", []byte(src), plan.Options{})
	require.NoError(t, err)
	client, err := twilio.New(twilio.NewCredentials(twiliotest.AccountSID, twiliotest.AuthToken),
		twilio.WithBaseURL(srv.URL), twilio.WithRetry(6, time.Millisecond, 10*time.Millisecond))
	require.NoError(t, err)
	dir := t.TempDir()
	sids, err := cloud.CreateSIDs(dir)
	require.NoError(t, err)
	defer sids.Close()
	d, err := cloud.NewDriver(cloud.DriverConfig{Plan: p, Node: p.Nodes[0], Client: client, SIDs: sids})
	require.NoError(t, err)
	defer d.Close()
	var mixes []runner.FlowMix
	for _, f := range p.Flows {
		fl, err := flows.New(f.Use, nil)
		require.NoError(t, err)
		mixes = append(mixes, runner.FlowMix{Name: f.Name, Flow: fl, Weight: f.Weight})
	}
	var stages []runner.Stage
	for _, s := range p.Stages {
		stages = append(stages, runner.Stage{Name: s.Name, Duration: s.Duration.D(), From: s.Rate.From, To: s.Rate.To,
			Limit: s.Limit, Hold: s.Hold.Value.D(), MaxCalls: s.MaxCalls})
	}
	cdr, err := metrics.CreateCDR(dir)
	require.NoError(t, err)
	col := metrics.NewCollector("run1", p.Name, metrics.WithCDR(cdr))
	res, err := runner.Run(ctx, runner.Config{
		RunID: "run1", Stages: stages, Flows: mixes, MaxCalls: p.MaxCalls,
		Nodes:            []runner.NodeSpec{{Name: p.Nodes[0].Name, Driver: d, Weight: 1, Caller: true, OneLeg: true}},
		Dial:             func(o runner.Origination) (runner.Origination, error) { return o, nil },
		OriginateTimeout: p.Originate.Timeout.D(),
		Collector:        col,
		DrainMargin:      5 * time.Second,
	})
	require.NoError(t, cdr.Close())
	return cloudRun{res: res, err: err, records: readCDR(t, dir), dir: dir, driver: d}
}

func readCDR(t *testing.T, dir string) []metrics.Record {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, metrics.CDRJSONLFile))
	require.NoError(t, err)
	defer f.Close()
	var out []metrics.Record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r metrics.Record
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r))
		out = append(out, r)
	}
	return out
}

func cloudPlan(extra string) string {
	return `name: cloud
max_calls: 5
originate: {timeout: 5s}
nodes:
  - uri: twilio://
    twilio: {from: "+15005550006", to: "+1555{{flow}}", twiml: "<Response/>", poll_rate: 200, poll_interval: 100ms}
` + extra
}

// Status progressions through the engine: each call's record says what
// the API said, the twiml flow judges, and only answered calls needed
// ending (after their hold).
func TestRunStatusProgressions(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	progs := []twiliotest.Progression{
		twiliotest.Answer(50*time.Millisecond, 0),
		twiliotest.Busy(50 * time.Millisecond),
		twiliotest.NoAnswer(50 * time.Millisecond),
		twiliotest.Failed(50 * time.Millisecond),
		twiliotest.Rejected(twilio.CodeInvalidTo),
	}
	srv := twiliotest.NewServer(twiliotest.WithScript(func(string) twiliotest.Progression {
		return progs[int(n.Add(1)-1)%len(progs)]
	}))
	t.Cleanup(srv.Close)
	r := runCloud(t, context.Background(), srv, cloudPlan(`stages: [{duration: 500ms, rate: 10, hold: 300ms}]
`))
	require.NoError(t, r.err)
	s := r.res.Summary
	assert.Equal(t, int64(5), s.Calls)
	assert.Equal(t, int64(1), s.Answered)
	assert.Equal(t, int64(1), s.OK)
	assert.Equal(t, int64(4), s.Failed)
	assert.Equal(t, map[string]int64{"USER_BUSY": 1, "NO_ANSWER": 1, "NORMAL_TEMPORARY_FAILURE": 1, "originate_INVALID_NUMBER_FORMAT": 1}, s.Reasons)
	assert.Equal(t, 1, srv.Stats().Ended, "callplan ended the answered call after its hold")
	require.Len(t, r.records, 5)
	rows, err := cloud.ReadSIDs(r.dir)
	require.NoError(t, err)
	assert.Len(t, rows, 4, "every created call's SID is on record")
	for _, rec := range r.records {
		if rec.OriginateResult == "-ERR INVALID_NUMBER_FORMAT" {
			assert.Equal(t, "21211", rec.Fields[cloud.FieldError])
			continue
		}
		assert.True(t, strings.HasPrefix(rec.Fields[cloud.FieldSID], "CA"), "sid in the CDR: %v", rec.Fields)
		assert.Equal(t, "+OK "+rec.Fields[cloud.FieldSID], rec.OriginateResult)
		assert.False(t, rec.CallerCreate.IsZero())
		assert.False(t, rec.CallerHangup.IsZero())
		if rec.Outcome == metrics.OutcomeOK {
			assert.True(t, rec.EndedByFlow)
			assert.Equal(t, "completed", rec.Fields[cloud.FieldStatus])
		}
	}
}

// Calls created faster than the account's CPS queue at the API: the
// queued→ringing delay (pdd) grows, and the report's pdd shows it.
func TestRunCPSQueueShowsInPDD(t *testing.T) {
	t.Parallel()
	srv := twiliotest.NewServer(twiliotest.WithCPS(1),
		twiliotest.WithScript(func(string) twiliotest.Progression { return twiliotest.Answer(0, 0) }))
	t.Cleanup(srv.Close)
	r := runCloud(t, context.Background(), srv, cloudPlan(`stages: [{duration: 400ms, rate: 10, hold: 100ms, limit: 10}]
`))
	require.NoError(t, r.err)
	s := r.res.Summary
	assert.Equal(t, int64(4), s.Calls)
	assert.Equal(t, int64(4), s.OK)
	// Dialled one a second: the fourth call waited about 3 s in queued.
	assert.GreaterOrEqual(t, s.PDD.Max, 2*time.Second, "pdd %+v", s.PDD)
	assert.LessOrEqual(t, s.PDD.Min, time.Second)
}

// A burst of 429s (and a 5xx) is absorbed: every call created once, the
// retries counted in the records and the summary's counters.
func TestRunRateLimitBursts(t *testing.T) {
	t.Parallel()
	srv := twiliotest.NewServer(twiliotest.WithScript(func(string) twiliotest.Progression { return twiliotest.Answer(0, 0) }))
	t.Cleanup(srv.Close)
	srv.FailCreates(5, 429)
	srv.FailCreates(1, 503)
	r := runCloud(t, context.Background(), srv, cloudPlan(`stages: [{duration: 300ms, rate: 10, hold: 100ms}]
`))
	require.NoError(t, r.err)
	s := r.res.Summary
	assert.Equal(t, int64(3), s.OK)
	assert.Equal(t, 3, srv.Stats().Creates)
	assert.Equal(t, int64(5), s.Counters[cloud.CountRetried429])
	assert.Equal(t, int64(1), s.Counters[cloud.CountRetried5xx])
}

// Ctrl-C: the run stops creating, ends every call of the run through the
// API (answered: completed; ringing: canceled), and the calls count as
// interrupted.
func TestRunInterruptEndsCalls(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	srv := twiliotest.NewServer(twiliotest.WithScript(func(string) twiliotest.Progression {
		if n.Add(1)%2 == 0 {
			return twiliotest.Answer(time.Hour, 0) // rings until ended
		}
		return twiliotest.Answer(0, 0)
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for srv.Stats().Creates < 4 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	r := runCloud(t, ctx, srv, cloudPlan(`stages: [{duration: 10s, rate: 20, hold: 1h}]
`))
	require.NoError(t, r.err)
	assert.True(t, r.res.Interrupted)
	assert.Empty(t, srv.Live(), "every call of the run was ended through the API")
	created := srv.Stats().Creates
	assert.GreaterOrEqual(t, created, 4)
	assert.Equal(t, created, srv.Stats().Ended)
	assert.Equal(t, int64(created), r.res.Summary.Unknown, "interrupted calls count unknown")
	for _, rec := range r.records {
		assert.Equal(t, "interrupted", rec.Reason)
	}
	// Ending again is harmless and ends nothing.
	again, err := r.driver.EndRun(context.Background(), "run1", "MANAGER_REQUEST")
	require.NoError(t, err)
	assert.Equal(t, "0 calls ended through the API", again)
}
