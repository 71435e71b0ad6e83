package flows

import (
	"strconv"
	"strings"
	"time"
)

// EventKind says what happened to a call.
type EventKind int

// Event kinds. The first four drive the call-progress flows (park,
// ringback, reject); the rest carry media results for flows that check
// DTMF, playback, recording, BERT and tones.
const (
	// CalleeArrived: the callee leg reached a node and is parked,
	// unanswered, waiting for the flow (CHANNEL_PARK of the inbound leg).
	CalleeArrived EventKind = iota + 1
	// CalleeAnswered: the callee leg was answered (its CHANNEL_ANSWER).
	CalleeAnswered
	// CallerProgress: the caller leg got ringing or early media.
	CallerProgress
	// CallerAnswered: the caller leg was answered.
	CallerAnswered
	// DTMFReceived: Leg received a digit (Event.Digit, Event.DigitDuration).
	DTMFReceived
	// PlaybackStarted and PlaybackStopped: a playback on Leg began or
	// ended (Event.Media).
	PlaybackStarted
	PlaybackStopped
	// RecordStarted and RecordStopped: a recording on Leg began or ended
	// (Event.Media).
	RecordStarted
	RecordStopped
	// BERTInSync, BERTLostSync, BERTTimeout: bert_test on Leg reached
	// sync, lost it (Event.BERT), or never reached it in time
	// (mod_bert::in_sync, ::lost_sync, ::timeout; mod_bert.c, captured in
	// esl/testdata/fixtures/06).
	BERTInSync
	BERTLostSync
	BERTTimeout
	// ToneDetected: a tone detector on Leg heard its tone (Event.Tone).
	ToneDetected
	// LegHungUp: Leg ended while the other leg is still up; Event.Stats
	// holds its end-of-call media figures. The end of a call's last leg
	// ends the call and is not delivered: the call is judged then.
	LegHungUp
)

var kindNames = [...]string{
	CalleeArrived:   "callee_arrived",
	CalleeAnswered:  "callee_answered",
	CallerProgress:  "caller_progress",
	CallerAnswered:  "caller_answered",
	DTMFReceived:    "dtmf",
	PlaybackStarted: "playback_start",
	PlaybackStopped: "playback_stop",
	RecordStarted:   "record_start",
	RecordStopped:   "record_stop",
	BERTInSync:      "bert_in_sync",
	BERTLostSync:    "bert_lost_sync",
	BERTTimeout:     "bert_timeout",
	ToneDetected:    "tone_detected",
	LegHungUp:       "leg_hung_up",
}

func (k EventKind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Leg names one leg of a call.
type Leg int

// The two legs: the caller leg is the one the runner originates, the
// callee leg the one that arrives through the SUT.
const (
	LegCaller Leg = iota + 1
	LegCallee
)

// Other is the far leg of l.
func (l Leg) Other() Leg {
	if l == LegCaller {
		return LegCallee
	}
	return LegCaller
}

func (l Leg) String() string {
	switch l {
	case LegCaller:
		return "caller"
	case LegCallee:
		return "callee"
	}
	return "unknown"
}

// Event is something that happened to a call that a flow may act on. The
// runner delivers each at most once per call, in the order they happen;
// events of one call are never delivered concurrently.
type Event struct {
	Kind EventKind
	// Leg is the leg it happened on.
	Leg Leg
	// At is when the node says it happened (zero when unknown).
	At time.Time
	Payload
}

// Payload is what an event carries beyond its kind; only the field that
// belongs to the kind is set. The runner's driver events carry the same
// payload, so it reaches a flow as the node reported it.
type Payload struct {
	// Digit is the DTMF digit received (0-9, *, #, A-D) and
	// DigitDuration how long it lasted.
	Digit         string
	DigitDuration time.Duration
	// Media is a playback's or a recording's outcome.
	Media MediaResult
	// BERT is the bit-error report of a lost sync.
	BERT BERTReport
	// Tone names the tone a detector heard.
	Tone string
	// Stats are the leg's end-of-call media figures. Its strings may be
	// pieces of the node's event: copy one a flow keeps past the call.
	Stats MediaStats
}

func (e Event) String() string { return e.Kind.String() }

// MediaResult is what a playback or a recording did.
type MediaResult struct {
	// Path is the file or stream played or recorded.
	Path string
	// Status is how it ended: a playback's Playback-Status (done, break),
	// a recording's Record-Completion-Cause (success-maxtime, ...).
	Status string
	// Duration is how long it ran (playback_ms / record_ms), on stop.
	Duration time.Duration
}

// BERTReport is mod_bert's lost_sync report (mod_bert.c; esl/testdata/fixtures/06).
type BERTReport struct {
	LostPercent float64 // sync_lost_percent: errors in the window, percent
	LostCount   int     // sync_lost_count: losses so far on the leg
	CNGCount    int     // cng_count: comfort-noise frames seen
	ErrSamples  int     // err_samples: samples in error
}

// MediaStats are a leg's end-of-call RTP figures under FreeSWITCH's own
// variable names (rtp_audio_in_mos, rtp_audio_in_jitter_loss_rate,
// rtp_audio_out_packet_count, ...; set at hangup by switch_core_media.c,
// captured in esl/testdata/fixtures/06), the same on
// FreeSWITCH and on the agent, in the order the node sent them.
//
// A list, not a map: a leg has about 30 of them and the runner reads five
// (Received), so building a map of every one for each leg's hangup was
// more than what the reads cost (a quarter of the runner's per-call
// allocation at 2 000 calls/s, docs/performance.md).
type MediaStats []MediaFigure

// MediaFigure is one end-of-call figure: its variable name without
// "variable_" (rtp_audio_in_mos) and its value as the node wrote it.
type MediaFigure struct {
	Name, Value string
}

// Get is figure name's value; ok is false when the leg has none.
func (s MediaStats) Get(name string) (value string, ok bool) {
	for _, f := range s {
		if f.Name == name {
			return f.Value, true
		}
	}
	return "", false
}

// Float reads figure name as a number.
func (s MediaStats) Float(name string) (float64, bool) {
	v, _ := s.Get(name)
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	return f, err == nil
}

// Int reads figure name as an integer.
func (s MediaStats) Int(name string) (int64, bool) {
	v, _ := s.Get(name)
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	return n, err == nil
}
