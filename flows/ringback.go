package flows

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/callplan/callplan/metrics"
	"github.com/callplan/callplan/plan"
)

// Ringback is switchio's CalleeRingback: the callee signals ringing (180,
// mode ring_ready) or early media (183, mode pre_answer, with a ringback
// tone played into it), rings for ring_for, then either answers (then: the
// call is held as in park) or the caller hangs up while it rings (then:
// caller_hangup, the callee should see ORIGINATOR_CANCEL).
//
// With HearRingback the caller also has to hear ringback, as voip_patrol's
// detect_tone checks: a 180 or 183 that reaches the caller proves
// signalling, not that the SUT passes (or makes) the tone.
//
// Its own measurements: field ringback_ms (caller progress to caller
// answer), the counter no_ringback (the caller saw no ringing or early
// media at all — the SUT swallowed it), and with hear_ringback the
// counters heard / not_heard and the field ringback_heard_ms.
type Ringback struct {
	PreAnswer    bool
	RingFor      time.Duration
	CallerHangup bool
	HearRingback bool
	Freqs        string

	mu       sync.Mutex
	progress time.Time // when the caller's progress reached the flow
	heard    time.Duration
	detected bool
	closed   bool // the ringing phase is over: a later detection does not count
	armed    int  // tone_detect executions sent
}

var (
	_ Flow    = (*Ringback)(nil)
	_ PerCall = (*Ringback)(nil)
)

// RingbackTone is the tone played into early media: the North American
// ringback cadence, 2 s on, 4 s off, 440+480 Hz, repeated.
const RingbackTone = "tone_stream://%(2000,4000,440,480);loops=-1"

// ringbackName names the caller's ringback detector in its key.
const ringbackName = "callplan_ringback"

// rearmEvery and maxArms: the caller's detector is sent again while the
// tone is unheard in the ringing phase. FreeSWITCH drops an execute sent to
// a leg that is still originating (fixtures/rtp README), and its caller
// leg leaves originate about 20 ms after CHANNEL_PROGRESS_MEDIA (fixture
// 09: park starts one frame later), so the first tone_detect, sent on the
// progress event, may be lost; a second tone_detect with the same key only
// re-arms the detector (switch_ivr_async.c, "Re-enabling"; the agent does
// the same), so repeating it is harmless.
const (
	rearmEvery = 500 * time.Millisecond
	maxArms    = 10
)

func ringbackSpec() Spec {
	return Spec{
		Name: "ringback",
		Doc: "The callee rings first (switchio's CalleeRingback): it signals ringing (180) or early media (183, with the North American ringback tone `" + RingbackTone + "` played into it), waits ring_for, then answers, or leaves the caller to hang up unanswered. " +
			"With `hear_ringback: true` the caller must also hear ringback (as voip_patrol's detect_tone): on the caller's progress the caller leg runs `tone_detect` for `freqs` on what it receives, " +
			"sent again every 500 ms while unheard (at most 10 times: FreeSWITCH drops an execute that reaches the caller leg before its originate returns, which it does at early media). " +
			"Ringback is audio, so it is heard only where the caller gets early media: `mode: pre_answer`, or a SUT that turns the 180 into a 183 with its own tone (then set `freqs` to that tone's). " +
			"It needs `originate: {ignore_early_media: false}` (validate says so): with ignore_early_media FreeSWITCH's caller leg stays in originate until the answer and drops the detector.",
		Params: []Param{
			{Name: "mode", Type: TypeEnum, Default: "ring_ready", Enum: []string{"ring_ready", "pre_answer"}, Doc: "ring_ready sends 180 Ringing; pre_answer sends 183 with early media."},
			{Name: "ring_for", Type: TypeDuration, Default: "2s", Doc: "How long the callee rings before `then` happens."},
			{Name: "then", Type: TypeEnum, Default: "answer", Enum: []string{"answer", "caller_hangup"}, Doc: "answer: the callee answers and the call is held as in park; caller_hangup: the caller hangs up while ringing (expected ORIGINATOR_CANCEL)."},
			{Name: "hear_ringback", Type: TypeBool, Default: "false", Doc: "Also require that the caller hears the ringback tone before the ringing ends (tone_detect on the caller leg); needs originate.ignore_early_media: false."},
			{Name: "freqs", Type: TypeString, Default: "440,480", Doc: "With hear_ringback: the frequencies the caller's tone_detect listens for, in Hz joined by `,` (440,480 is the tone the callee plays in pre_answer; 425 for a European SUT's own ringback)."},
		},
		Check:          checkFreqs,
		CheckOriginate: checkRingbackOriginate,
		New:            newRingback,
		Judges: "Success with `then: answer`: the caller saw ringing or early media, was answered, and was held and ended by the flow as in park. " +
			"With `then: caller_hangup`: the caller saw ringing, was never answered, and the callee leg ended `ORIGINATOR_CANCEL`. " +
			"With `hear_ringback`, also: the caller's detector heard the tone before the callee answered (or the caller hung up). " +
			"Failure reasons: those of park, `no_ringback` (the caller saw neither 180 nor 183), `unexpected_answer`, the callee's cause, or `ringback_not_heard`.",
		Counters: []Measure{
			{Name: "no_ringback", Doc: "the caller saw neither 180 nor 183: the SUT swallowed it"},
			{Name: "heard", Doc: "hear_ringback: calls whose caller heard the ringback tone while ringing"},
			{Name: "not_heard", Doc: "hear_ringback: calls whose caller saw progress but heard no ringback tone while ringing"},
		},
		Fields: []Measure{
			{Name: "ringback_ms", Doc: "caller progress to caller answer, milliseconds"},
			{Name: "ringback_heard_ms", Doc: "hear_ringback: caller progress to the tone's detection on the caller leg, milliseconds (runner clock)"},
		},
		Figures: []Figure{
			{Name: "ringback_time", Duration: true, Doc: "`ringback_ms` as a duration (caller progress to caller answer), over the calls that rang and were answered: `flows.ringback.ringback_time.p95 < duration(\"5s\")`"},
		},
	}
}

// checkRingbackOriginate: the caller's detector is an execute on the
// caller leg, which FreeSWITCH drops while the leg is still originating
// (fixtures/rtp README). With ignore_early_media (the plan's default) the
// leg originates until the answer, so no detector would run while it
// rings; the agent takes the execute either way, so a plan that passed on
// it would fail on FreeSWITCH. The plan must let originate return at
// early media.
func checkRingbackOriginate(with map[string]string, o plan.Originate) []ParamError {
	if with["hear_ringback"] == "true" && o.IgnoreEarlyMedia {
		return []ParamError{{Param: "hear_ringback", Msg: "needs originate.ignore_early_media: false: FreeSWITCH drops an execute (the caller's tone_detect) sent to a leg that is still originating, and with ignore_early_media the caller leg originates until the answer"}}
	}
	return nil
}

func newRingback(p Params) (Flow, error) {
	d, err := p.duration("ring_for")
	if err != nil {
		return nil, err
	}
	return &Ringback{RingFor: d, PreAnswer: p["mode"] == "pre_answer", CallerHangup: p["then"] == "caller_hangup",
		HearRingback: p["hear_ringback"] == "true", Freqs: p["freqs"]}, nil
}

// ForCall implements PerCall: each call has its own detector state.
func (f *Ringback) ForCall() Flow {
	return &Ringback{PreAnswer: f.PreAnswer, RingFor: f.RingFor, CallerHangup: f.CallerHangup,
		HearRingback: f.HearRingback, Freqs: f.Freqs}
}

// Use implements Flow.
func (*Ringback) Use() string { return "ringback" }

// On implements Flow.
func (f *Ringback) On(ctx context.Context, c *Call, ev Event) error {
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
				f.endRinging()
				_ = c.Caller.Hangup(ctx, "NORMAL_CLEARING")
			})
			return nil
		}
		c.Callee.Schedule(f.RingFor, func(ctx context.Context) {
			f.endRinging()
			_ = c.Callee.Answer(ctx)
		})
	case CallerProgress:
		if f.HearRingback {
			f.mu.Lock()
			f.progress = time.Now()
			f.mu.Unlock()
			return f.arm(ctx, c)
		}
	case ToneDetected:
		if ev.Leg != LegCaller || ev.Tone != ringbackName {
			return nil
		}
		f.mu.Lock()
		if !f.detected && !f.closed {
			f.detected = true
			f.heard = time.Since(f.progress)
		}
		f.mu.Unlock()
	case CalleeAnswered, CallerAnswered:
		f.endRinging()
		if ev.Kind == CalleeAnswered && !f.CallerHangup {
			holdThenHangup(c)
		}
	}
	return nil
}

// arm sends the caller's tone_detect, then schedules the next one while
// the tone is unheard and the call still rings.
func (f *Ringback) arm(ctx context.Context, c *Call) error {
	f.mu.Lock()
	if f.detected || f.closed || f.armed >= maxArms {
		f.mu.Unlock()
		return nil
	}
	f.armed++
	f.mu.Unlock()
	// tone_detect <key> <freqs> r +<timeout s>: listen on what the caller
	// receives until the ringing is surely over (mod_dptools.c,
	// tone_detect_session_function).
	secs := int((f.RingFor+time.Second-1)/time.Second) + 2
	args := fmt.Sprintf("%s %s r +%d", ToneKey(ringbackName, c.ID), f.Freqs, secs)
	if err := c.Caller.Execute(ctx, "tone_detect", args); err != nil {
		return fmt.Errorf("starting tone_detect on caller: %w", err)
	}
	c.Caller.Schedule(rearmEvery, func(ctx context.Context) {
		// A refused re-arm is not the call's failure: the first one
		// already went through, and the judge reports what was heard.
		_ = f.arm(ctx, c)
	})
	return nil
}

// endRinging closes the ringing phase: a tone heard later is not ringback.
func (f *Ringback) endRinging() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
}

// Judge implements Flow.
func (f *Ringback) Judge(r *metrics.Record) {
	if r.CallerProgress.IsZero() {
		count(r, "no_ringback")
	} else if d, ok := since(r.CallerProgress, r.CallerAnswer); ok {
		field(r, "ringback_ms", msText(d))
		r.SetTiming("ringback_time", d)
	}
	if !f.CallerHangup {
		judgeAnswered(r)
		if r.Outcome == metrics.OutcomeOK && r.CallerProgress.IsZero() {
			fail(r, "no_ringback")
		}
	} else {
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
	if f.HearRingback && !r.CallerProgress.IsZero() {
		f.judgeHeard(r)
	}
}

func (f *Ringback) judgeHeard(r *metrics.Record) {
	f.mu.Lock()
	detected, heard := f.detected, f.heard
	f.mu.Unlock()
	if !detected {
		count(r, "not_heard")
		if r.Outcome == metrics.OutcomeOK {
			fail(r, "ringback_not_heard")
		}
		return
	}
	count(r, "heard")
	field(r, "ringback_heard_ms", msText(heard))
}

func since(from, to time.Time) (time.Duration, bool) {
	if from.IsZero() || to.IsZero() || to.Before(from) {
		return 0, false
	}
	return to.Sub(from), true
}

// checkFreqs keeps a detector's frequencies to what tone_detect parses:
// numbers joined by , (switch_ivr_async.c splits the spec on commas; a
// space would split tone_detect's arguments).
func checkFreqs(with map[string]string) []ParamError {
	f, ok := with["freqs"]
	if !ok {
		return nil
	}
	for _, part := range strings.Split(f, ",") {
		if v, err := strconv.ParseFloat(part, 64); err != nil || v <= 0 || v >= 4000 {
			return []ParamError{{Param: "freqs", Msg: fmt.Sprintf("want frequencies below 4000 Hz joined by commas (e.g. 1004 or 350,440), got %q", f)}}
		}
	}
	return nil
}
