package flows

import (
	"context"
	"time"
)

// CallControl is everything a flow may do to one leg of a call. The runner
// implements it on the driver of the node the leg lives on; flows never
// see sockets, nodes or wire events, so they are tested against a fake.
type CallControl interface {
	// Answer answers the leg (200 OK).
	Answer(ctx context.Context) error
	// PreAnswer opens early media (183 with SDP).
	PreAnswer(ctx context.Context) error
	// RingReady signals ringing (180).
	RingReady(ctx context.Context) error
	// Respond refuses an unanswered inbound leg with a SIP final response
	// (code 400-699), which also hangs the leg up.
	Respond(ctx context.Context, code int) error
	// Hangup ends the leg with a FreeSWITCH hangup cause
	// (NORMAL_CLEARING, USER_BUSY, ...).
	Hangup(ctx context.Context, cause string) error
	// Play plays a file or stream (tone_stream://, silence_stream://) to
	// the leg, in the background.
	Play(ctx context.Context, url string) error
	// Record records what the leg receives to path for at most limit.
	Record(ctx context.Context, path string, limit time.Duration) error
	// SendDTMF sends digits toward the far end.
	SendDTMF(ctx context.Context, digits string) error
	// SetVar sets a channel variable on the leg.
	SetVar(ctx context.Context, name, value string) error
	// Execute runs an application on the leg in the background (bert_test,
	// echo, tone_detect, ...) with its argument text ("" for none).
	Execute(ctx context.Context, app, args string) error
	// StopPlayback stops what Play started.
	StopPlayback(ctx context.Context) error
	// StopRecord stops the recording to path that Record started.
	StopRecord(ctx context.Context, path string) error
	// Mute silences (on) or restores (off) one direction of the leg's
	// audio: what it sends (AudioWrite: its packets keep flowing and
	// carry silence) or what it receives (AudioRead).
	Mute(ctx context.Context, dir AudioDirection, on bool) error
	// Schedule runs fn after d unless the call has ended by then. fn gets
	// a context that ends when the call does. Timers belong to the call:
	// the runner stops them all when the call ends.
	Schedule(d time.Duration, fn func(ctx context.Context))
}

// AudioDirection is one direction of a leg's audio, in FreeSWITCH's
// terms: write is what the leg sends, read what it receives.
type AudioDirection string

// The two directions.
const (
	AudioRead  AudioDirection = "read"
	AudioWrite AudioDirection = "write"
)

// Call is one call as a flow sees it.
type Call struct {
	// ID is the call's UUID (the caller leg's Unique-ID).
	ID string
	// Hold is this call's hold time, drawn by the runner from the stage's
	// distribution; flows hold the call for it from the callee's answer.
	Hold time.Duration
	// Caller controls the outbound leg; Callee the inbound leg, nil until
	// the flow receives CalleeArrived.
	Caller CallControl
	Callee CallControl
}

// Leg is the control of leg l: Callee for LegCallee, else Caller.
func (c *Call) Leg(l Leg) CallControl {
	if l == LegCallee {
		return c.Callee
	}
	return c.Caller
}
