package flows

import (
	"context"
	"fmt"
	"strconv"

	"github.com/callplan/callplan/internal/hangup"
	"github.com/callplan/callplan/metrics"
)

// Reject is switchio's CalleeBlockOnInvite: the callee refuses the INVITE,
// either with a SIP final response (code) or by hanging up with a
// FreeSWITCH cause (cause). The expected refusal is this flow's success.
//
// Expected means: the caller leg was not answered, and it saw the code the
// callee sent (sip_status) or ended with the cause that code maps to
// (mod_sofia.c's mapping) or with the configured cause itself. Counters:
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
			"`503` → `NORMAL_TEMPORARY_FAILURE`, as FreeSWITCH maps them), or with the configured cause. " +
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

// expectation is the SIP code and caller causes a refusal should produce:
// the code FreeSWITCH sends for the cause, and the cause a caller leg gets
// for that code (internal/hangup's table, after mod_sofia.c).
func (f Reject) expectation() (code int, causes []string) {
	if f.Cause != "" {
		c, _ := hangup.ByName(f.Cause) // an unknown name sends 480, as FreeSWITCH's default
		code = c.SIPStatus()
		return code, []string{f.Cause, hangup.ForSIPStatus(code).String()}
	}
	return f.Code, []string{hangup.ForSIPStatus(f.Code).String()}
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
