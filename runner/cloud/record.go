package cloud

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/callplan/callplan/metrics"
	"github.com/callplan/callplan/twilio"
)

// CDR field names a cloud call adds to its record.
const (
	FieldSID        = "sid"           // the API's call SID
	FieldStatus     = "api_status"    // the API's final status
	FieldError      = "api_error"     // the API's error code, when a request failed
	FieldQueueMS    = "queue_time_ms" // the API's queue_time estimate at create, ms
	FieldDurationS  = "api_duration"  // the API's duration, whole seconds
	FieldRingingRx  = "ringing_seen"  // runner clock: first answer showing the call dialled
	FieldAnsweredRx = "answered_seen" // runner clock: first answer showing it answered
)

// Cause maps a final status to the FreeSWITCH hangup cause callplan's
// records, assertions and reports use for every node kind, so `asr` and
// `causes` read the same on a cloud node as on FreeSWITCH.
func Cause(s twilio.Status) string {
	switch s {
	case twilio.StatusCompleted:
		return "NORMAL_CLEARING"
	case twilio.StatusBusy:
		return "USER_BUSY"
	case twilio.StatusNoAnswer:
		return "NO_ANSWER"
	case twilio.StatusCanceled:
		// Ended before answer through the API: by this run (Ctrl-C, the
		// drain) or by another client of the account.
		return "ORIGINATOR_CANCEL"
	case twilio.StatusFailed:
		// The API does not say why (an unroutable number, a carrier
		// refusal, its own error); api_status in the CDR says "failed".
		return "NORMAL_TEMPORARY_FAILURE"
	}
	return ""
}

// CreateCause maps a failed create request to a hangup cause: the API's
// error code when it gave one, else the HTTP status class.
func CreateCause(err error) string {
	switch twilio.ErrorCode(err) {
	case twilio.CodeInvalidTo, 13223, 13224, 21214:
		return "INVALID_NUMBER_FORMAT"
	case twilio.CodeGeoPermission, 21216, 13227:
		return "OUTGOING_CALL_BARRED"
	case twilio.CodeInvalidFrom, 21210:
		return "CALL_REJECTED"
	case twilio.CodeTooManyRequests, twilio.CodeTooManyConcurrent:
		return "SWITCH_CONGESTION"
	case twilio.CodeAuthenticate:
		return "CALL_REJECTED"
	}
	var ae *twilio.APIError
	if errors.As(err, &ae) && ae.Status == http.StatusTooManyRequests {
		return "SWITCH_CONGESTION"
	}
	return "NORMAL_TEMPORARY_FAILURE"
}

// Apply writes the API's view of a call into its record: times on the
// API's clock (whole seconds), the cause mapped from the final status, the
// SID and the API's own figures as CDR fields.
func Apply(r *metrics.Record, c twilio.Call) {
	r.CallerCreate = c.DateCreated
	if !c.StartTime.IsZero() && c.Status != twilio.StatusFailed {
		r.CallerProgress = c.StartTime
	}
	if a := c.AnswerTime(); !a.IsZero() {
		r.CallerAnswer = a
		r.SIPStatus = http.StatusOK
	}
	if c.Status.Final() {
		r.CallerHangup = c.EndTime
		r.CallerCause = Cause(c.Status)
		setField(r, FieldStatus, string(c.Status))
		if c.HasDuration {
			setField(r, FieldDurationS, strconv.Itoa(int(c.Duration/time.Second)))
		}
	}
	setField(r, FieldSID, c.SID)
}

// ApplyCreate records a create request that failed: the originate result
// carries the mapped cause (so Record.Cause reads it) and the API's code
// goes in the CDR.
func ApplyCreate(r *metrics.Record, err error) {
	r.OriginateResult = "-ERR " + CreateCause(err)
	if code := twilio.ErrorCode(err); code != 0 {
		setField(r, FieldError, strconv.Itoa(code))
	}
}

// ApplyEvent keeps what an event says that the final view does not: the
// queue estimate from the create answer, and when the runner first saw
// the call dialled and answered (its own clock, for intervals finer than
// the API's seconds).
func ApplyEvent(r *metrics.Record, e Event) {
	switch e.Kind {
	case Created:
		setField(r, FieldQueueMS, strconv.FormatInt(e.Call.QueueTime.Milliseconds(), 10))
		setField(r, FieldSID, e.SID)
	case Ringing:
		setField(r, FieldRingingRx, e.Received.UTC().Format(time.RFC3339Nano))
	case Answered:
		setField(r, FieldAnsweredRx, e.Received.UTC().Format(time.RFC3339Nano))
	case Ended:
		Apply(r, e.Call)
		countRetries(r, e)
	case Refused:
		ApplyCreate(r, e.Err)
		countRetries(r, e)
	}
}

// Counters a cloud call adds to its record (summed into the summary's
// flow counters, so an assertion can read flows.twiml.retried_429).
const (
	CountRetried429 = "retried_429" // answers 429 (error 20429) that were retried
	CountRetried5xx = "retried_5xx" // 5xx answers that were retried
)

func countRetries(r *metrics.Record, e Event) {
	if r.Counts == nil {
		r.Counts = map[string]int64{}
	}
	r.Counts[CountRetried429] += e.Retried429
	r.Counts[CountRetried5xx] += e.Retried5xx
}

func setField(r *metrics.Record, k, v string) {
	if r.Fields == nil {
		r.Fields = map[string]string{}
	}
	r.Fields[k] = v
}
