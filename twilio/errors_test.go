package twilio

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseAPIError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		want   APIError
		text   string
	}{
		{"twilio body", 401, `{"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}`,
			APIError{Status: 401, Code: 20003, Message: "Authenticate", MoreInfo: "https://www.twilio.com/docs/errors/20003"}, "HTTP 401: error 20003: Authenticate"},
		{"code as string", 429, `{"code": "20429", "message": "Too Many Requests"}`,
			APIError{Status: 429, Code: 20429, Message: "Too Many Requests"}, "HTTP 429: error 20429: Too Many Requests"},
		{"html from a proxy", 502, "<html>\n<body>Bad   Gateway</body></html>",
			APIError{Status: 502, Message: "<html> <body>Bad Gateway</body></html>"}, "HTTP 502: <html> <body>Bad Gateway</body></html>"},
		{"empty", 503, "", APIError{Status: 503, Message: "Service Unavailable"}, "HTTP 503: Service Unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := parseAPIError(tt.status, []byte(tt.body))
			assert.Equal(t, tt.want, *got)
			assert.Equal(t, tt.text, got.Error())
		})
	}
}

func TestRedactedErrorKeepsChain(t *testing.T) {
	t.Parallel()
	c := NewCredentials("AC1", "tok-secret")
	inner := &APIError{Status: 400, Code: 21211, Message: "To tok-secret is invalid"}
	err := &redactedError{err: fmt.Errorf("create call: %w", inner), creds: c}
	assert.Equal(t, "create call: HTTP 400: error 21211: To *** is invalid", err.Error())
	assert.Equal(t, 21211, ErrorCode(err))
	var ae *APIError
	assert.True(t, errors.As(err, &ae))
}

func FuzzParseAPIError(f *testing.F) {
	f.Add(400, []byte(`{"code": 21211, "message": "bad To"}`))
	f.Add(500, []byte(`not json`))
	f.Add(429, []byte(`{"code": 1e400}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := parseAPIError(status, body)
		if e.Status != status || len(e.Message) > 210 {
			t.Fatalf("parseAPIError(%d, %q) = %+v", status, body, e)
		}
	})
}

// Any body the API (or something in front of it) sends decodes or fails
// cleanly; a decoded call's times are UTC-comparable and durations >= 0
// when the API's were.
func FuzzCallUnmarshal(f *testing.F) {
	f.Add([]byte(`{"sid":"CA1","status":"completed","date_created":"Tue, 31 Aug 2010 20:36:28 +0000","end_time":"Tue, 31 Aug 2010 20:36:44 +0000","duration":"15","queue_time":"1000"}`))
	f.Add([]byte(`{"sid":"CA1","status":"queued","duration":null,"queue_time":0}`))
	f.Add([]byte(`{"duration": 1e30}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var c Call
		if err := c.UnmarshalJSON(body); err != nil {
			return
		}
		_ = c.AnswerTime()
		_ = c.Status.Final()
	})
}
