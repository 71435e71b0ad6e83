package flows

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/callplan/callplan/metrics"
)

// Tone is switchio's TonePlay made a check: the callee answers and echoes,
// the caller plays a tone and listens for it coming back. It proves audio
// flows both ways through the SUT, which answer and hangup alone do not.
//
// The caller's detector is tone_detect (mod_dptools; libteletone's
// multi-tone detector on what the leg receives), keyed with ToneKey so its
// DETECTED_TONE, which carries no Unique-ID, finds the call.
type Tone struct {
	Stream  string
	Freqs   string
	Timeout time.Duration

	mu       sync.Mutex
	answered time.Time // when the caller started playing
	heard    time.Duration
	detected bool
	timedOut bool
}

var (
	_ Flow    = (*Tone)(nil)
	_ PerCall = (*Tone)(nil)
)

// MilliwattTone is the 1004 Hz test tone (the "milliwatt" of telephone
// test lines), played continuously.
const MilliwattTone = "tone_stream://%(1000,0,1004);loops=-1"

// toneName names the detector in its key and in DETECTED_TONE.
const toneName = "callplan_tone"

func toneSpec() Spec {
	return Spec{
		Name: "tone",
		Doc: "switchio's TonePlay as a check: the callee answers and runs `echo`; the caller plays a tone (by default the 1004 Hz " +
			"milliwatt `" + MilliwattTone + "`) and listens with `tone_detect` for it to come back through the SUT. " +
			"The call is then held for the stage's hold time from the callee's answer, as in park.",
		Params: []Param{
			{Name: "tone", Type: TypeString, Default: MilliwattTone, Doc: "What the caller plays: a tone_stream:// (or a WAV path on the caller's node). It should run at least until `timeout`."},
			{Name: "freqs", Type: TypeString, Default: "1004", Doc: "The frequencies tone_detect listens for, in Hz, joined by `,` as switch_ivr_tone_detect_session takes them (any one heard is enough); they must be in `tone`."},
			{Name: "timeout", Type: TypeDuration, Default: "5s", Doc: "How long after the caller's answer the tone must be heard; if it is not, the caller hangs up."},
		},
		Check: checkTone,
		New:   newTone,
		Judges: "Success: as park, and the caller's detector heard the tone within `timeout`. " +
			"Failure reasons: those of park, or `tone_not_detected` (the caller hung up at `timeout`, or the call ended first, without the tone heard).",
		Counters: []Measure{
			{Name: "detected", Doc: "calls whose caller heard the tone come back"},
			{Name: "not_detected", Doc: "answered calls whose caller did not hear it"},
		},
		Fields: []Measure{
			{Name: "tone_ms", Doc: "caller's answer (the tone's start) to its detection on the caller leg, milliseconds (runner clock)"},
		},
		Figures: []Figure{
			{Name: "tone_time", Duration: true, Doc: "`tone_ms` as a duration, over the calls whose caller heard the tone"},
		},
	}
}

func checkTone(with map[string]string) []ParamError {
	if strings.ContainsAny(with["tone"], " \t") {
		return []ParamError{{Param: "tone", Msg: "must not contain spaces: it is one argument of uuid_broadcast"}}
	}
	return checkFreqs(with)
}

func newTone(p Params) (Flow, error) {
	d, err := p.duration("timeout")
	if err != nil {
		return nil, err
	}
	return &Tone{Stream: p["tone"], Freqs: p["freqs"], Timeout: d}, nil
}

// ForCall implements PerCall: each call has its own detector state.
func (f *Tone) ForCall() Flow {
	return &Tone{Stream: f.Stream, Freqs: f.Freqs, Timeout: f.Timeout}
}

// Use implements Flow.
func (*Tone) Use() string { return "tone" }

// On implements Flow.
func (f *Tone) On(ctx context.Context, c *Call, ev Event) error {
	switch ev.Kind {
	case CalleeArrived:
		if err := c.Callee.Answer(ctx); err != nil {
			return fmt.Errorf("answering callee: %w", err)
		}
		if err := c.Callee.Execute(ctx, "echo", ""); err != nil {
			return fmt.Errorf("starting echo on callee: %w", err)
		}
	case CalleeAnswered:
		holdThenHangup(c)
	case CallerAnswered:
		return f.startTone(ctx, c)
	case ToneDetected:
		if ev.Leg != LegCaller || ev.Tone != toneName {
			return nil
		}
		f.mu.Lock()
		first := !f.detected && !f.timedOut
		if first {
			f.detected = true
			f.heard = time.Since(f.answered)
		}
		f.mu.Unlock()
		if first {
			// Heard: the tone has done its job; the call is held on
			// quietly (the echo goes on).
			if err := c.Caller.StopPlayback(ctx); err != nil {
				return fmt.Errorf("stopping the tone: %w", err)
			}
		}
	}
	return nil
}

// startTone arms the caller's detector before the tone starts, so its
// first frames back are heard, and the timeout that ends a silent call.
func (f *Tone) startTone(ctx context.Context, c *Call) error {
	secs := max(int((f.Timeout+time.Second-1)/time.Second), 1)
	// tone_detect <key> <freqs> r +<timeout s>: listen on what the caller
	// leg receives (flag r) until the timeout (mod_dptools.c,
	// tone_detect_session_function).
	args := fmt.Sprintf("%s %s r +%d", ToneKey(toneName, c.ID), f.Freqs, secs)
	f.mu.Lock()
	f.answered = time.Now()
	f.mu.Unlock()
	if err := c.Caller.Execute(ctx, "tone_detect", args); err != nil {
		return fmt.Errorf("starting tone_detect on caller: %w", err)
	}
	if err := c.Caller.Play(ctx, f.Stream); err != nil {
		return fmt.Errorf("playing the tone: %w", err)
	}
	c.Caller.Schedule(f.Timeout, func(ctx context.Context) {
		f.mu.Lock()
		missed := !f.detected
		f.timedOut = missed
		f.mu.Unlock()
		if missed {
			_ = c.Caller.Hangup(ctx, "NORMAL_CLEARING")
		}
	})
	return nil
}

// Judge implements Flow.
func (f *Tone) Judge(r *metrics.Record) {
	judgeAnswered(r)
	if !r.Answered() {
		return
	}
	f.mu.Lock()
	detected, heard := f.detected, f.heard
	f.mu.Unlock()
	if !detected {
		count(r, "not_detected")
		if r.Outcome == metrics.OutcomeOK {
			fail(r, "tone_not_detected")
		}
		return
	}
	count(r, "detected")
	field(r, "tone_ms", msText(heard))
	r.SetTiming("tone_time", heard)
}
