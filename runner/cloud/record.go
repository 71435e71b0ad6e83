package cloud

import (
	"errors"
	"net/http"
	"strconv"
	"time"

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

// Counters a cloud call adds to its record (summed into the summary's
// flow counters, so an assertion can read flows.twiml.retried_429).
const (
	CountRetried429 = "retried_429" // answers 429 (error 20429) that were retried
	CountRetried5xx = "retried_5xx" // 5xx answers that were retried
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
	case twilio.CodeInvalidFrom, 21210, twilio.CodeAuthenticate:
		return "CALL_REJECTED"
	case twilio.CodeTooManyRequests, twilio.CodeTooManyConcurrent:
		return "SWITCH_CONGESTION"
	}
	var ae *twilio.APIError
	if errors.As(err, &ae) && ae.Status == http.StatusTooManyRequests {
		return "SWITCH_CONGESTION"
	}
	return "NORMAL_TEMPORARY_FAILURE"
}

// refusedForSure reports whether a failed create certainly created no
// call: the API answered 4xx (a refusal, or 429 to the last retry). A 5xx
// or a transport error leaves it open: the call may exist.
func refusedForSure(err error) bool {
	var ae *twilio.APIError
	return errors.As(err, &ae) && ae.Status >= 400 && ae.Status < 500
}

// Figures are the per-call values an event adds to the call's record:
// the SID and the API's queue estimate at create, when the runner first
// saw the call dialled and answered (its own clock, for intervals finer
// than the API's seconds), the final status and duration as the API gives
// them, the error code of a refused create, and the call's retries.
func Figures(e Event) (map[string]string, map[string]int64) {
	f := map[string]string{}
	var counts map[string]int64
	switch e.Kind {
	case Created:
		f[FieldSID] = e.SID
		f[FieldQueueMS] = strconv.FormatInt(e.Call.QueueTime.Milliseconds(), 10)
	case Ringing:
		f[FieldRingingRx] = e.Received.UTC().Format(time.RFC3339Nano)
	case Answered:
		f[FieldAnsweredRx] = e.Received.UTC().Format(time.RFC3339Nano)
	case Ended, Refused:
		if e.Kind == Ended {
			f[FieldStatus] = string(e.Call.Status)
			if e.Call.HasDuration {
				f[FieldDurationS] = strconv.Itoa(int(e.Call.Duration / time.Second))
			}
		} else if code := twilio.ErrorCode(e.Err); code != 0 {
			f[FieldError] = strconv.Itoa(code)
		}
		counts = map[string]int64{CountRetried429: e.Retried429, CountRetried5xx: e.Retried5xx}
	}
	return f, counts
}
