package twilio

import (
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Status callback events a create request can ask for
// (StatusCallbackEvent): the API then posts the call's status to
// StatusCallback at each.
const (
	EventInitiated = "initiated"
	EventRinging   = "ringing"
	EventAnswered  = "answered"
	EventCompleted = "completed" // any final status
)

// StatusCallback is one status callback request the API posts
// (form-encoded): the call, its status, and when, on the API's clock.
type StatusCallback struct {
	SID       string
	Status    Status
	Timestamp time.Time // whole seconds
	// Duration is CallDuration, sent with a final status.
	Duration    time.Duration
	HasDuration bool
	Sequence    int
}

// ParseStatusCallback reads a callback's form.
func ParseStatusCallback(f url.Values) (StatusCallback, error) {
	cb := StatusCallback{SID: f.Get("CallSid"), Status: Status(f.Get("CallStatus"))}
	if cb.SID == "" || !isAlnum(cb.SID) {
		return StatusCallback{}, fmt.Errorf("status callback: CallSid %q: want letters and digits", cb.SID)
	}
	switch cb.Status {
	case StatusQueued, StatusRinging, StatusInProgress, StatusCompleted, StatusBusy, StatusFailed, StatusNoAnswer, StatusCanceled:
	default:
		return StatusCallback{}, fmt.Errorf("status callback: unknown CallStatus %q", cb.Status)
	}
	var err error
	if cb.Timestamp, err = ParseTime(f.Get("Timestamp")); err != nil {
		return StatusCallback{}, fmt.Errorf("status callback: %w", err)
	}
	if d := f.Get("CallDuration"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 {
			return StatusCallback{}, fmt.Errorf("status callback: CallDuration %q", d)
		}
		cb.Duration, cb.HasDuration = time.Duration(n)*time.Second, true
	}
	if s := f.Get("SequenceNumber"); s != "" {
		cb.Sequence, _ = strconv.Atoi(s)
	}
	return cb, nil
}

// Call is the callback's view of the call: status and last update time
// only (fetch the call for its other times).
func (cb StatusCallback) Call() Call {
	return Call{SID: cb.SID, Status: cb.Status, DateUpdated: cb.Timestamp, Duration: cb.Duration, HasDuration: cb.HasDuration}
}
