package cloud

import (
	"time"

	"github.com/callplan/callplan/twilio"
)

// Kind says what happened to a cloud call.
type Kind int

// Event kinds, in the order a call goes through them. A call that is never
// dialled (canceled while queued, failed at once) goes from Created to
// Ended; a create the API refused is Refused and nothing else.
const (
	// Created: the API accepted the call and returned its SID (queued).
	Created Kind = iota + 1
	// Ringing: the API began dialling (the call left the CPS queue).
	Ringing
	// Answered: the far end answered; the TwiML runs.
	Answered
	// Ended: the call reached a final status; Event.Call has the API's
	// end time and duration.
	Ended
	// Refused: the create request failed (Event.Err; Event.Code is the
	// API's error code, 0 for a transport error).
	Refused
)

var kindNames = [...]string{Created: "created", Ringing: "ringing", Answered: "answered", Ended: "ended", Refused: "refused"}

func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Event is one thing that happened to a call of this run.
type Event struct {
	Kind   Kind
	CallID string // the runner's call id
	SID    string // the API's call SID ("" when Refused)
	// At is when it happened on the API's clock (whole seconds); zero when
	// the API gives no time for it.
	At time.Time
	// Received is when the runner learnt it (its own clock): the create
	// answer, or the poll answer that first showed the new status, so at
	// most one polling interval after the fact.
	Received time.Time
	// Call is the API's latest view of the call.
	Call twilio.Call
	Err  error
	Code int
	// Retried429 and Retried5xx count the answers the call's requests got
	// that were retried (on Ended and Refused: the call's totals).
	Retried429, Retried5xx int64
}
