package twilio

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// API error codes callplan acts on (https://www.twilio.com/docs/errors/NNNNN).
const (
	CodeAuthenticate      = 20003 // bad account SID, token, key or secret
	CodeNotFound          = 20404 // no such resource (e.g. an unknown call SID)
	CodeTooManyRequests   = 20429 // the API's request rate limit
	CodeInvalidCallState  = 21220 // the call cannot take this update (already ended)
	CodeInvalidTo         = 21211 // the To number is not valid
	CodeInvalidFrom       = 21212 // the From number is not valid
	CodeMissingParameter  = 21201 // a required parameter is missing
	CodeGeoPermission     = 21215 // calls to that destination are not enabled
	CodeTooManyConcurrent = 20001 // account concurrency exhausted (compatible APIs)
)

// APIError is a non-2xx answer from the API.
type APIError struct {
	Status   int    // HTTP status code
	Code     int    // the API's error code from the JSON body; 0 when absent
	Message  string // the API's message
	MoreInfo string // documentation link, when given
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d", e.Status)
	if e.Code != 0 {
		fmt.Fprintf(&b, ": error %d", e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// parseAPIError builds an APIError from a response body, which Twilio
// writes as {"code": 20404, "message": "...", "more_info": "...",
// "status": 404}. A body that is not that JSON still yields the status and
// a short, single-line excerpt.
func parseAPIError(status int, body []byte) *APIError {
	e := &APIError{Status: status}
	var raw struct {
		Code     json.Number `json:"code"`
		Message  string      `json:"message"`
		MoreInfo string      `json:"more_info"`
	}
	if json.Unmarshal(body, &raw) == nil && (raw.Code != "" || raw.Message != "") {
		if n, err := raw.Code.Int64(); err == nil {
			e.Code = int(n)
		}
		e.Message, e.MoreInfo = oneLine(raw.Message, 200), raw.MoreInfo
		return e
	}
	e.Message = oneLine(string(body), 120)
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}

// ErrorCode returns the API error code carried by err, or 0.
func ErrorCode(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return 0
}

// IsAuth reports whether err is the API refusing the credentials.
func IsAuth(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && (ae.Status == http.StatusUnauthorized || ae.Code == CodeAuthenticate)
}

// redactedError hides the secret from an error's text while keeping the
// chain for errors.Is/As.
type redactedError struct {
	err   error
	creds Credentials
}

func (e *redactedError) Error() string { return e.creds.redact(e.err.Error()) }
func (e *redactedError) Unwrap() error { return e.err }
