package metrics

import (
	"strings"
	"time"
)

// Outcome is how one call ended, judged against what its flow expects.
type Outcome string

const (
	// OutcomeOK: the call ended as its flow expects (for park: answered and
	// held; for reject: refused with the configured code).
	OutcomeOK Outcome = "ok"
	// OutcomeFailed: anything else; Record.Reason says why.
	OutcomeFailed Outcome = "failed"
	// OutcomeUnknown: the runner lost sight of the call (its node's ESL
	// connection dropped), so it is neither counted ok nor failed.
	OutcomeUnknown Outcome = "unknown"
)

// Record is one call: everything the runner learnt about it, written as one
// CDR row when it ends. Timestamps of channel events come from FreeSWITCH's
// Event-Date-Timestamp (the node's clock); OriginateSent is the runner's
// clock. A zero time means the event never happened.
type Record struct {
	Run        string `json:"run"`
	Call       string `json:"call"`
	Stage      string `json:"stage"`
	Flow       string `json:"flow"`
	CallerNode string `json:"caller_node"`
	CalleeNode string `json:"callee_node,omitempty"`

	OriginateSent  time.Time `json:"originate_sent,omitzero"`
	CallerCreate   time.Time `json:"caller_create,omitzero"`
	CallerProgress time.Time `json:"caller_progress,omitzero"`
	CallerAnswer   time.Time `json:"caller_answer,omitzero"`
	CalleeCreate   time.Time `json:"callee_create,omitzero"`
	CalleeAnswer   time.Time `json:"callee_answer,omitzero"`
	CallerHangup   time.Time `json:"caller_hangup,omitzero"`
	CalleeHangup   time.Time `json:"callee_hangup,omitzero"`

	CallerCause string `json:"caller_cause,omitempty"`
	CalleeCause string `json:"callee_cause,omitempty"`
	// SIPStatus is the final SIP status seen on the caller leg
	// (sip_term_status, or 200 when answered); 0 when none was seen.
	SIPStatus int `json:"sip_status,omitempty"`
	// OriginateResult is the BACKGROUND_JOB body's first line: "+OK <uuid>"
	// or "-ERR <CAUSE>"; empty when no result arrived.
	OriginateResult string `json:"originate_result,omitempty"`

	// EndedByFlow is set when the flow hung up the caller leg itself (after
	// the hold, say); a call that ended otherwise was ended by the far end,
	// the SUT or the node.
	EndedByFlow bool `json:"ended_by_flow,omitempty"`

	Outcome Outcome `json:"outcome"`
	// Reason says why a call failed: a hangup cause, "sip_<code>",
	// "no_callee_leg", "originate_<CAUSE>", or a flow's own reason.
	Reason string `json:"reason,omitempty"`

	// Fields are the flow's own per-call values, written to the CDR.
	Fields map[string]string `json:"fields,omitempty"`
	// Counts are the flow's own counters for this call; they are summed
	// into the summary's counters (e.g. reject's "unexpected").
	Counts map[string]int64 `json:"counts,omitempty"`
}

// Answered reports whether the caller leg was answered.
func (r *Record) Answered() bool { return !r.CallerAnswer.IsZero() }

// since returns to - from when both happened and to is not before from.
func since(from, to time.Time) (time.Duration, bool) {
	if from.IsZero() || to.IsZero() || to.Before(from) {
		return 0, false
	}
	return to.Sub(from), true
}

// PDD is the post-dial delay: from the caller leg's CHANNEL_CREATE to the
// first of its CHANNEL_PROGRESS / CHANNEL_PROGRESS_MEDIA / CHANNEL_ANSWER.
// Both ends are on the caller node's clock.
func (r *Record) PDD() (time.Duration, bool) {
	end := r.CallerProgress
	if end.IsZero() || (!r.CallerAnswer.IsZero() && r.CallerAnswer.Before(end)) {
		end = r.CallerAnswer
	}
	return since(r.CallerCreate, end)
}

// SetupLatency runs from the caller leg's CHANNEL_CREATE to the callee leg's
// CHANNEL_CREATE: how long the INVITE took through the SUT. When the legs
// are on different nodes it includes their clock offset.
func (r *Record) SetupLatency() (time.Duration, bool) {
	return since(r.CallerCreate, r.CalleeCreate)
}

// AnswerLatency runs from the caller leg's CHANNEL_CREATE to its
// CHANNEL_ANSWER.
func (r *Record) AnswerLatency() (time.Duration, bool) {
	return since(r.CallerCreate, r.CallerAnswer)
}

// Duration is the answered (billable) time: from the caller leg's
// CHANNEL_ANSWER to its hangup.
func (r *Record) Duration() (time.Duration, bool) {
	return since(r.CallerAnswer, r.CallerHangup)
}

// Cause is the cause the call is counted under: the caller leg's hangup
// cause, or the originate error cause when the leg never existed.
func (r *Record) Cause() string {
	if r.CallerCause != "" {
		return r.CallerCause
	}
	if c, ok := strings.CutPrefix(r.OriginateResult, "-ERR "); ok {
		return strings.TrimSpace(c)
	}
	return ""
}
