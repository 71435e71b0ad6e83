package twiliotest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/callplan/callplan/twilio"
	"github.com/callplan/callplan/twilio/twiliotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func post(t *testing.T, srv *twiliotest.Server, user, pass, path string, form url.Values) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp, body
}

// The fake answers with the real API's shapes: a 201 Call resource with RFC
// 2822 times, and error bodies with code, message, more_info and status.
func TestServerWireShapes(t *testing.T) {
	t.Parallel()
	srv := twiliotest.NewServer()
	t.Cleanup(srv.Close)
	calls := "/2010-04-01/Accounts/" + twiliotest.AccountSID + "/Calls.json"
	form := url.Values{"To": {"+15551230000"}, "From": {"+15005550006"}, "Url": {"https://example.com/t.xml"}}
	tests := []struct {
		name   string
		user   string
		pass   string
		form   url.Values
		status int
		code   float64
	}{
		{"created", twiliotest.AccountSID, twiliotest.AuthToken, form, 201, 0},
		{"bad token", twiliotest.AccountSID, "nope", form, 401, twilio.CodeAuthenticate},
		{"missing To", twiliotest.AccountSID, twiliotest.AuthToken, url.Values{"From": {"+1"}, "Url": {"u"}}, 400, twilio.CodeMissingParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := post(t, srv, tt.user, tt.pass, calls, tt.form)
			assert.Equal(t, tt.status, resp.StatusCode)
			if tt.code != 0 {
				assert.Equal(t, tt.code, body["code"])
				assert.Equal(t, float64(tt.status), body["status"])
				assert.NotEmpty(t, body["message"])
				return
			}
			assert.Regexp(t, `^CA[0-9a-f]{32}$`, body["sid"])
			assert.Equal(t, "queued", body["status"])
			_, err := twilio.ParseTime(body["date_created"].(string))
			assert.NoError(t, err)
			assert.Nil(t, body["end_time"])
			assert.Nil(t, body["duration"])
		})
	}
	if resp, _ := post(t, srv, twiliotest.AccountSID, "nope", calls, form); true {
		assert.Equal(t, `Basic realm="Twilio API"`, resp.Header.Get("WWW-Authenticate"))
	}
	reqs := srv.Requests()
	require.Len(t, reqs, 4)
	assert.Equal(t, "+15551230000", reqs[0].Form.Get("To"))
	assert.Equal(t, twiliotest.AccountSID, reqs[0].User)
	assert.Equal(t, 3, srv.Stats().Unauthorized+srv.Stats().Creates)
}
