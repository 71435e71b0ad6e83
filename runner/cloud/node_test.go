package cloud_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/callplan/callplan/metrics"
	"github.com/callplan/callplan/runner/cloud"
	"github.com/callplan/callplan/twilio"
	"github.com/callplan/callplan/twilio/twiliotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// harness is one cloud node against a fake API, collecting events and
// building each call's record the way the runner does.
type harness struct {
	srv  *twiliotest.Server
	node *cloud.Node
	sids map[string]string

	mu      sync.Mutex
	events  map[string][]cloud.Kind
	records map[string]*metrics.Record
	ended   chan string
}

func newHarness(t *testing.T, cfg cloud.Config, opts ...twiliotest.Option) *harness {
	t.Helper()
	h := &harness{srv: twiliotest.NewServer(opts...), sids: map[string]string{},
		events: map[string][]cloud.Kind{}, records: map[string]*metrics.Record{}, ended: make(chan string, 100)}
	t.Cleanup(h.srv.Close)
	if cfg.Client == nil {
		c, err := twilio.New(twilio.NewCredentials(twiliotest.AccountSID, twiliotest.AuthToken),
			twilio.WithBaseURL(h.srv.URL), twilio.WithRetry(6, time.Millisecond, 10*time.Millisecond))
		require.NoError(t, err)
		cfg.Client = c
	}
	if cfg.PollRate == 0 {
		cfg.PollRate, cfg.PollInterval = 200, 5*time.Millisecond
	}
	cfg.Name = "twilio"
	cfg.Created = func(callID, sid string, _ time.Time) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.sids[callID] = sid
		return nil
	}
	cfg.Handle = h.handle
	n, err := cloud.New(cfg)
	require.NoError(t, err)
	h.node = n
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return h
}

func (h *harness) handle(e cloud.Event) {
	h.mu.Lock()
	h.events[e.CallID] = append(h.events[e.CallID], e.Kind)
	r, ok := h.records[e.CallID]
	if !ok {
		r = &metrics.Record{Call: e.CallID}
		h.records[e.CallID] = r
	}
	applyEvent(r, e)
	h.mu.Unlock()
	if e.Kind == cloud.Ended || e.Kind == cloud.Refused {
		h.ended <- e.CallID
	}
}

// applyEvent builds a record from node events as the driver and the
// engine do (driver_test checks that path itself).
func applyEvent(r *metrics.Record, e cloud.Event) {
	f, c := cloud.Figures(e)
	for k, v := range f {
		if r.Fields == nil {
			r.Fields = map[string]string{}
		}
		r.Fields[k] = v
	}
	for k, v := range c {
		if r.Counts == nil {
			r.Counts = map[string]int64{}
		}
		r.Counts[k] += v
	}
	switch e.Kind {
	case cloud.Created:
		r.CallerCreate = e.At
	case cloud.Ringing:
		r.CallerProgress = e.At
	case cloud.Answered:
		r.CallerAnswer = e.At
	case cloud.Ended:
		r.CallerHangup, r.CallerCause = e.At, cloud.Cause(e.Call.Status)
	case cloud.Refused:
		r.OriginateResult = "-ERR " + cloud.CreateCause(e.Err)
	}
}

// waitEnded waits until n calls have ended.
func (h *harness) waitEnded(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-h.ended:
		case <-time.After(20 * time.Second):
			t.Fatalf("calls did not end; events %v", h.snapshot())
		}
	}
}

func (h *harness) snapshot() map[string][]cloud.Kind {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string][]cloud.Kind{}
	for k, v := range h.events {
		out[k] = append([]cloud.Kind(nil), v...)
	}
	return out
}

func (h *harness) record(id string) metrics.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return *h.records[id]
}

func params(to string) twilio.CreateParams {
	return twilio.CreateParams{To: to, From: "+15005550006", Twiml: "<Response><Pause length=\"60\"/></Response>"}
}

func TestStatusProgressions(t *testing.T) {
	t.Parallel()
	scripts := map[string]twiliotest.Progression{
		"+1held":     twiliotest.Answer(20*time.Millisecond, 0),
		"+1farend":   twiliotest.Answer(20*time.Millisecond, 1100*time.Millisecond),
		"+1busy":     twiliotest.Busy(20 * time.Millisecond),
		"+1noanswer": twiliotest.NoAnswer(20 * time.Millisecond),
		"+1failed":   twiliotest.Failed(20 * time.Millisecond),
		"+1canceled": twiliotest.Canceled(20 * time.Millisecond),
		"+1invalid":  twiliotest.Rejected(twilio.CodeInvalidTo),
	}
	h := newHarness(t, cloud.Config{}, twiliotest.WithScript(func(to string) twiliotest.Progression { return scripts[to] }))
	tests := []struct {
		to       string
		hangup   bool // the runner ends it after answer (the hold)
		kinds    []cloud.Kind
		cause    string
		answered bool
		code     string
	}{
		{"+1held", true, []cloud.Kind{cloud.Created, cloud.Ringing, cloud.Answered, cloud.Ended}, "NORMAL_CLEARING", true, ""},
		{"+1farend", false, []cloud.Kind{cloud.Created, cloud.Ringing, cloud.Answered, cloud.Ended}, "NORMAL_CLEARING", true, ""},
		{"+1busy", false, []cloud.Kind{cloud.Created, cloud.Ringing, cloud.Ended}, "USER_BUSY", false, ""},
		{"+1noanswer", false, []cloud.Kind{cloud.Created, cloud.Ringing, cloud.Ended}, "NO_ANSWER", false, ""},
		{"+1failed", false, []cloud.Kind{cloud.Created, cloud.Ended}, "NORMAL_TEMPORARY_FAILURE", false, ""},
		{"+1canceled", false, []cloud.Kind{cloud.Created, cloud.Ringing, cloud.Ended}, "ORIGINATOR_CANCEL", false, ""},
		{"+1invalid", false, []cloud.Kind{cloud.Refused}, "INVALID_NUMBER_FORMAT", false, "21211"},
	}
	ctx := context.Background()
	for _, tt := range tests {
		err := h.node.Originate(ctx, tt.to, params(tt.to))
		if tt.code != "" {
			require.Error(t, err)
		} else {
			require.NoError(t, err)
		}
	}
	// The held call is up until the runner ends it.
	require.Eventually(t, func() bool {
		k := h.snapshot()["+1held"]
		return len(k) > 0 && k[len(k)-1] == cloud.Answered
	}, 10*time.Second, 5*time.Millisecond)
	require.NoError(t, h.node.Hangup(ctx, "+1held"))
	h.waitEnded(t, len(tests))
	got := h.snapshot()
	for _, tt := range tests {
		t.Run(tt.to, func(t *testing.T) {
			assert.Equal(t, tt.kinds, got[tt.to])
			r := h.record(tt.to)
			assert.Equal(t, tt.cause, r.Cause())
			assert.Equal(t, tt.answered, r.Answered())
			assert.Equal(t, tt.code, r.Fields[cloud.FieldError])
			if tt.code == "" {
				assert.Equal(t, h.sids[tt.to], r.Fields[cloud.FieldSID], "the SID is in the CDR")
				assert.False(t, r.CallerCreate.IsZero())
				assert.False(t, r.CallerHangup.IsZero())
			}
		})
	}
	assert.Equal(t, 1, h.srv.Stats().Ended, "only the held call needed ending")
	assert.Zero(t, h.node.Live())
}

// Calls created faster than the account's CPS queue: in the order the API
// dials them, each waited longer than the one before, and the API's queue
// time estimate says so.
func TestCPSLimitQueues(t *testing.T) {
	t.Parallel()
	const cps = 5
	h := newHarness(t, cloud.Config{}, twiliotest.WithCPS(cps),
		twiliotest.WithScript(func(string) twiliotest.Progression { return twiliotest.Answer(0, 50*time.Millisecond) }))
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, h.node.Originate(context.Background(), fmt.Sprint(i), params("+1")))
		}()
	}
	wg.Wait()
	h.waitEnded(t, 5)
	queue := map[string]int{}
	for id, sid := range h.sids {
		var q int
		_, err := fmt.Sscan(h.record(id).Fields[cloud.FieldQueueMS], &q)
		require.NoError(t, err)
		queue[sid] = q
	}
	calls := h.srv.Calls()
	sort.Slice(calls, func(i, j int) bool { return calls[i].Dialled.Before(calls[j].Dialled) })
	for i := 1; i < len(calls); i++ {
		assert.GreaterOrEqual(t, calls[i].Dialled.Sub(calls[i-1].Dialled), time.Second/cps, "dialled 1/cps apart")
		assert.Greater(t, queue[calls[i].SID], queue[calls[i-1].SID], "queue_time_ms grows in dialling order")
	}
	assert.GreaterOrEqual(t, queue[calls[4].SID], 500, "the fifth call waits about 4/cps")
}

// The node's own cps spaces create requests evenly: never a burst.
func TestCreatesArePaced(t *testing.T) {
	t.Parallel()
	const cps = 20
	h := newHarness(t, cloud.Config{CPS: cps})
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, h.node.Originate(context.Background(), fmt.Sprint(i), params("+1")))
		}()
	}
	wg.Wait()
	calls := h.srv.Calls()
	require.Len(t, calls, 6)
	span := calls[5].Created.Sub(calls[0].Created)
	// Five intervals of 50 ms, less what network jitter can take off.
	assert.GreaterOrEqual(t, span, 5*time.Second/cps-20*time.Millisecond)
	_, err := h.node.EndAll(context.Background())
	require.NoError(t, err)
}

// A burst of 429s (error 20429) and 5xx is absorbed by retries, counted,
// and every call is created exactly once.
func TestRateLimitBurstsRetried(t *testing.T) {
	t.Parallel()
	h := newHarness(t, cloud.Config{})
	h.srv.FailCreates(4, http.StatusTooManyRequests)
	h.srv.FailCreates(1, http.StatusServiceUnavailable)
	for i := range 3 {
		require.NoError(t, h.node.Originate(context.Background(), fmt.Sprint(i), params("+1")))
	}
	st := h.node.Client().Stats()
	assert.Equal(t, int64(4), st.Retries429)
	assert.Equal(t, int64(1), st.Retries5xx)
	assert.Equal(t, 3, h.srv.Stats().Creates)
	n, err := h.node.EndAll(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	h.waitEnded(t, 3)
	// Each call's record counts its own retries: together, the burst.
	var r429, r5xx int64
	for i := range 3 {
		r := h.record(fmt.Sprint(i))
		r429 += r.Counts[cloud.CountRetried429]
		r5xx += r.Counts[cloud.CountRetried5xx]
	}
	assert.Equal(t, int64(4), r429)
	assert.Equal(t, int64(1), r5xx)
}

// Bad credentials are found by the health check, before any call, and the
// secret is in no error.
func TestHealthRefusesBadCredentials(t *testing.T) {
	t.Parallel()
	const secret = "wrong-secret-4821"
	srv := twiliotest.NewServer()
	t.Cleanup(srv.Close)
	c, err := twilio.New(twilio.NewCredentials(twiliotest.AccountSID, secret), twilio.WithBaseURL(srv.URL))
	require.NoError(t, err)
	n, err := cloud.New(cloud.Config{Name: "twilio", Client: c, Handle: func(cloud.Event) {}})
	require.NoError(t, err)
	err = n.Health(context.Background())
	require.Error(t, err)
	assert.True(t, twilio.IsAuth(err))
	assert.NotContains(t, err.Error(), secret)
	assert.Zero(t, srv.Stats().Creates)

	ok, err := twilio.New(twilio.NewCredentials(twiliotest.AccountSID, twiliotest.AuthToken), twilio.WithBaseURL(srv.URL))
	require.NoError(t, err)
	n, err = cloud.New(cloud.Config{Name: "twilio", Client: ok, Handle: func(cloud.Event) {}})
	require.NoError(t, err)
	assert.NoError(t, n.Health(context.Background()))
}

// EndAll ends every call still up or queued (completed once answered,
// canceled before), and a second EndAll changes nothing.
func TestEndAllIsIdempotent(t *testing.T) {
	t.Parallel()
	scripts := map[string]twiliotest.Progression{
		"+1up":      twiliotest.Answer(0, 0),
		"+1ringing": twiliotest.Answer(time.Hour, 0),
		"+1busy":    twiliotest.Busy(0),
	}
	h := newHarness(t, cloud.Config{}, twiliotest.WithScript(func(to string) twiliotest.Progression { return scripts[to] }))
	ctx := context.Background()
	for _, to := range []string{"+1up", "+1ringing", "+1busy"} {
		require.NoError(t, ctx.Err())
		require.NoError(t, h.node.Originate(ctx, to, params(to)))
	}
	require.Eventually(t, func() bool {
		s := h.snapshot()
		return len(s["+1up"]) == 3 && len(s["+1ringing"]) == 2 && len(s["+1busy"]) == 3
	}, 10*time.Second, 5*time.Millisecond)
	n, err := h.node.EndAll(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	again, err := h.node.EndAll(ctx)
	require.NoError(t, err)
	assert.Zero(t, again)
	assert.Empty(t, h.srv.Live())
	up, ringing := h.record("+1up"), h.record("+1ringing")
	assert.Equal(t, "NORMAL_CLEARING", up.Cause())
	assert.Equal(t, "ORIGINATOR_CANCEL", ringing.Cause())
	assert.Equal(t, 2, h.srv.Stats().Ended)
}
