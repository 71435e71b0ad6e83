package twilio_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/callplan/callplan/twilio"
	"github.com/callplan/callplan/twilio/twiliotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newClient returns a client of the fake's default account with fast
// retries.
func newClient(t *testing.T, srv *twiliotest.Server, opts ...twilio.Option) *twilio.Client {
	t.Helper()
	opts = append([]twilio.Option{twilio.WithBaseURL(srv.URL), twilio.WithRetry(5, time.Millisecond, 10*time.Millisecond)}, opts...)
	c, err := twilio.New(twilio.NewCredentials(twiliotest.AccountSID, twiliotest.AuthToken), opts...)
	require.NoError(t, err)
	return c
}

func params(to string) twilio.CreateParams {
	return twilio.CreateParams{To: to, From: "+15005550006", Twiml: "<Response><Pause length=\"60\"/></Response>"}
}

// waitFinal fetches the call until its status is final, collecting the
// distinct statuses seen.
func waitFinal(t *testing.T, c *twilio.Client, sid string) (*twilio.Call, []twilio.Status) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var seen []twilio.Status
	for {
		call, err := c.FetchCall(ctx, sid)
		require.NoError(t, err)
		if len(seen) == 0 || seen[len(seen)-1] != call.Status {
			seen = append(seen, call.Status)
		}
		if call.Status.Final() {
			return call, seen
		}
		select {
		case <-ctx.Done():
			t.Fatalf("call %s never ended; saw %v", sid, seen)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func TestCallProgressions(t *testing.T) {
	t.Parallel()
	scripts := map[string]twiliotest.Progression{
		"+1answer":   twiliotest.Answer(30*time.Millisecond, 1100*time.Millisecond),
		"+1busy":     twiliotest.Busy(30 * time.Millisecond),
		"+1noanswer": twiliotest.NoAnswer(30 * time.Millisecond),
		"+1failed":   twiliotest.Failed(30 * time.Millisecond),
		"+1canceled": twiliotest.Canceled(30 * time.Millisecond),
	}
	srv := twiliotest.NewServer(twiliotest.WithScript(func(to string) twiliotest.Progression { return scripts[to] }))
	t.Cleanup(srv.Close)
	c := newClient(t, srv)
	tests := []struct {
		to       string
		final    twilio.Status
		visits   []twilio.Status // statuses that must be seen on the way, in order
		answered bool
	}{
		{"+1answer", twilio.StatusCompleted, []twilio.Status{twilio.StatusRinging, twilio.StatusInProgress}, true},
		{"+1busy", twilio.StatusBusy, []twilio.Status{twilio.StatusRinging}, false},
		{"+1noanswer", twilio.StatusNoAnswer, []twilio.Status{twilio.StatusRinging}, false},
		{"+1failed", twilio.StatusFailed, nil, false},
		{"+1canceled", twilio.StatusCanceled, []twilio.Status{twilio.StatusRinging}, false},
	}
	for _, tt := range tests {
		t.Run(tt.to, func(t *testing.T) {
			t.Parallel()
			created, err := c.CreateCall(context.Background(), params(tt.to))
			require.NoError(t, err)
			require.True(t, strings.HasPrefix(created.SID, "CA"), "SID %q", created.SID)
			assert.False(t, created.Status.Final(), "a new call is not over: %s", created.Status)
			assert.False(t, created.DateCreated.IsZero())
			final, seen := waitFinal(t, c, created.SID)
			assert.Equal(t, tt.final, final.Status, "seen %v", seen)
			assert.Subset(t, seen, tt.visits)
			assert.False(t, final.EndTime.IsZero(), "a final call has an end time")
			assert.True(t, final.HasDuration)
			if tt.answered {
				assert.Equal(t, time.Second, final.Duration, "talked 1.1 s: the API counts whole seconds")
				assert.Equal(t, final.EndTime.Add(-time.Second), final.AnswerTime())
			} else {
				assert.Zero(t, final.Duration)
				assert.True(t, final.AnswerTime().IsZero())
			}
		})
	}
}

func TestCreateRejectedCarriesAPICode(t *testing.T) {
	t.Parallel()
	srv := twiliotest.NewServer(twiliotest.WithScript(func(string) twiliotest.Progression {
		return twiliotest.Rejected(twilio.CodeInvalidTo)
	}))
	t.Cleanup(srv.Close)
	_, err := newClient(t, srv).CreateCall(context.Background(), params("+1bad"))
	require.Error(t, err)
	assert.Equal(t, twilio.CodeInvalidTo, twilio.ErrorCode(err))
	var ae *twilio.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusBadRequest, ae.Status)
	assert.Zero(t, newClient(t, srv).Stats().Retries5xx)
}

// Calls created faster than the account's CPS wait in queued; each waits
// longer than the one before, and the API's queue_time says so.
func TestCPSLimitQueues(t *testing.T) {
	t.Parallel()
	const cps = 20
	srv := twiliotest.NewServer(twiliotest.WithCPS(cps))
	t.Cleanup(srv.Close)
	c := newClient(t, srv)
	var queue []time.Duration
	for i := range 5 {
		call, err := c.CreateCall(context.Background(), params(fmt.Sprintf("+1%d", i)))
		require.NoError(t, err)
		queue = append(queue, call.QueueTime)
	}
	for i := 1; i < len(queue); i++ {
		assert.Greater(t, queue[i], queue[i-1], "queue times %v grow", queue)
	}
	infos := srv.Calls()
	require.Len(t, infos, 5)
	assert.Equal(t, twilio.StatusQueued, infos[4].Status, "the last call still waits its turn")
	for _, ci := range infos {
		waitFinalOrUp(t, c, ci.SID)
	}
	infos = srv.Calls()
	for i := 1; i < len(infos); i++ {
		gap := infos[i].Dialled.Sub(infos[i-1].Dialled)
		assert.GreaterOrEqual(t, gap, time.Second/cps, "dialled one per 1/cps")
	}
}

// waitFinalOrUp waits until the call is dialled.
func waitFinalOrUp(t *testing.T, c *twilio.Client, sid string) {
	t.Helper()
	require.Eventually(t, func() bool {
		call, err := c.FetchCall(context.Background(), sid)
		return err == nil && call.Status != twilio.StatusQueued
	}, 10*time.Second, 5*time.Millisecond)
}

func TestRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fails      int
		status     int
		retries    int
		wantErr    bool
		want429    int64
		want5xx    int64
		wantCreate int
	}{
		{"429 burst absorbed", 3, http.StatusTooManyRequests, 5, false, 3, 0, 1},
		{"503 absorbed", 2, http.StatusServiceUnavailable, 5, false, 0, 2, 1},
		{"500 absorbed", 1, http.StatusInternalServerError, 5, false, 0, 1, 1},
		{"429 beyond the bound", 4, http.StatusTooManyRequests, 2, true, 3, 0, 0},
		{"no retries", 1, http.StatusBadGateway, 0, true, 0, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := twiliotest.NewServer()
			t.Cleanup(srv.Close)
			srv.FailCreates(tt.fails, tt.status)
			c := newClient(t, srv, twilio.WithRetry(tt.retries, time.Millisecond, 5*time.Millisecond))
			var mine twilio.Retries
			_, err := c.CreateCall(twilio.WithRetries(context.Background(), &mine), params("+1"))
			if tt.wantErr {
				require.Error(t, err)
				if tt.status == http.StatusTooManyRequests {
					assert.Equal(t, twilio.CodeTooManyRequests, twilio.ErrorCode(err))
				}
			} else {
				require.NoError(t, err)
			}
			st := c.Stats()
			assert.Equal(t, tt.want429, st.Retries429)
			assert.Equal(t, tt.want5xx, st.Retries5xx)
			assert.Equal(t, tt.want429, mine.TooMany.Load(), "the request's own count")
			assert.Equal(t, tt.want5xx, mine.Server.Load())
			assert.Equal(t, tt.wantCreate, srv.Stats().Creates)
		})
	}
}

// A request rate limit on the API side shows as 429s that the client
// absorbs: every call is still created exactly once.
func TestRequestLimitAbsorbed(t *testing.T) {
	t.Parallel()
	srv := twiliotest.NewServer(twiliotest.WithRequestLimit(50, 2))
	t.Cleanup(srv.Close)
	c := newClient(t, srv, twilio.WithRetry(20, 5*time.Millisecond, 50*time.Millisecond))
	for i := range 8 {
		_, err := c.CreateCall(context.Background(), params(fmt.Sprintf("+1%d", i)))
		require.NoError(t, err)
	}
	assert.Equal(t, 8, srv.Stats().Creates)
	assert.Equal(t, int64(srv.Stats().Served429), c.Stats().Retries429)
}

func TestBadCredentials(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-never-shown"
	srv := twiliotest.NewServer(twiliotest.WithAPIKey(twiliotest.AccountSID, "SK01", "right-secret"))
	t.Cleanup(srv.Close)
	tests := []struct {
		name  string
		creds twilio.Credentials
	}{
		{"wrong token", twilio.NewCredentials(twiliotest.AccountSID, secret)},
		{"wrong key secret", twilio.NewKeyCredentials(twiliotest.AccountSID, "SK01", secret)},
		{"unknown key", twilio.NewKeyCredentials(twiliotest.AccountSID, "SK02", secret)},
		{"other account", twilio.NewCredentials("AC99", secret)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := twilio.New(tt.creds, twilio.WithBaseURL(srv.URL), twilio.WithRetry(3, time.Millisecond, time.Millisecond))
			require.NoError(t, err)
			_, err = c.CreateCall(context.Background(), params("+1"))
			require.Error(t, err)
			assert.True(t, twilio.IsAuth(err), "%v", err)
			assert.Equal(t, twilio.CodeAuthenticate, twilio.ErrorCode(err))
			assert.NotContains(t, err.Error(), secret)
			assert.Equal(t, int64(1), c.Stats().Requests, "a 401 is not retried")
		})
	}
	// The right API key works.
	c, err := twilio.New(twilio.NewKeyCredentials(twiliotest.AccountSID, "SK01", "right-secret"), twilio.WithBaseURL(srv.URL))
	require.NoError(t, err)
	_, err = c.CreateCall(context.Background(), params("+1"))
	require.NoError(t, err)
}

func TestEndCallIsIdempotent(t *testing.T) {
	t.Parallel()
	scripts := map[string]twiliotest.Progression{
		"+1up":      twiliotest.Answer(0, 0),
		"+1ringing": twiliotest.Answer(time.Hour, 0),
		"+1busy":    twiliotest.Busy(0),
	}
	tests := []struct {
		name      string
		to        string
		cps       float64 // > 0: a second call waits in queued
		wantEnded bool
		final     twilio.Status
	}{
		{"answered", "+1up", 0, true, twilio.StatusCompleted},
		{"ringing", "+1ringing", 0, true, twilio.StatusCanceled},
		{"queued", "+1up", 0.001, true, twilio.StatusCanceled},
		{"already busy", "+1busy", 0, false, twilio.StatusBusy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := twiliotest.NewServer(twiliotest.WithCPS(tt.cps),
				twiliotest.WithScript(func(to string) twiliotest.Progression { return scripts[to] }))
			t.Cleanup(srv.Close)
			c := newClient(t, srv)
			ctx := context.Background()
			if tt.cps > 0 {
				_, err := c.CreateCall(ctx, params("+1first")) // takes the dialling slot
				require.NoError(t, err)
			}
			call, err := c.CreateCall(ctx, params(tt.to))
			require.NoError(t, err)
			want := map[string]twilio.Status{"+1up": twilio.StatusInProgress, "+1ringing": twilio.StatusRinging, "+1busy": twilio.StatusBusy}[tt.to]
			if tt.cps > 0 {
				want = twilio.StatusQueued
			}
			require.Eventually(t, func() bool {
				got, err := c.FetchCall(ctx, call.SID)
				return err == nil && got.Status == want
			}, 10*time.Second, 5*time.Millisecond)

			ended, err := c.EndCall(ctx, call.SID)
			require.NoError(t, err)
			assert.Equal(t, tt.wantEnded, ended)
			again, err := c.EndCall(ctx, call.SID)
			require.NoError(t, err)
			assert.False(t, again, "ending an ended call changes nothing")
			got, err := c.FetchCall(ctx, call.SID)
			require.NoError(t, err)
			assert.Equal(t, tt.final, got.Status)
			wantEnded := 0
			if tt.wantEnded {
				wantEnded = 1
			}
			assert.Equal(t, wantEnded, srv.Stats().Ended)
		})
	}
}

func TestUpdateAfterEndIsInvalidState(t *testing.T) {
	t.Parallel()
	srv := twiliotest.NewServer(twiliotest.WithScript(func(string) twiliotest.Progression { return twiliotest.Failed(0) }))
	t.Cleanup(srv.Close)
	c := newClient(t, srv)
	call, err := c.CreateCall(context.Background(), params("+1"))
	require.NoError(t, err)
	_, err = c.UpdateCall(context.Background(), call.SID, twilio.StatusCompleted)
	assert.Equal(t, twilio.CodeInvalidCallState, twilio.ErrorCode(err))
	_, err = c.FetchCall(context.Background(), "CA404")
	assert.Equal(t, twilio.CodeNotFound, twilio.ErrorCode(err))
	_, err = c.FetchCall(context.Background(), "../Accounts")
	assert.ErrorContains(t, err, "letters and digits")
}

// FetchAccount is the health check: it proves credentials and base URL
// without creating (and paying for) a call.
func TestFetchAccount(t *testing.T) {
	t.Parallel()
	srv := twiliotest.NewServer()
	t.Cleanup(srv.Close)
	a, err := newClient(t, srv).FetchAccount(context.Background())
	require.NoError(t, err)
	assert.Equal(t, twiliotest.AccountSID, a.SID)
	assert.Equal(t, "active", a.Status)

	bad, err := twilio.New(twilio.NewCredentials(twiliotest.AccountSID, "wrong-token"), twilio.WithBaseURL(srv.URL))
	require.NoError(t, err)
	_, err = bad.FetchAccount(context.Background())
	assert.True(t, twilio.IsAuth(err), "%v", err)
	assert.NotContains(t, err.Error(), "wrong-token")
	assert.Zero(t, srv.Stats().Creates)
}
