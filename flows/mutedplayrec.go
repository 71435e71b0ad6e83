package flows

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/callplan/callplan/metrics"
)

// MutedPlayRec is switchio's MutedPlayRec made a check: both legs play a
// clip for the whole call while one of them is muted (what it sends is
// silenced: uuid_audio <uuid> start write mute), and each iteration both
// legs record what they receive; then the mute moves to the other leg.
// The leg facing the muted one must record silence and the muted leg must
// still hear the far end's clip: the SUT passes each direction on its own,
// and does not fill a silent one with noise or the other's audio.
//
// The mute is on the write side, as switchio's Session.mute and fixture
// 06 do it: the muted leg's packets keep flowing, carrying silence
// (FreeSWITCH's session_audio_callback zeroes each frame for mute level 1,
// switch_ivr_async.c; the agent the same), so the far end records
// silence rather than nothing.
type MutedPlayRec struct {
	Clip      string
	MuteFirst Leg
	RecordFor time.Duration
	Tolerance time.Duration
	Iters     int
	Dir       string
	Verify    string // auto, file or event
	Keep      bool

	mu     sync.Mutex
	rounds []*mutedRound
	done   bool // every round's recordings stopped
}

var (
	_ Flow    = (*MutedPlayRec)(nil)
	_ PerCall = (*MutedPlayRec)(nil)
)

// mutedRound is one iteration: which leg was muted and what each leg
// recorded (by Leg: the caller's recording holds what the callee sent).
type mutedRound struct {
	muted Leg
	recs  map[Leg]*recording
}

// silentOn reports whether the recording on leg should be silent: it
// receives from the muted leg.
func (r *mutedRound) silentOn(leg Leg) bool { return leg != r.muted }

// muteSettle is how long after moving the mute the recordings start, so
// that audio already on its way (in the network, a jitter buffer, the
// SUT) when the mute moved does not land in the silent recording: on
// loopback it is a frame or two, through an SBC a jitter buffer's worth.
const muteSettle = 200 * time.Millisecond

func mutedPlayRecSpec() Spec {
	return Spec{
		Name: "muted_playrec",
		Doc: "switchio's MutedPlayRec as a check: both legs answer and play `clip` for the whole call; each iteration one leg is muted " +
			"(`uuid_audio <uuid> start write mute 1`: its packets carry silence; the other leg is unmuted with `mute 0`) and, 200 ms later, " +
			"both legs record what they receive (`uuid_record`, with `RECORD_READ_ONLY=true` since FreeSWITCH otherwise mixes in what the leg sends) to `dir`/<call>-<iteration>-<leg>.wav for `record_for`. The leg facing the muted one must " +
			"record silence, the muted leg must record the far end's clip. The mute starts on `mute_first` and moves to the other leg each iteration. " +
			"After the last iteration the caller hangs up (the stage's hold does not apply). Lengths are checked from RECORD_STOP's `record_ms`; " +
			"silence is checked by reading the files, so only where the runner can read them (the embedded agent, a shared file system): with " +
			"`verify: event` (a remote FreeSWITCH node) only the lengths are checked and the recordings count `by_event`.",
		Params: []Param{
			{Name: "clip", Type: TypeString, Default: DefaultClip, Doc: "What both legs play, for the whole call: a tone_stream:// or a WAV path on each leg's node (it must last the call, or the unmuted direction records silence)."},
			{Name: "mute_first", Type: TypeEnum, Default: "callee", Enum: []string{"caller", "callee"}, Doc: "The leg muted in the first iteration (switchio mutes the callee first)."},
			{Name: "record_for", Type: TypeDuration, Default: "2s", Doc: "How long each recording runs; the expected length."},
			{Name: "tolerance", Type: TypeDuration, Default: "500ms", Doc: "How far the recorded length may be from record_for."},
			{Name: "iterations", Type: TypeInt, Default: "2", Min: 1, Max: 100, Doc: "Rounds per call; the mute moves to the other leg each round, so 2 covers both directions."},
			{Name: "dir", Type: TypeString, Default: "/tmp/callplan-recordings", Doc: "Directory for the recordings on each leg's node (absolute)."},
			{Name: "verify", Type: TypeEnum, Default: "auto", Enum: []string{"auto", "file", "event"}, Doc: "file: read each recording here (it must exist); event: trust RECORD_STOP only (a remote node: silence is not checked); auto: the file when it is readable here, else the event."},
			{Name: "keep", Type: TypeBool, Default: "false", Doc: "Keep the recordings the runner read, for listening; otherwise they are removed once checked."},
		},
		Check: checkPlayRec,
		New:   newMutedPlayRec,
		Judges: "Success: the call was answered, every recording stopped with a `record_ms` within `tolerance` of `record_for`, each recording read from the muted " +
			"direction was silent (RMS below -55 dBFS) and each from the open direction was not; the caller then ended the call. Failure reasons: those of park, " +
			"`recording_missing`, `muted_not_silent` (audio came through a muted direction), `recording_silent` (the open direction was silent), `recording_length`.",
		Counters: []Measure{
			{Name: "recordings", Doc: "recordings that passed every check"},
			{Name: "missing", Doc: "recordings missing: no RECORD_STOP, empty-file, or not readable with verify: file"},
			{Name: "not_silent", Doc: "recordings of a muted direction that held audio"},
			{Name: "silent", Doc: "recordings of an open direction that were silent"},
			{Name: "wrong_length", Doc: "recordings whose record_ms was off by more than tolerance"},
			{Name: "by_event", Doc: "recordings checked by RECORD_STOP alone (file not read: silence not checked)"},
		},
		Fields: []Measure{
			{Name: "record_ms", Doc: "the shortest record_ms the nodes reported, milliseconds"},
			{Name: "muted_dbfs", Doc: "the loudest recording of a muted direction, RMS dBFS (recordings read only; -200 for digital silence)"},
			{Name: "open_dbfs", Doc: "the quietest recording of an open direction, RMS dBFS (recordings read only)"},
			{Name: "kept", Doc: "the recordings kept (keep: true), space-separated"},
		},
	}
}

func newMutedPlayRec(p Params) (Flow, error) {
	pr, err := newPlayRec(p)
	if err != nil {
		return nil, err
	}
	base := pr.(*PlayRec)
	first := LegCallee
	if p["mute_first"] == "caller" {
		first = LegCaller
	}
	return &MutedPlayRec{Clip: base.Clip, MuteFirst: first, RecordFor: base.RecordFor, Tolerance: base.Tolerance,
		Iters: base.Iters, Dir: base.Dir, Verify: base.Verify, Keep: base.Keep}, nil
}

// ForCall implements PerCall.
func (f *MutedPlayRec) ForCall() Flow {
	return &MutedPlayRec{Clip: f.Clip, MuteFirst: f.MuteFirst, RecordFor: f.RecordFor, Tolerance: f.Tolerance,
		Iters: f.Iters, Dir: f.Dir, Verify: f.Verify, Keep: f.Keep}
}

// Use implements Flow.
func (*MutedPlayRec) Use() string { return "muted_playrec" }

// On implements Flow. The clips start on the caller's answer (the callee
// answered first), and the first round with them.
func (f *MutedPlayRec) On(ctx context.Context, c *Call, ev Event) error {
	switch ev.Kind {
	case CalleeArrived:
		if err := c.Callee.Answer(ctx); err != nil {
			return fmt.Errorf("answering callee: %w", err)
		}
	case CallerAnswered:
		for _, l := range []Leg{LegCaller, LegCallee} {
			// FreeSWITCH's uuid_record mixes what the leg sends into the
			// file unless RECORD_READ_ONLY (switch_ivr_async.c,
			// switch_ivr_record_session_event): each leg plays the clip
			// itself, so without it no recording would be silent. The
			// agent records the received direction only either way.
			if err := c.Leg(l).SetVar(ctx, "RECORD_READ_ONLY", "true"); err != nil {
				return fmt.Errorf("recording only what %s receives: %w", l, err)
			}
			if err := c.Leg(l).Play(ctx, f.Clip); err != nil {
				return fmt.Errorf("playing the clip on %s: %w", l, err)
			}
		}
		return f.iterate(ctx, c)
	case RecordStopped:
		return f.stopped(ctx, c, ev)
	}
	return nil
}

// iterate moves the mute, then starts the round's recordings once the
// audio sent before the move has passed.
func (f *MutedPlayRec) iterate(ctx context.Context, c *Call) error {
	f.mu.Lock()
	n := len(f.rounds)
	if f.done || n >= f.Iters {
		f.mu.Unlock()
		return nil
	}
	muted := f.MuteFirst
	if n%2 == 1 {
		muted = muted.Other()
	}
	round := &mutedRound{muted: muted, recs: map[Leg]*recording{}}
	for _, l := range []Leg{LegCaller, LegCallee} {
		round.recs[l] = &recording{path: filepath.Join(f.Dir, fmt.Sprintf("%s-%d-%s.wav", c.ID, n+1, l))}
	}
	f.rounds = append(f.rounds, round)
	f.mu.Unlock()

	if err := c.Leg(muted).Mute(ctx, AudioWrite, true); err != nil {
		return fmt.Errorf("muting %s: %w", muted, err)
	}
	if n > 0 {
		if err := c.Leg(muted.Other()).Mute(ctx, AudioWrite, false); err != nil {
			return fmt.Errorf("unmuting %s: %w", muted.Other(), err)
		}
	}
	if f.Verify != "event" {
		// As in playrec: the recorders need the directory.
		_ = os.MkdirAll(f.Dir, 0o750)
	}
	c.Caller.Schedule(muteSettle, func(ctx context.Context) {
		for _, l := range []Leg{LegCaller, LegCallee} {
			// The limit is a backstop: the flow stops the recording. A
			// recording that does not start shows as missing.
			_ = c.Leg(l).Record(ctx, round.recs[l].path, f.RecordFor+recordGrace)
		}
		c.Caller.Schedule(f.RecordFor, func(ctx context.Context) {
			for _, l := range []Leg{LegCaller, LegCallee} {
				_ = c.Leg(l).StopRecord(ctx, round.recs[l].path)
			}
		})
	})
	c.Caller.Schedule(muteSettle+f.RecordFor+recordGrace, func(ctx context.Context) {
		f.mu.Lock()
		lost := !round.recs[LegCaller].stopped || !round.recs[LegCallee].stopped
		f.mu.Unlock()
		if lost {
			_ = c.Caller.Hangup(ctx, "NORMAL_CLEARING")
		}
	})
	return nil
}

// stopped takes one RECORD_STOP and reads its recording; once both of
// the round's recordings have stopped it starts the next round or ends
// the call.
func (f *MutedPlayRec) stopped(ctx context.Context, c *Call, ev Event) error {
	f.mu.Lock()
	var round *mutedRound
	var rec *recording
	for _, r := range f.rounds {
		if x := r.recs[ev.Leg]; x != nil && x.path == ev.Media.Path && !x.stopped {
			round, rec = r, x
		}
	}
	if rec == nil {
		f.mu.Unlock()
		return nil // not ours, or a second stop
	}
	rec.stopped, rec.media = true, ev.Media
	complete := round.recs[LegCaller].stopped && round.recs[LegCallee].stopped
	last := complete && len(f.rounds) >= f.Iters
	f.done = f.done || last
	f.mu.Unlock()

	level, err := readRecording(f.Verify, f.Keep, rec)
	f.mu.Lock()
	rec.level, rec.fileErr = level, err
	f.mu.Unlock()
	if !complete {
		return nil
	}
	if last {
		if err := c.Caller.Hangup(ctx, "NORMAL_CLEARING"); err != nil {
			return fmt.Errorf("hanging up after the last recording: %w", err)
		}
		return nil
	}
	return f.iterate(ctx, c)
}

// Judge implements Flow.
func (f *MutedPlayRec) Judge(r *metrics.Record) {
	judgeAnswered(r)
	if !r.Answered() {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	reason := ""
	note := func(counter, why string) {
		count(r, counter)
		if reason == "" {
			reason = why
		}
	}
	shortest := time.Duration(-1)
	loudestMuted, quietestOpen := math.Inf(-1), math.Inf(1)
	var readMuted, readOpen bool
	var kept []string
	for _, round := range f.rounds {
		for _, l := range []Leg{LegCaller, LegCallee} {
			rec := round.recs[l]
			if !rec.stopped || rec.media.Status == "empty-file" || rec.fileErr != nil {
				note("missing", "recording_missing")
				continue
			}
			if shortest < 0 || rec.media.Duration < shortest {
				shortest = rec.media.Duration
			}
			silent := round.silentOn(l)
			if rec.level != nil {
				if silent {
					loudestMuted, readMuted = math.Max(loudestMuted, rec.level.DBFS), true
				} else {
					quietestOpen, readOpen = math.Min(quietestOpen, rec.level.DBFS), true
				}
				if f.Keep {
					kept = append(kept, rec.path)
				}
			}
			switch {
			case rec.level != nil && silent && rec.level.DBFS >= silenceDBFS:
				note("not_silent", "muted_not_silent")
			case rec.level != nil && !silent && rec.level.DBFS < silenceDBFS:
				note("silent", "recording_silent")
			case absDur(rec.media.Duration-f.RecordFor) > f.Tolerance:
				note("wrong_length", "recording_length")
			default:
				count(r, "recordings")
				if rec.level == nil {
					count(r, "by_event")
				}
			}
		}
	}
	// Rounds never started: the call ended (or was ended) first.
	for i := len(f.rounds); i < f.Iters; i++ {
		note("missing", "recording_missing")
		note("missing", "recording_missing")
	}
	if shortest >= 0 {
		field(r, "record_ms", msText(shortest))
	}
	if readMuted {
		field(r, "muted_dbfs", dbfsText(loudestMuted))
	}
	if readOpen {
		field(r, "open_dbfs", dbfsText(quietestOpen))
	}
	if len(kept) > 0 {
		field(r, "kept", strings.Join(kept, " "))
	}
	if r.Outcome == metrics.OutcomeOK && reason != "" {
		fail(r, reason)
	}
}

// dbfsText writes a level, digital silence (-inf) as -200.
func dbfsText(db float64) string {
	return strconv.FormatFloat(math.Max(db, -200), 'f', 1, 64)
}
