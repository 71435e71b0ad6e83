package flows

import (
	"context"
	"fmt"
	"strconv"

	"github.com/callplan/callplan/metrics"
)

// Reject is switchio's CalleeBlockOnInvite: the callee refuses the INVITE,
// either with a SIP final response (code) or by hanging up with a
// FreeSWITCH cause (cause). The expected refusal is this flow's success.
//
// Expected means: the caller leg was not answered, and it saw the code the
// callee sent (sip_status) or ended with the cause that code maps to
// (esl-reference 5.5) or with the configured cause itself. Counters:
// expected, unexpected (the callee leg arrived but the caller saw
// something else — answered, or another code: the SUT rewrote or lost the
// refusal).
type Reject struct {
	Code  int    // SIP code to respond with; 0 when Cause is used
	Cause string // hangup cause to refuse with
}

var _ Flow = Reject{}

func rejectSpec() Spec {
	return Spec{
		Name: "reject",
		Doc:  "The callee refuses the INVITE (switchio's CalleeBlockOnInvite): it responds with a SIP code or hangs up with a cause. The expected failure counts as success for this flow.",
		Params: []Param{
			{Name: "code", Type: TypeInt, Default: "486", Min: 400, Max: 699, Group: "refusal", Doc: "SIP final response code to refuse with (respond CODE), 400-699. Not with cause."},
			{Name: "cause", Type: TypeEnum, Enum: hangupCauses(), Group: "refusal", Doc: "FreeSWITCH hangup cause to refuse with instead of a code (uuid_kill UUID CAUSE), e.g. CALL_REJECTED."},
		},
		New: newReject,
		Judges: "Success (the expected refusal): the caller leg was not answered, and it received the code (its `sip_term_status`), " +
			"or ended with the cause that code maps to (`486` → `USER_BUSY`, `603` → `CALL_REJECTED`, `404` → `UNALLOCATED_NUMBER`, " +
			"`503` → `NORMAL_TEMPORARY_FAILURE`; esl-reference 5.5), or with the configured cause. " +
			"Failure reasons: `unexpected_answer`, `unexpected_sip_<code>`, `unexpected_<CAUSE>`.",
		Counters: []Measure{
			{Name: "expected", Doc: "the caller saw the refusal the callee sent"},
			{Name: "unexpected", Doc: "the callee leg arrived but the caller saw something else (answered, or another code): the SUT rewrote or lost the refusal"},
		},
		Fields: []Measure{{Name: "expected_sip", Doc: "the SIP code the refusal should produce"}},
	}
}

func newReject(p Params) (Flow, error) {
	code, hasCode, err := p.int("code")
	if err != nil {
		return nil, err
	}
	if hasCode {
		return Reject{Code: code}, nil
	}
	if c := p["cause"]; c != "" {
		return Reject{Cause: c}, nil
	}
	return Reject{Code: 486}, nil
}

// Use implements Flow.
func (Reject) Use() string { return "reject" }

// On implements Flow.
func (f Reject) On(ctx context.Context, c *Call, ev Event) error {
	if ev.Kind != CalleeArrived {
		return nil
	}
	if f.Cause != "" {
		if err := c.Callee.Hangup(ctx, f.Cause); err != nil {
			return fmt.Errorf("rejecting with %s: %w", f.Cause, err)
		}
		return nil
	}
	if err := c.Callee.Respond(ctx, f.Code); err != nil {
		return fmt.Errorf("responding %d: %w", f.Code, err)
	}
	return nil
}

// expectation is the SIP code and caller causes a refusal should produce.
func (f Reject) expectation() (code int, causes []string) {
	if f.Cause != "" {
		code = CauseToSIP(f.Cause)
		return code, []string{f.Cause, SIPToCause(code)}
	}
	return f.Code, []string{SIPToCause(f.Code)}
}

// Judge implements Flow.
func (f Reject) Judge(r *metrics.Record) {
	code, causes := f.expectation()
	field(r, "expected_sip", strconv.Itoa(code))
	matched := r.SIPStatus == code
	for _, c := range causes {
		if c != "" && r.Cause() == c {
			matched = true
		}
	}
	if !r.Answered() && matched {
		count(r, "expected")
		ok(r)
		return
	}
	count(r, "unexpected")
	switch {
	case r.Answered():
		fail(r, "unexpected_answer")
	case r.SIPStatus > 0:
		fail(r, "unexpected_sip_"+strconv.Itoa(r.SIPStatus))
	default:
		fail(r, "unexpected_"+endedReason(r))
	}
}

// sipOfCause is what FreeSWITCH sends when it refuses an unanswered INVITE
// with a cause (esl-reference 5.5); unlisted causes send 480.
var sipOfCause = map[string]int{
	"UNALLOCATED_NUMBER": 404, "NO_ROUTE_DESTINATION": 404, "USER_BUSY": 486,
	"NO_USER_RESPONSE": 408, "NO_ANSWER": 480, "SUBSCRIBER_ABSENT": 480,
	"CALL_REJECTED": 603, "NUMBER_CHANGED": 410, "EXCHANGE_ROUTING_ERROR": 483,
	"DESTINATION_OUT_OF_ORDER": 502, "INVALID_NUMBER_FORMAT": 484,
	"NORMAL_UNSPECIFIED": 480, "NETWORK_OUT_OF_ORDER": 503,
	"NORMAL_TEMPORARY_FAILURE": 503, "NORMAL_CIRCUIT_CONGESTION": 503,
	"SWITCH_CONGESTION": 503, "SERVICE_UNAVAILABLE": 480,
	"SERVICE_NOT_IMPLEMENTED": 501, "INCOMPATIBLE_DESTINATION": 488,
	"RECOVERY_ON_TIMER_EXPIRE": 504, "INTERWORKING": 480, "NORMAL_CLEARING": 480,
}

// CauseToSIP is the SIP final response FreeSWITCH sends for a cause.
func CauseToSIP(cause string) int {
	if c, ok := sipOfCause[cause]; ok {
		return c
	}
	return 480
}

// causeOfSIP is the cause FreeSWITCH gives a leg that receives a final
// response (esl-reference 5.5); unlisted codes give NORMAL_UNSPECIFIED.
var causeOfSIP = map[int]string{
	404: "UNALLOCATED_NUMBER", 485: "NO_ROUTE_DESTINATION", 604: "NO_ROUTE_DESTINATION",
	486: "USER_BUSY", 600: "USER_BUSY", 480: "NO_USER_RESPONSE",
	401: "CALL_REJECTED", 402: "CALL_REJECTED", 403: "CALL_REJECTED", 407: "CALL_REJECTED",
	603: "CALL_REJECTED", 608: "CALL_REJECTED", 410: "NUMBER_CHANGED",
	482: "EXCHANGE_ROUTING_ERROR", 483: "EXCHANGE_ROUTING_ERROR", 484: "INVALID_NUMBER_FORMAT",
	502: "NETWORK_OUT_OF_ORDER", 400: "NORMAL_TEMPORARY_FAILURE", 481: "NORMAL_TEMPORARY_FAILURE",
	500: "NORMAL_TEMPORARY_FAILURE", 503: "NORMAL_TEMPORARY_FAILURE", 405: "SERVICE_UNAVAILABLE",
	406: "SERVICE_NOT_IMPLEMENTED", 415: "SERVICE_NOT_IMPLEMENTED", 501: "SERVICE_NOT_IMPLEMENTED",
	488: "INCOMPATIBLE_DESTINATION", 606: "INCOMPATIBLE_DESTINATION",
	408: "RECOVERY_ON_TIMER_EXPIRE", 504: "RECOVERY_ON_TIMER_EXPIRE",
	413: "INTERWORKING", 414: "INTERWORKING", 416: "INTERWORKING", 420: "INTERWORKING",
	421: "INTERWORKING", 423: "INTERWORKING", 505: "INTERWORKING", 513: "INTERWORKING",
	487: "ORIGINATOR_CANCEL",
}

// SIPToCause is the cause a FreeSWITCH leg ends with when it receives code.
func SIPToCause(code int) string {
	if c, ok := causeOfSIP[code]; ok {
		return c
	}
	return "NORMAL_UNSPECIFIED"
}
