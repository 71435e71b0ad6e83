package runner

import (
	"context"
	"errors"
	"time"

	"github.com/callplan/callplan/flows"
)

// Driver is one generator node as the runner drives it, in the runner's
// own terms: originate a call, act on a leg, end a run's calls, report
// health, and deliver what happens to the legs as typed LegEvents. The ESL
// driver (DialESL; esldriver.go, eslcommands.go, eslevents.go) speaks to
// FreeSWITCH and the callplan agent; other kinds of node (a cloud calls
// API) implement the same interface. The engine never sees wire formats.
//
// The contract, which the engine relies on:
//
//   - Identity. The caller leg a driver creates for an Origination has leg
//     id o.CallID (FreeSWITCH: origination_uuid), and the call id and run
//     id travel with the call so that the callee leg, wherever it arrives,
//     reports them in its EventCreated (FreeSWITCH: the X-callplan-call and
//     X-callplan-run SIP headers). Every later event of a leg names it by
//     LegID. A call whose callee leg never reports fails no_callee_leg
//     a second after the originate timeout, unless its node is OneLeg
//     (NodeSpec): then the caller leg and the job result are the call.
//   - A call's life, as the engine reads it: the caller leg's
//     EventCreated, then EventProgress or EventEarlyMedia (ringing, 183),
//     EventAnswered, and EventHungUp with its Cause (and the SIPStatus it
//     received, if any); the callee leg's EventCreated, EventParked (it is
//     waiting for the flow; flows act from here), EventAnswered and
//     EventHungUp (a caller leg reports EventParked too when its driver is
//     a CallerParker: its actions wait for it, ready.go); and the
//     originate's EventJobResult, Failed with a Cause
//     when no call was set up (the node's own limits refusing the leg are
//     reported as DESTINATION_OUT_OF_ORDER). A call ends when its caller
//     leg, its callee leg (if one arrived) and its job result have all
//     been seen.
//   - Origination fields a driver cannot carry (SIP headers on a REST
//     API, say) it leaves out and says so in its documentation; it refuses
//     with ErrBadOrigination only what it cannot place at all.
//   - Originate returns once the node has taken the request (or refused to
//     take it); the call then proceeds through events. Exactly one
//     EventJobResult with CallID o.CallID follows a nil return, unless the
//     connection is lost first (EventNodeDown). An error wrapping
//     ErrBadOrigination means the origination cannot be expressed on this
//     node (a plan problem: the call fails originate_error); any other
//     error means the node may or may not have started the call (the call
//     becomes unknown).
//   - Act performs one Action on the leg LegID of this node. It returns
//     when the node has accepted or refused it; a refusal is an error whose
//     text says what the node answered. An action the node cannot do
//     returns an error wrapping ErrUnsupported.
//   - EndRun hangs up every leg of run runID on the node, and only those,
//     with cause; legs then report EventHungUp as usual. It is idempotent:
//     with nothing left it succeeds. The string is the node's own account
//     (for the operator).
//   - Events delivers every event in the order the node produced them per
//     leg, never blocking the driver's reader (the queue is unbounded), and
//     is closed after Close. Each carries the node's timestamp when the
//     node gives one (NodeTime) and the time the driver read it
//     (Received, time.Now on arrival); the engine sets Node. Events of
//     legs the runner did not start or match are delivered too; the
//     engine ignores what it does not know. EventNodeDown makes every
//     call in flight on the node unknown; EventNodeUp makes it eligible
//     again.
//   - Health is the latest node-wide figures; EventHeartbeat also carries
//     them as they arrive.
//   - All methods are safe for concurrent use.
type Driver interface {
	Originate(ctx context.Context, o Origination) error
	Act(ctx context.Context, legID string, a Action) error
	EndRun(ctx context.Context, runID, cause string) (string, error)
	Health() Health
	Events() <-chan LegEvent
	Close() error
}

// Driver errors.
var (
	// ErrBadOrigination: the origination cannot be expressed on the node
	// (an unsafe value, a destination the node cannot dial).
	ErrBadOrigination = errors.New("origination cannot be sent")
	// ErrUnsupported: the node cannot perform the action.
	ErrUnsupported = errors.New("not supported by this node")
	// ErrRefused: the node answered the command with a refusal.
	ErrRefused = errors.New("command failed")
)

// Origination is one call for a driver to place.
type Origination struct {
	// CallID is the call's UUID; the caller leg's id must be this.
	CallID string
	// RunID, Flow and Stage identify the run, the call's flow name and its
	// stage; they travel with the call (FreeSWITCH: channel variables
	// callplan_run, callplan_flow, callplan_stage).
	RunID, Flow, Stage string
	// Node is the node placing the call (the engine fills it in).
	Node NodeSpec
	// Destination is where the call goes, user@host[:port].
	Destination string
	// CallerIDName and CallerIDNumber present the caller; "" leaves the
	// node's default.
	CallerIDName, CallerIDNumber string
	// Timeout is how long the caller leg may ring unanswered.
	Timeout time.Duration
	// Headers are extra SIP headers for the INVITE, by name (X-Foo).
	Headers map[string]string
	// Variables are extra channel variables for the caller leg.
	Variables map[string]string
}

// ActionKind says what an Action does to a leg.
type ActionKind int

// Leg actions. The argument fields each uses are named.
const (
	ActAnswer       ActionKind = iota + 1 // 200 OK
	ActPreAnswer                          // 183 with SDP (early media)
	ActRingReady                          // 180 Ringing
	ActRespond                            // refuse with SIP final response Code (400-699)
	ActHangup                             // end the leg with Cause
	ActPlay                               // play URL in the background
	ActStopPlayback                       // stop what ActPlay started
	ActRecord                             // record what the leg receives to Path for at most Limit
	ActStopRecord                         // stop recording to Path
	ActSendDTMF                           // send Digits toward the far end
	ActSetVar                             // set channel variable Name to Value
	ActExecute                            // run application App with Args in the background
	ActMute                               // mute (Mute) or unmute the leg's Direction of audio
)

var actionNames = [...]string{
	ActAnswer: "answer", ActPreAnswer: "pre_answer", ActRingReady: "ring_ready",
	ActRespond: "respond", ActHangup: "hangup", ActPlay: "play", ActStopPlayback: "stop_playback",
	ActRecord: "record", ActStopRecord: "stop_record", ActSendDTMF: "send_dtmf",
	ActSetVar: "set_var", ActExecute: "execute", ActMute: "mute",
}

func (k ActionKind) String() string {
	if k > 0 && int(k) < len(actionNames) {
		return actionNames[k]
	}
	return "unknown"
}

// Action is one thing to do to a leg; only the fields its Kind names are
// read.
type Action struct {
	Kind   ActionKind
	Code   int           // ActRespond
	Cause  string        // ActHangup: a FreeSWITCH hangup cause (NORMAL_CLEARING, ...)
	URL    string        // ActPlay: a file, tone_stream:// or silence_stream://
	Path   string        // ActRecord, ActStopRecord
	Limit  time.Duration // ActRecord
	Digits string        // ActSendDTMF
	Name   string        // ActSetVar
	Value  string        // ActSetVar
	App    string        // ActExecute
	Args   string        // ActExecute
	// Direction and Mute (ActMute): what the leg sends (write) or
	// receives (read), silenced or restored.
	Direction flows.AudioDirection
	Mute      bool
}

// EventKind says what a LegEvent reports.
type EventKind int

// Leg event kinds, then node-wide ones (no leg).
const (
	EventCreated       EventKind = iota + 1 // the leg exists (callee: carries CallID, RunID)
	EventProgress                           // ringing (180)
	EventEarlyMedia                         // early media (183)
	EventAnswered                           // answered
	EventParked                             // parked, waiting for the runner (a callee leg that arrived; a caller leg ready for actions)
	EventHungUp                             // ended: Cause, SIPStatus, Stats
	EventJobResult                          // the originate of CallID finished: Result, Failed, Cause
	EventDTMF                               // a digit received: Digit, DigitDuration
	EventPlaybackStart                      // Media.Path
	EventPlaybackStop                       // Media
	EventRecordStart                        // Media.Path
	EventRecordStop                         // Media
	EventBERTInSync                         // bert_test reached sync
	EventBERTLostSync                       // bert_test lost sync: BERT
	EventBERTTimeout                        // bert_test never reached sync in time
	EventToneDetected                       // Tone
	EventHeartbeat                          // node-wide: Health
	EventNodeDown                           // node-wide: the connection was lost (Err); events may have been missed
	EventNodeUp                             // node-wide: the connection is back
)

var eventNames = [...]string{
	EventCreated: "created", EventProgress: "progress", EventEarlyMedia: "early_media",
	EventAnswered: "answered", EventParked: "parked", EventHungUp: "hung_up",
	EventJobResult: "job_result", EventDTMF: "dtmf", EventPlaybackStart: "playback_start",
	EventPlaybackStop: "playback_stop", EventRecordStart: "record_start", EventRecordStop: "record_stop",
	EventBERTInSync: "bert_in_sync", EventBERTLostSync: "bert_lost_sync", EventBERTTimeout: "bert_timeout",
	EventToneDetected: "tone_detected", EventHeartbeat: "heartbeat", EventNodeDown: "node_down",
	EventNodeUp: "node_up",
}

func (k EventKind) String() string {
	if k > 0 && int(k) < len(eventNames) {
		return eventNames[k]
	}
	return "unknown"
}

// LegEvent is one thing that happened on a node, in the runner's terms.
type LegEvent struct {
	Kind EventKind
	// LegID is the node's id of the leg (FreeSWITCH: Unique-ID); "" for
	// node-wide events and EventJobResult.
	LegID string
	// Leg says which side the leg is: LegCaller for a leg the node
	// originated, LegCallee for one that arrived at it; 0 for node-wide
	// events.
	Leg flows.Leg
	// CallID and RunID: on a callee leg's EventCreated, the call and run
	// it carries (empty when it carries none: not a callplan call); on
	// EventJobResult, the call whose originate finished.
	CallID, RunID string
	// Node is the name of the node it happened on; the engine sets it on
	// receipt.
	Node string
	// Cause is the hangup cause (EventHungUp) or the originate's failure
	// cause (EventJobResult).
	Cause string
	// SIPStatus is the final SIP status the leg received (EventHungUp);
	// 0 when it received none (it sent the BYE, CANCEL or refusal).
	SIPStatus int
	// Result is the node's own words for an originate's outcome
	// (FreeSWITCH: "+OK <uuid>" or "-ERR <CAUSE>"), and Failed whether it
	// failed (EventJobResult).
	Result string
	Failed bool
	// NodeTime is when the node says it happened (FreeSWITCH:
	// Event-Date-Timestamp, in ~20 ms steps); zero when it does not say.
	// Received is when the runner read it (time.Now on arrival). An
	// interval is measured on one of the two clocks, never across them.
	NodeTime, Received time.Time
	// Payload carries the media results (DTMF digit, playback and record
	// outcome, BERT report, tone, end-of-call media figures) as flows get
	// them.
	flows.Payload
	// Health is the node's figures (EventHeartbeat).
	Health Health
	// Err says why the connection went down (EventNodeDown).
	Err error
	// Fields and Counts are the node's own per-call figures for the
	// call's record (a cloud API's call SID, its status, its retries),
	// merged into Record.Fields and Record.Counts; on any event of the
	// call.
	Fields map[string]string
	Counts map[string]int64
}

// Health is a node's load as it last reported it.
type Health struct {
	// Sessions is the node's live legs, all users (-1 unknown).
	Sessions int
	// MaxSessions is its session limit (0 unknown).
	MaxSessions int
	// IdleCPU is its idle CPU in percent (-1 unknown).
	IdleCPU float64
	// HeartbeatAge is how long ago the figures arrived (-1: never).
	HeartbeatAge time.Duration
}

// UnknownHealth is Health before any report.
func UnknownHealth() Health { return Health{Sessions: -1, IdleCPU: -1, HeartbeatAge: -1} }
