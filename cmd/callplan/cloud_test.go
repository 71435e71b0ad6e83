package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/callplan/callplan/runner/cloud"
	"github.com/callplan/callplan/twilio"
	"github.com/callplan/callplan/twilio/twiliotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cloudEnv is the environment a cloud run reads its credentials from.
func cloudEnv(token string) map[string]string {
	return map[string]string{"TWILIO_ACCOUNT_SID": twiliotest.AccountSID, "TWILIO_AUTH_TOKEN": token}
}

// cloudResults fakes what a killed cloud run leaves behind: the node list
// and the SIDs of calls the API created, some still up.
func cloudResults(t *testing.T, srv *twiliotest.Server, tos ...string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, cloud.WriteNodes(dir, []cloud.NodeInfo{{
		Name: "twilio", BaseURL: srv.URL, AccountSIDEnv: "TWILIO_ACCOUNT_SID",
		AuthTokenEnv: "TWILIO_AUTH_TOKEN", APIKeyEnv: "TWILIO_API_KEY", APISecretEnv: "TWILIO_API_SECRET",
	}}))
	w, err := cloud.CreateSIDs(dir)
	require.NoError(t, err)
	c, err := twilio.New(twilio.NewCredentials(twiliotest.AccountSID, twiliotest.AuthToken), twilio.WithBaseURL(srv.URL))
	require.NoError(t, err)
	for i, to := range tos {
		call, err := c.CreateCall(context.Background(), twilio.CreateParams{To: to, From: "+15005550006", Twiml: "<Response/>"})
		require.NoError(t, err)
		require.NoError(t, w.Add("twilio", fmt.Sprint("call-", i), call.SID, time.Now()))
	}
	require.NoError(t, w.Close())
	return dir
}

// `callplan hangup RESULTS_DIR` ends exactly the calls still up, and a
// second run changes nothing.
func TestCloudHangupFromResults(t *testing.T) {
	t.Parallel()
	srv := twiliotest.NewServer(twiliotest.WithScript(func(to string) twiliotest.Progression {
		if to == "+1busy" {
			return twiliotest.Busy(0)
		}
		return twiliotest.Answer(0, 0)
	}))
	t.Cleanup(srv.Close)
	dir := cloudResults(t, srv, "+1a", "+1busy", "+1b")
	require.Eventually(t, func() bool { return len(srv.Live()) == 2 }, 10*time.Second, 5*time.Millisecond)
	live := srv.Live()

	code, out, errOut := runWithEnv(t, cloudEnv(twiliotest.AuthToken), "hangup", dir)
	require.Equal(t, ExitPassed, code, errOut)
	assert.Equal(t, "twilio: 3 calls on record: 2 ended now, 1 already over\n", out)
	assert.Empty(t, srv.Live())
	for _, sid := range live {
		c, _ := srv.Call(sid)
		assert.True(t, c.EndedByAPI, sid)
	}
	ended := srv.Stats().Ended

	code, out, _ = runWithEnv(t, cloudEnv(twiliotest.AuthToken), "hangup", dir)
	require.Equal(t, ExitPassed, code)
	assert.Equal(t, "twilio: 3 calls on record: 0 ended now, 3 already over\n", out)
	assert.Equal(t, ended, srv.Stats().Ended, "the second hangup ends nothing")
}

// Refused credentials exit 3, and the token is printed nowhere.
func TestCloudHangupBadCredentials(t *testing.T) {
	t.Parallel()
	const secret = "not-the-token-5521"
	srv := twiliotest.NewServer()
	t.Cleanup(srv.Close)
	dir := cloudResults(t, srv, "+1a")
	tests := []struct {
		name string
		env  map[string]string
		msg  string
	}{
		{"wrong token", cloudEnv(secret), "HTTP 401: error 20003"},
		{"no token", map[string]string{"TWILIO_ACCOUNT_SID": twiliotest.AccountSID}, "TWILIO_AUTH_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runWithEnv(t, tt.env, "hangup", dir)
			assert.Equal(t, ExitInfrastructure, code)
			assert.Contains(t, errOut, tt.msg)
			assert.NotContains(t, out+errOut, secret)
		})
	}
	assert.Len(t, srv.Live(), 1, "nothing was ended")
}
