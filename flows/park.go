package flows

import (
	"context"
	"fmt"
	"time"

	"github.com/callplan/callplan/metrics"
)

// Park is the baseline flow: the callee answers (after answer_delay), both
// legs are held for the call's hold time counted from the callee's answer,
// then the caller hangs up with NORMAL_CLEARING. A call succeeds when it
// was answered and the caller leg ended NORMAL_CLEARING.
//
// A parked FreeSWITCH leg sends no RTP at all (fixtures/rtp README:
// park-then-echo.pcap is silent for its first 2 s), so an SBC or a PBX
// with an RTP inactivity timer ends a long hold as a dead call. KeepMedia
// plays endless silence (silence_stream://-1) on each leg from its
// answer, which keeps packets flowing both ways.
type Park struct {
	AnswerDelay time.Duration
	KeepMedia   bool
}

// KeepMediaStream is what keep_media plays on each leg: silence frames,
// forever (mod_tone_stream's silence_stream with a negative length).
const KeepMediaStream = "silence_stream://-1"

var _ Flow = Park{}

func parkSpec() Spec {
	return Spec{
		Name: "park",
		Doc:  "The callee answers and both legs are held for the stage's hold time; then the caller hangs up. The baseline: a call succeeds when it is answered and ends NORMAL_CLEARING.",
		Params: []Param{
			{Name: "answer_delay", Type: TypeDuration, Default: "0s", Doc: "How long the callee leg waits, parked and unanswered, before answering."},
			{Name: "keep_media", Type: TypeBool, Default: "false", Doc: "Play `" + KeepMediaStream + "` on both legs from their answer, so RTP flows both ways during the hold: a parked FreeSWITCH leg sends none, and an SBC's media timeout would end a long hold."},
		},
		New: newPark,
		Judges: "Success: the caller leg was answered and the flow itself ended it (`NORMAL_CLEARING`) after the hold. " +
			"Failure reasons: the caller's cause (`USER_BUSY`, `MEDIA_TIMEOUT`, ...), `not_answered`, or `early_hangup` " +
			"(answered, but the far end, the SUT or the node ended it before the hold was over: a dropped call).",
	}
}

func newPark(p Params) (Flow, error) {
	d, err := p.duration("answer_delay")
	if err != nil {
		return nil, err
	}
	return Park{AnswerDelay: d, KeepMedia: p["keep_media"] == "true"}, nil
}

// Use implements Flow.
func (Park) Use() string { return "park" }

// On implements Flow.
func (f Park) On(ctx context.Context, c *Call, ev Event) error {
	switch ev.Kind {
	case CalleeArrived:
		return answerAfter(ctx, c, f.AnswerDelay)
	case CalleeAnswered:
		holdThenHangup(c)
		if f.KeepMedia {
			if err := c.Callee.Play(ctx, KeepMediaStream); err != nil {
				return fmt.Errorf("keeping media on callee: %w", err)
			}
		}
	case CallerAnswered:
		if f.KeepMedia {
			if err := c.Caller.Play(ctx, KeepMediaStream); err != nil {
				return fmt.Errorf("keeping media on caller: %w", err)
			}
		}
	}
	return nil
}

// answerAfter answers the callee now, or after d.
func answerAfter(ctx context.Context, c *Call, d time.Duration) error {
	if d <= 0 {
		if err := c.Callee.Answer(ctx); err != nil {
			return fmt.Errorf("answering callee: %w", err)
		}
		return nil
	}
	c.Callee.Schedule(d, func(ctx context.Context) {
		// A failure here shows in the record: the call is never answered.
		_ = c.Callee.Answer(ctx)
	})
	return nil
}

// holdThenHangup ends the call from the caller side after its hold time.
func holdThenHangup(c *Call) {
	c.Caller.Schedule(c.Hold, func(ctx context.Context) {
		_ = c.Caller.Hangup(ctx, "NORMAL_CLEARING")
	})
}

// Judge implements Flow.
func (Park) Judge(r *metrics.Record) { judgeAnswered(r) }

// judgeAnswered: ok when the caller leg was answered and the flow itself
// ended it NORMAL_CLEARING after the hold; an answered call that something
// else ended first (a BYE from the far end, the SUT, the node) failed with
// reason early_hangup.
func judgeAnswered(r *metrics.Record) {
	switch {
	case !r.Answered():
		fail(r, endedReason(r))
	case r.CallerCause != "" && r.CallerCause != "NORMAL_CLEARING":
		fail(r, r.CallerCause)
	case !r.EndedByFlow:
		fail(r, "early_hangup")
	default:
		ok(r)
	}
}
