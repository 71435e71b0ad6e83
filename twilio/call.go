package twilio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Status is a call's status as the API reports it.
type Status string

// Call statuses, in the order a call moves through them.
const (
	StatusQueued     Status = "queued"
	StatusRinging    Status = "ringing"
	StatusInProgress Status = "in-progress"
	StatusCompleted  Status = "completed"
	StatusBusy       Status = "busy"
	StatusFailed     Status = "failed"
	StatusNoAnswer   Status = "no-answer"
	StatusCanceled   Status = "canceled"
)

// Final reports whether a call in status s is over.
func (s Status) Final() bool {
	switch s {
	case StatusCompleted, StatusBusy, StatusFailed, StatusNoAnswer, StatusCanceled:
		return true
	}
	return false
}

// TimeLayout is how the API writes times: RFC 2822 in UTC, to the second
// ("Tue, 31 Aug 2010 20:36:28 +0000").
const TimeLayout = time.RFC1123Z

// Call is a Call resource. Times come from the API's clock, to the second;
// a zero time means the API gave none (not dialled yet, still up).
type Call struct {
	SID         string
	AccountSID  string
	To          string
	From        string
	Status      Status
	Direction   string
	DateCreated time.Time
	DateUpdated time.Time
	StartTime   time.Time // dialling began (after any queueing)
	EndTime     time.Time
	// Duration is the answered time in whole seconds; HasDuration is false
	// while the API leaves it empty.
	Duration    time.Duration
	HasDuration bool
	// QueueTime is the API's estimate of the wait before dialling, which
	// grows when calls are created faster than the account's CPS.
	QueueTime time.Duration
}

// AnswerTime is when the call was answered, on the API's clock: EndTime
// minus Duration for an answered, ended call (the Call resource has no
// answer time of its own), zero otherwise.
func (c Call) AnswerTime() time.Time {
	if c.Status != StatusCompleted || c.EndTime.IsZero() || !c.HasDuration {
		return time.Time{}
	}
	return c.EndTime.Add(-c.Duration)
}

// wireCall is the JSON shape. Compatible APIs differ on strings vs numbers
// for the numeric fields, hence flexInt.
type wireCall struct {
	SID         string  `json:"sid"`
	AccountSID  string  `json:"account_sid"`
	To          string  `json:"to"`
	From        string  `json:"from"`
	Status      Status  `json:"status"`
	Direction   string  `json:"direction"`
	DateCreated string  `json:"date_created"`
	DateUpdated string  `json:"date_updated"`
	StartTime   string  `json:"start_time"`
	EndTime     string  `json:"end_time"`
	Duration    flexInt `json:"duration"`
	QueueTime   flexInt `json:"queue_time"`
}

// UnmarshalJSON decodes the API's representation.
func (c *Call) UnmarshalJSON(b []byte) error {
	var w wireCall
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*c = Call{SID: w.SID, AccountSID: w.AccountSID, To: w.To, From: w.From, Status: w.Status, Direction: w.Direction}
	var err error
	for _, f := range []struct {
		dst *time.Time
		src string
	}{{&c.DateCreated, w.DateCreated}, {&c.DateUpdated, w.DateUpdated}, {&c.StartTime, w.StartTime}, {&c.EndTime, w.EndTime}} {
		if *f.dst, err = ParseTime(f.src); err != nil {
			return err
		}
	}
	if w.Duration.ok {
		c.Duration, c.HasDuration = time.Duration(w.Duration.n)*time.Second, true
	}
	if w.QueueTime.ok {
		c.QueueTime = time.Duration(w.QueueTime.n) * time.Millisecond
	}
	return nil
}

// ParseTime parses an API time; "" is the zero time.
func ParseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(TimeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q: %w", s, err)
	}
	return t, nil
}

// flexInt is an integer written as a JSON number, a string or null.
type flexInt struct {
	n  int64
	ok bool
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	b = bytes.Trim(b, `"`)
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	n, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("number %q: %w", b, err)
	}
	f.n, f.ok = int64(n), true
	return nil
}

// CreateParams are the parameters of a new outbound call.
type CreateParams struct {
	To   string
	From string
	// Exactly one of Twiml (inline TwiML) and URL (where the API fetches
	// TwiML when the call is answered).
	Twiml string
	URL   string
	// StatusCallback, when set, is where the API posts status changes;
	// StatusCallbackEvent lists which (initiated, ringing, answered,
	// completed).
	StatusCallback      string
	StatusCallbackEvent []string
	// Timeout is how long the API lets the call ring, seconds (0: the
	// API's default, 60).
	Timeout int
	// TimeLimit is the longest the call may last, seconds (0: the API's
	// default, four hours). A cost guard: the API ends the call itself even
	// if callplan dies.
	TimeLimit int
}

// Form is the request body, in a stable order, for sending and for showing
// in a dry run.
func (p CreateParams) Form() (url.Values, error) {
	switch {
	case p.To == "":
		return nil, errors.New("call parameters: To is required")
	case p.From == "":
		return nil, errors.New("call parameters: From is required")
	case (p.Twiml == "") == (p.URL == ""):
		return nil, errors.New("call parameters: give exactly one of Twiml and Url")
	}
	f := url.Values{"To": {p.To}, "From": {p.From}}
	if p.Twiml != "" {
		f.Set("Twiml", p.Twiml)
	} else {
		f.Set("Url", p.URL)
	}
	if p.StatusCallback != "" {
		f.Set("StatusCallback", p.StatusCallback)
		for _, e := range p.StatusCallbackEvent {
			f.Add("StatusCallbackEvent", e)
		}
	}
	if p.Timeout > 0 {
		f.Set("Timeout", strconv.Itoa(p.Timeout))
	}
	if p.TimeLimit > 0 {
		f.Set("TimeLimit", strconv.Itoa(p.TimeLimit))
	}
	return f, nil
}

// CreateCall starts an outbound call. The returned Call carries the SID
// the API assigned; record it before anything else, it is what ends the
// call later.
func (c *Client) CreateCall(ctx context.Context, p CreateParams) (*Call, error) {
	form, err := p.Form()
	if err != nil {
		return nil, err
	}
	var call Call
	if err := c.do(ctx, "create call", http.MethodPost, c.CallsURL(), form, &call); err != nil {
		return nil, err
	}
	if call.SID == "" {
		return nil, errors.New("create call: the API answered without a call SID")
	}
	return &call, nil
}

// FetchCall reads one call.
func (c *Client) FetchCall(ctx context.Context, sid string) (*Call, error) {
	if err := checkSID(sid); err != nil {
		return nil, err
	}
	var call Call
	if err := c.do(ctx, "fetch call "+sid, http.MethodGet, CallURL(c.base, c.creds.AccountSID, sid), nil, &call); err != nil {
		return nil, err
	}
	return &call, nil
}

// UpdateCall sets a call's status: StatusCompleted hangs it up whatever its
// state, StatusCanceled cancels it while queued or ringing.
func (c *Client) UpdateCall(ctx context.Context, sid string, to Status) (*Call, error) {
	if to != StatusCompleted && to != StatusCanceled {
		return nil, fmt.Errorf("update call %s: status %q: want completed or canceled", sid, to)
	}
	if err := checkSID(sid); err != nil {
		return nil, err
	}
	var call Call
	form := url.Values{"Status": {string(to)}}
	if err := c.do(ctx, "update call "+sid, http.MethodPost, CallURL(c.base, c.creds.AccountSID, sid), form, &call); err != nil {
		return nil, err
	}
	return &call, nil
}

// EndCall ends a call idempotently: it reads the call, does nothing if it
// is over, cancels it while queued or ringing, and completes it when
// answered (or when it was answered between the read and the cancel). It
// reports whether this call to EndCall ended it; an already ended call is
// (false, nil).
func (c *Client) EndCall(ctx context.Context, sid string) (ended bool, err error) {
	call, err := c.FetchCall(ctx, sid)
	if err != nil {
		return false, err
	}
	if call.Status.Final() {
		return false, nil
	}
	if call.Status != StatusInProgress {
		after, err := c.UpdateCall(ctx, sid, StatusCanceled)
		switch {
		case err == nil && after.Status.Final():
			return true, nil
		case err != nil && ErrorCode(err) != CodeInvalidCallState:
			return false, err
		}
		// Answered in between: fall through to completed.
	}
	after, err := c.UpdateCall(ctx, sid, StatusCompleted)
	if ErrorCode(err) == CodeInvalidCallState {
		// It ended on its own between the read and the update.
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return after.Status.Final(), nil
}

// checkSID refuses a call SID that could change the request path.
func checkSID(sid string) error {
	if sid == "" || !isAlnum(sid) {
		return fmt.Errorf("call SID %q: want letters and digits only", strings.ToValidUTF8(sid, "?"))
	}
	return nil
}

// Account is the part of the Account resource a health check reads.
type Account struct {
	SID    string `json:"sid"`
	Status string `json:"status"` // active, suspended, closed
}

// FetchAccount reads the client's account: a cheap request that proves the
// credentials and the base URL before any call is created (and billed).
func (c *Client) FetchAccount(ctx context.Context) (*Account, error) {
	var a Account
	u := strings.TrimRight(c.base, "/") + "/" + APIVersion + "/Accounts/" + url.PathEscape(c.creds.AccountSID) + ".json"
	if err := c.do(ctx, "fetch account", http.MethodGet, u, nil, &a); err != nil {
		return nil, err
	}
	if a.Status != "" && a.Status != "active" {
		return &a, fmt.Errorf("account %s is %s", a.SID, a.Status)
	}
	return &a, nil
}
