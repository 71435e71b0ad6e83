package cloud_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callplan/callplan/runner/cloud"
	"github.com/callplan/callplan/twilio"
	"github.com/callplan/callplan/twilio/twiliotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// With a callback URL, status comes from the API's callbacks: the calls go
// through their whole progression with no status polls, only the one fetch
// per call that completes its final callback with the API's times.
func TestStatusCallbacks(t *testing.T) {
	t.Parallel()
	var handler atomic.Pointer[http.Handler]
	cbSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*handler.Load()).ServeHTTP(w, r) }))
	t.Cleanup(cbSrv.Close)
	scripts := map[string]twiliotest.Progression{
		"+1held": twiliotest.Answer(20*time.Millisecond, 0),
		"+1busy": twiliotest.Busy(20 * time.Millisecond),
	}
	h := newHarness(t, cloud.Config{CallbackURL: cbSrv.URL + "/status?x=1", PollRate: 1, PollInterval: time.Hour},
		twiliotest.WithScript(func(to string) twiliotest.Progression { return scripts[to] }))
	hd := h.node.CallbackHandler()
	handler.Store(&hd)

	ctx := context.Background()
	require.NoError(t, h.node.Originate(ctx, "+1held", params("+1held")))
	require.NoError(t, h.node.Originate(ctx, "+1busy", params("+1busy")))
	require.Eventually(t, func() bool {
		k := h.snapshot()["+1held"]
		return len(k) > 0 && k[len(k)-1] == cloud.Answered
	}, 10*time.Second, 5*time.Millisecond)
	require.NoError(t, h.node.Hangup(ctx, "+1held"))
	h.waitEnded(t, 2)
	got := h.snapshot()
	assert.Equal(t, []cloud.Kind{cloud.Created, cloud.Ringing, cloud.Answered, cloud.Ended}, got["+1held"])
	assert.Equal(t, []cloud.Kind{cloud.Created, cloud.Ringing, cloud.Ended}, got["+1busy"])
	busy := h.record("+1busy")
	assert.Equal(t, "USER_BUSY", busy.Cause())
	assert.False(t, busy.CallerHangup.IsZero(), "the final fetch gave the API's end time")

	st := h.srv.Stats()
	assert.GreaterOrEqual(t, st.Callbacks, 4, "ringing and answered for one, ringing and busy for the other (at least)")
	assert.LessOrEqual(t, st.Fetches, 2, "no status polls: one fetch per final callback at most")
	for _, c := range h.srv.Calls() {
		cb, err := url.Parse(c.Form.Get("StatusCallback"))
		require.NoError(t, err)
		assert.Equal(t, "/status", cb.Path)
		assert.Equal(t, "1", cb.Query().Get("x"), "the user's own query is kept")
		assert.Equal(t, []string{"ringing", "answered", "completed"}, c.Form["StatusCallbackEvent"])
	}
}

// A callback without the node's token is refused: nobody else can move
// this run's calls along.
func TestStatusCallbackNeedsToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t, cloud.Config{CallbackURL: "https://cb.example.com/status"})
	srv := httptest.NewServer(h.node.CallbackHandler())
	t.Cleanup(srv.Close)
	form := url.Values{"CallSid": {"CA1"}, "CallStatus": {"completed"}, "Timestamp": {time.Now().UTC().Format(twilio.TimeLayout)}}
	for _, target := range []string{srv.URL + "/status", srv.URL + "/status?callplan_token=guess"} {
		resp, err := http.Post(target, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, target)
	}
}
