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
// Event-Date-Timestamp (the node's clock); Received holds the runner's
// receipt times of the same events, and OriginateSent is the runner's
// clock too. A zero time means the event never happened. Each interval is
// computed on one clock, named by Clock (docs/metrics.md, "Clocks").
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
	// Received are the same events' times on the runner's receipt clock.
	Received Received `json:"received,omitzero"`
	// Clock is the clock the intervals are computed on: ClockNode (the
	// caller node's stamps; empty reads the same) or ClockReceipt. The
	// collector sets it as the call ends, from what it knows of the
	// caller node's clock (ClockBook).
	Clock Clock `json:"clock,omitempty"`

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

	// Timings and Values are the flow's own figures for this call
	// (figures.go): kept as distributions per flow, e.g. bert's sync_time.
	Timings map[string]time.Duration `json:"timings,omitempty"`
	Values  map[string]float64       `json:"values,omitempty"`

	// CallerMedia and CalleeMedia are what each leg measured of the audio
	// it received (quality.go); zero when the leg had no media.
	CallerMedia LegMedia `json:"caller_media,omitzero"`
	CalleeMedia LegMedia `json:"callee_media,omitzero"`
}

// Answered reports whether the caller leg was answered.
func (r *Record) Answered() bool { return !r.CallerAnswer.IsZero() }

// Received is when the runner received each event of a call (its own
// clock), for the intervals measured on the receipt clock.
type Received struct {
	CallerCreate   time.Time `json:"caller_create,omitzero"`
	CallerProgress time.Time `json:"caller_progress,omitzero"`
	CallerAnswer   time.Time `json:"caller_answer,omitzero"`
	CalleeCreate   time.Time `json:"callee_create,omitzero"`
	CalleeAnswer   time.Time `json:"callee_answer,omitzero"`
	CallerHangup   time.Time `json:"caller_hangup,omitzero"`
	CalleeHangup   time.Time `json:"callee_hangup,omitzero"`
}

// stamps are one clock's times of the events the intervals run between.
type stamps struct {
	callerCreate, callerProgress, callerAnswer, calleeCreate, callerHangup time.Time
}

// on returns the record's stamps on clock c.
func (r *Record) on(c Clock) stamps {
	if c == ClockReceipt {
		x := &r.Received
		return stamps{x.CallerCreate, x.CallerProgress, x.CallerAnswer, x.CalleeCreate, x.CallerHangup}
	}
	return stamps{r.CallerCreate, r.CallerProgress, r.CallerAnswer, r.CalleeCreate, r.CallerHangup}
}

// IntervalClock is the clock pdd, answer_latency and duration are
// computed on: the record's Clock, node when unset.
func (r *Record) IntervalClock() Clock {
	if r.Clock == ClockReceipt {
		return ClockReceipt
	}
	return ClockNode
}

// SetupClock is the clock setup_latency is computed on. Its ends are on
// the caller and the callee leg; when they are on two nodes no node's
// clock holds both, so it is the receipt clock whenever the record has
// receipt times for both ends, and IntervalClock otherwise.
func (r *Record) SetupClock() Clock {
	if r.CalleeNode != "" && r.CalleeNode != r.CallerNode &&
		!r.Received.CallerCreate.IsZero() && !r.Received.CalleeCreate.IsZero() {
		return ClockReceipt
	}
	return r.IntervalClock()
}

// since returns to - from when both happened and to is not before from.
func since(from, to time.Time) (time.Duration, bool) {
	if from.IsZero() || to.IsZero() || to.Before(from) {
		return 0, false
	}
	return to.Sub(from), true
}

// PDD is the post-dial delay: from the caller leg's CHANNEL_CREATE to the
// first of its CHANNEL_PROGRESS / CHANNEL_PROGRESS_MEDIA / CHANNEL_ANSWER,
// both ends on IntervalClock.
func (r *Record) PDD() (time.Duration, bool) {
	t := r.on(r.IntervalClock())
	end := t.callerProgress
	if end.IsZero() || (!t.callerAnswer.IsZero() && t.callerAnswer.Before(end)) {
		end = t.callerAnswer
	}
	return since(t.callerCreate, end)
}

// SetupLatency runs from the caller leg's CHANNEL_CREATE to the callee leg's
// CHANNEL_CREATE: how long the INVITE took through the SUT, both ends on
// SetupClock (never one end per node: that would add their clock offset).
func (r *Record) SetupLatency() (time.Duration, bool) {
	t := r.on(r.SetupClock())
	return since(t.callerCreate, t.calleeCreate)
}

// AnswerLatency runs from the caller leg's CHANNEL_CREATE to its
// CHANNEL_ANSWER, both ends on IntervalClock.
func (r *Record) AnswerLatency() (time.Duration, bool) {
	t := r.on(r.IntervalClock())
	return since(t.callerCreate, t.callerAnswer)
}

// Duration is the answered (billable) time: from the caller leg's
// CHANNEL_ANSWER to its hangup, both ends on IntervalClock.
func (r *Record) Duration() (time.Duration, bool) {
	t := r.on(r.IntervalClock())
	return since(t.callerAnswer, t.callerHangup)
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
