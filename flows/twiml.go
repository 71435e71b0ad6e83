package flows

import (
	"context"
	"net/url"
	"strings"

	"github.com/callplan/callplan/metrics"
)

// Twiml is the flow of cloud (twilio://) nodes. The REST API dials the
// call and, on answer, runs the TwiML; callplan only ends the call after
// the hold. It needs no leg control, which is why it is the one flow a
// cloud node runs (plan/cloud.go refuses the others there).
type Twiml struct{}

var _ Flow = Twiml{}

func twimlSpec() Spec {
	return Spec{
		Name: "twiml",
		Doc: "Cloud nodes (twilio://) only: the API dials the call and the answered call runs the TwiML (the node's, or this flow's own); " +
			"callplan ends the call through the API after the stage's hold (docs/cloud.md).",
		Params: []Param{
			{Name: "twiml", Type: TypeString, Group: "twiml", Doc: "Inline TwiML for this flow's calls instead of the node's (at most 4000 characters). Not with url."},
			{Name: "url", Type: TypeString, Group: "twiml", Doc: "URL the API fetches this flow's TwiML from instead of the node's. Not with twiml."},
		},
		Check: checkTwiml,
		New:   func(Params) (Flow, error) { return Twiml{}, nil },
		Judges: "Success: the call was answered and callplan ended it (`NORMAL_CLEARING`) after the hold. " +
			"Failure reasons: the cause mapped from the API's final status (`USER_BUSY`, `NO_ANSWER`, `ORIGINATOR_CANCEL`, " +
			"`NORMAL_TEMPORARY_FAILURE` for failed) or from a refused create (`INVALID_NUMBER_FORMAT`, `OUTGOING_CALL_BARRED`, ...), " +
			"`not_answered`, or `early_hangup` (the TwiML or the far end ended it before the hold).",
		Counters: []Measure{
			{Name: "retried_429", Doc: "answers 429 (error 20429) the call's requests got and retried"},
			{Name: "retried_5xx", Doc: "5xx answers the call's requests got and retried"},
		},
		Fields: []Measure{
			{Name: "sid", Doc: "the API's call SID"},
			{Name: "api_status", Doc: "the API's final status (completed, busy, no-answer, failed, canceled)"},
			{Name: "api_duration", Doc: "the API's duration, whole seconds"},
			{Name: "api_error", Doc: "the API's error code when the create request failed"},
			{Name: "queue_time_ms", Doc: "the API's estimate of the wait in its CPS queue at create, ms"},
			{Name: "ringing_seen", Doc: "the runner's clock when a status poll first showed the call dialled"},
			{Name: "answered_seen", Doc: "the runner's clock when a status poll first showed the call answered"},
		},
	}
}

// checkTwiml checks the flow's own TwiML source, when given.
func checkTwiml(with map[string]string) []ParamError {
	var errs []ParamError
	if t, ok := with["twiml"]; ok && !strings.HasPrefix(strings.TrimSpace(t), "<") {
		errs = append(errs, ParamError{Param: "twiml", Msg: "want TwiML, e.g. <Response><Pause length=\"60\"/></Response>"})
	}
	if u, ok := with["url"]; ok {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			errs = append(errs, ParamError{Param: "url", Msg: "want an http(s) URL the API can fetch"})
		}
	}
	return errs
}

// Use implements Flow.
func (Twiml) Use() string { return "twiml" }

// On implements Flow: once the caller (the API's call) is answered, hold,
// then end it; the cloud driver turns the hangup into Status=completed.
func (Twiml) On(_ context.Context, c *Call, ev Event) error {
	if ev.Kind == CallerAnswered {
		holdThenHangup(c)
	}
	return nil
}

// Judge implements Flow.
func (Twiml) Judge(r *metrics.Record) { judgeAnswered(r) }
