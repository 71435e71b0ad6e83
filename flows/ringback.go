package flows

import (
	"context"
	"fmt"
	"time"

	"github.com/callplan/callplan/metrics"
)

// Ringback is switchio's CalleeRingback: the callee signals ringing (180,
// mode ring_ready) or early media (183, mode pre_answer, with a ringback
// tone played into it), rings for ring_for, then either answers (then: the
// call is held as in park) or the caller hangs up while it rings (then:
// caller_hangup, the callee should see ORIGINATOR_CANCEL).
//
// Its own measurements: field ringback_ms (caller progress to caller
// answer) and the counter no_ringback (the caller saw no ringing or early
// media at all — the SUT swallowed it).
type Ringback struct {
	PreAnswer    bool
	RingFor      time.Duration
	CallerHangup bool
}

var _ Flow = Ringback{}

// RingbackTone is the tone played into early media: the North American
// ringback cadence, 2 s on, 4 s off, 440+480 Hz, repeated.
const RingbackTone = "tone_stream://%(2000,4000,440,480);loops=-1"

func ringbackSpec() Spec {
	return Spec{
		Name: "ringback",
		Doc:  "The callee rings first (switchio's CalleeRingback): it signals ringing (180) or early media (183, with the North American ringback tone `" + RingbackTone + "` played into it), waits ring_for, then answers, or leaves the caller to hang up unanswered.",
		Params: []Param{
			{Name: "mode", Type: TypeEnum, Default: "ring_ready", Enum: []string{"ring_ready", "pre_answer"}, Doc: "ring_ready sends 180 Ringing; pre_answer sends 183 with early media."},
			{Name: "ring_for", Type: TypeDuration, Default: "2s", Doc: "How long the callee rings before `then` happens."},
			{Name: "then", Type: TypeEnum, Default: "answer", Enum: []string{"answer", "caller_hangup"}, Doc: "answer: the callee answers and the call is held as in park; caller_hangup: the caller hangs up while ringing (expected ORIGINATOR_CANCEL)."},
		},
		New: newRingback,
		Judges: "Success with `then: answer`: the caller saw ringing or early media, was answered, and was held and ended by the flow as in park. " +
			"With `then: caller_hangup`: the caller saw ringing, was never answered, and the callee leg ended `ORIGINATOR_CANCEL`. " +
			"Failure reasons: those of park, `no_ringback` (the caller saw neither 180 nor 183), `unexpected_answer`, or the callee's cause.",
		Counters: []Measure{{Name: "no_ringback", Doc: "the caller saw neither 180 nor 183: the SUT swallowed it"}},
		Fields:   []Measure{{Name: "ringback_ms", Doc: "caller progress to caller answer, milliseconds"}},
	}
}

func newRingback(p Params) (Flow, error) {
	d, err := p.duration("ring_for")
	if err != nil {
		return nil, err
	}
	f := Ringback{RingFor: d, PreAnswer: p["mode"] == "pre_answer", CallerHangup: p["then"] == "caller_hangup"}
	return f, nil
}

// Use implements Flow.
func (Ringback) Use() string { return "ringback" }

// On implements Flow.
func (f Ringback) On(ctx context.Context, c *Call, ev Event) error {
	switch ev.Kind {
	case CalleeArrived:
		if f.PreAnswer {
			if err := c.Callee.PreAnswer(ctx); err != nil {
				return fmt.Errorf("pre-answering callee: %w", err)
			}
			if err := c.Callee.Play(ctx, RingbackTone); err != nil {
				return fmt.Errorf("playing ringback tone: %w", err)
			}
		} else if err := c.Callee.RingReady(ctx); err != nil {
			return fmt.Errorf("ringing callee: %w", err)
		}
		if f.CallerHangup {
			c.Caller.Schedule(f.RingFor, func(ctx context.Context) {
				_ = c.Caller.Hangup(ctx, "NORMAL_CLEARING")
			})
			return nil
		}
		c.Callee.Schedule(f.RingFor, func(ctx context.Context) {
			_ = c.Callee.Answer(ctx)
		})
	case CalleeAnswered:
		if !f.CallerHangup {
			holdThenHangup(c)
		}
	}
	return nil
}

// Judge implements Flow.
func (f Ringback) Judge(r *metrics.Record) {
	if r.CallerProgress.IsZero() {
		count(r, "no_ringback")
	} else if d, ok := since(r.CallerProgress, r.CallerAnswer); ok {
		field(r, "ringback_ms", msText(d))
	}
	if !f.CallerHangup {
		judgeAnswered(r)
		if r.Outcome == metrics.OutcomeOK && r.CallerProgress.IsZero() {
			fail(r, "no_ringback")
		}
		return
	}
	switch {
	case r.Answered():
		fail(r, "unexpected_answer")
	case r.CallerProgress.IsZero():
		fail(r, "no_ringback")
	case r.CalleeCause != "" && r.CalleeCause != "ORIGINATOR_CANCEL":
		fail(r, r.CalleeCause)
	default:
		ok(r)
	}
}

func since(from, to time.Time) (time.Duration, bool) {
	if from.IsZero() || to.IsZero() || to.Before(from) {
		return 0, false
	}
	return to.Sub(from), true
}
