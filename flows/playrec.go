package flows

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/callplan/callplan/metrics"
)

// PlayRec is switchio's PlayRec made a check: each iteration one leg
// plays a clip while the far leg records what it receives, and the
// recording must exist, be non-silent and last about record_for.
type PlayRec struct {
	Clip      string
	PlayOn    Leg
	RecordFor time.Duration
	Tolerance time.Duration
	Iters     int
	Dir       string
	Verify    string // auto, file or event
	Keep      bool

	mu   sync.Mutex
	recs []*recording
	done bool // every iteration's recording stopped
}

var (
	_ Flow    = (*PlayRec)(nil)
	_ PerCall = (*PlayRec)(nil)
)

// recording is one iteration's recording and what was found in it.
type recording struct {
	path    string
	stopped bool
	media   MediaResult
	level   *wavLevel // nil when the file was not read
	fileErr error
}

// DefaultClip is what playrec plays unless told: the 1004 Hz test tone,
// continuously (the flow stops it when the recording stops).
const DefaultClip = MilliwattTone

// recordGrace is how long after record_for the flow waits for the
// recording's RECORD_STOP before it gives up and ends the call.
const recordGrace = 5 * time.Second

func playrecSpec() Spec {
	return Spec{
		Name: "playrec",
		Doc: "switchio's PlayRec as a check: both legs answer; each iteration the `play_on` leg plays `clip` while the far leg records what it receives " +
			"(`uuid_record`) to `dir`/<call>-<iteration>.wav for `record_for`, then the recording is checked. After the last iteration the caller hangs up " +
			"(the stage's hold does not apply). The length checked is the node's `record_ms` from RECORD_STOP. Whether the file exists and is not silent " +
			"is checked by reading it, which the runner can do only where the node writes to the runner's file system (the embedded agent): " +
			"on a remote FreeSWITCH node (`verify: event`, or `auto` when the file is not there) the check is RECORD_STOP and its `record_ms` alone " +
			"(FreeSWITCH reports an empty recording as `Record-Completion-Cause: empty-file` and removes it), not the file, and the files stay on the node.",
		Params: []Param{
			{Name: "clip", Type: TypeString, Default: DefaultClip, Doc: "What is played: a tone_stream:// or a WAV path on the playing leg's node."},
			{Name: "play_on", Type: TypeEnum, Default: "caller", Enum: []string{"caller", "callee"}, Doc: "The leg that plays; the other records."},
			{Name: "record_for", Type: TypeDuration, Default: "2s", Doc: "How long each recording runs; the expected length."},
			{Name: "tolerance", Type: TypeDuration, Default: "500ms", Doc: "How far the recorded length may be from record_for."},
			{Name: "iterations", Type: TypeInt, Default: "1", Min: 1, Max: 100, Doc: "Play-and-record rounds per call."},
			{Name: "dir", Type: TypeString, Default: "/tmp/callplan-recordings", Doc: "Directory for the recordings on the recording leg's node (absolute)."},
			{Name: "verify", Type: TypeEnum, Default: "auto", Enum: []string{"auto", "file", "event"}, Doc: "file: read each recording here (it must exist); event: trust RECORD_STOP only (a remote node); auto: the file when it is readable here, else the event."},
			{Name: "keep", Type: TypeBool, Default: "false", Doc: "Keep the recordings the runner read, for listening; otherwise they are removed once checked."},
		},
		Check: checkPlayRec,
		New:   newPlayRec,
		Judges: "Success: the call was answered, every iteration's recording stopped with a `record_ms` within `tolerance` of `record_for`, " +
			"and each recording read was a non-silent WAV (RMS above -55 dBFS); the caller then ended the call. Failure reasons: those of park, " +
			"`recording_missing` (no RECORD_STOP in time, an empty-file stop, or with `verify: file` no readable WAV), `recording_silent`, `recording_length`.",
		Counters: []Measure{
			{Name: "recordings", Doc: "recordings that passed every check"},
			{Name: "missing", Doc: "recordings missing: no RECORD_STOP, empty-file, or not readable with verify: file"},
			{Name: "silent", Doc: "recordings read and found silent"},
			{Name: "wrong_length", Doc: "recordings whose record_ms was off by more than tolerance"},
			{Name: "by_event", Doc: "recordings checked by RECORD_STOP alone (file not read)"},
		},
		Fields: []Measure{
			{Name: "record_ms", Doc: "the shortest record_ms the node reported, milliseconds"},
			{Name: "level_dbfs", Doc: "the quietest recording's RMS level, dBFS (recordings read only)"},
			{Name: "kept", Doc: "the recordings kept (keep: true), space-separated"},
		},
	}
}

func checkPlayRec(with map[string]string) []ParamError {
	var errs []ParamError
	if strings.ContainsAny(with["clip"], " \t") {
		errs = append(errs, ParamError{Param: "clip", Msg: "must not contain spaces: it is one argument of uuid_broadcast"})
	}
	if d, ok := with["dir"]; ok && (!filepath.IsAbs(d) || strings.ContainsAny(d, " \t")) {
		errs = append(errs, ParamError{Param: "dir", Msg: "want an absolute path without spaces"})
	}
	if v, ok := with["record_for"]; ok {
		if d, err := time.ParseDuration(v); err == nil && d < 100*time.Millisecond {
			errs = append(errs, ParamError{Param: "record_for", Msg: "must be at least 100ms"})
		}
	}
	return errs
}

func newPlayRec(p Params) (Flow, error) {
	rf, err := p.duration("record_for")
	if err != nil {
		return nil, err
	}
	tol, err := p.duration("tolerance")
	if err != nil {
		return nil, err
	}
	n, _, err := p.int("iterations")
	if err != nil {
		return nil, err
	}
	keep, _ := strconv.ParseBool(p["keep"])
	on := LegCaller
	if p["play_on"] == "callee" {
		on = LegCallee
	}
	return &PlayRec{Clip: p["clip"], PlayOn: on, RecordFor: rf, Tolerance: tol, Iters: max(n, 1),
		Dir: p["dir"], Verify: p["verify"], Keep: keep}, nil
}

// ForCall implements PerCall.
func (f *PlayRec) ForCall() Flow {
	return &PlayRec{Clip: f.Clip, PlayOn: f.PlayOn, RecordFor: f.RecordFor, Tolerance: f.Tolerance,
		Iters: f.Iters, Dir: f.Dir, Verify: f.Verify, Keep: f.Keep}
}

// Use implements Flow.
func (*PlayRec) Use() string { return "playrec" }

func (f *PlayRec) legs(c *Call) (player, recorder CallControl, recLeg Leg) {
	recLeg = f.PlayOn.Other()
	return c.Leg(f.PlayOn), c.Leg(recLeg), recLeg
}

// On implements Flow. The first iteration starts on the caller's answer
// (the callee answered first: the caller's answer is its 200 OK).
func (f *PlayRec) On(ctx context.Context, c *Call, ev Event) error {
	switch ev.Kind {
	case CalleeArrived:
		if err := c.Callee.Answer(ctx); err != nil {
			return fmt.Errorf("answering callee: %w", err)
		}
	case CallerAnswered:
		return f.iterate(ctx, c)
	case RecordStopped:
		return f.stopped(ctx, c, ev)
	}
	return nil
}

// iterate starts the next recording, then the clip, and schedules the
// stop and the watchdog for a RECORD_STOP that never comes.
func (f *PlayRec) iterate(ctx context.Context, c *Call) error {
	player, recorder, _ := f.legs(c)
	f.mu.Lock()
	if f.done || len(f.recs) >= f.Iters {
		f.mu.Unlock()
		return nil
	}
	r := &recording{path: filepath.Join(f.Dir, fmt.Sprintf("%s-%d.wav", c.ID, len(f.recs)+1))}
	f.recs = append(f.recs, r)
	f.mu.Unlock()
	if f.Verify != "event" {
		// The embedded agent, like FreeSWITCH's recorder without a
		// directory, needs it to exist; on a remote node this is a no-op
		// here and the node makes its own.
		_ = os.MkdirAll(f.Dir, 0o750)
	}
	// The limit is a backstop: the flow stops the recording itself.
	if err := recorder.Record(ctx, r.path, f.RecordFor+recordGrace); err != nil {
		return fmt.Errorf("starting the recording: %w", err)
	}
	if err := player.Play(ctx, f.Clip); err != nil {
		return fmt.Errorf("playing the clip: %w", err)
	}
	c.Caller.Schedule(f.RecordFor, func(ctx context.Context) {
		_ = player.StopPlayback(ctx)
		_ = recorder.StopRecord(ctx, r.path)
	})
	c.Caller.Schedule(f.RecordFor+recordGrace, func(ctx context.Context) {
		f.mu.Lock()
		lost := !r.stopped
		f.mu.Unlock()
		if lost {
			_ = c.Caller.Hangup(ctx, "NORMAL_CLEARING")
		}
	})
	return nil
}

// stopped checks the recording RECORD_STOP reports, then starts the next
// iteration or ends the call.
func (f *PlayRec) stopped(ctx context.Context, c *Call, ev Event) error {
	_, _, recLeg := f.legs(c)
	if ev.Leg != recLeg {
		return nil
	}
	f.mu.Lock()
	var r *recording
	for _, x := range f.recs {
		if x.path == ev.Media.Path && !x.stopped {
			r = x
		}
	}
	if r == nil {
		f.mu.Unlock()
		return nil // not ours, or a second stop
	}
	r.stopped, r.media = true, ev.Media
	last := len(f.recs) >= f.Iters
	f.done = last
	f.mu.Unlock()

	level, err := readRecording(f.Verify, f.Keep, r)
	f.mu.Lock()
	r.level, r.fileErr = level, err
	f.mu.Unlock()
	if last {
		if err := c.Caller.Hangup(ctx, "NORMAL_CLEARING"); err != nil {
			return fmt.Errorf("hanging up after the last recording: %w", err)
		}
		return nil
	}
	return f.iterate(ctx, c)
}

// readRecording measures a stopped recording when verify asks for the
// file (or auto finds it here), and removes it unless keep.
func readRecording(verify string, keep bool, r *recording) (*wavLevel, error) {
	if verify == "event" || r.media.Status == "empty-file" {
		return nil, nil
	}
	l, err := readWAVLevel(r.path)
	if err != nil {
		if verify == "auto" && errors.Is(err, fs.ErrNotExist) {
			return nil, nil // written on a remote node: the event decides
		}
		return nil, err
	}
	if !keep {
		_ = os.Remove(r.path)
	}
	return &l, nil
}

// Judge implements Flow.
func (f *PlayRec) Judge(r *metrics.Record) {
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
	shortest, quietest := time.Duration(-1), math.Inf(1)
	var kept []string
	for _, rec := range f.recs {
		if !rec.stopped || rec.media.Status == "empty-file" || rec.fileErr != nil {
			note("missing", "recording_missing")
			continue
		}
		if shortest < 0 || rec.media.Duration < shortest {
			shortest = rec.media.Duration
		}
		if rec.level != nil {
			quietest = math.Min(quietest, rec.level.DBFS)
			if f.Keep {
				kept = append(kept, rec.path)
			}
		}
		switch {
		case rec.level != nil && rec.level.DBFS < silenceDBFS:
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
	// Iterations never started: the call ended (or was ended) first.
	for i := len(f.recs); i < f.Iters; i++ {
		note("missing", "recording_missing")
	}
	if shortest >= 0 {
		field(r, "record_ms", msText(shortest))
	}
	if !math.IsInf(quietest, 1) {
		field(r, "level_dbfs", dbfsText(quietest))
	}
	if len(kept) > 0 {
		field(r, "kept", strings.Join(kept, " "))
	}
	if r.Outcome == metrics.OutcomeOK && reason != "" {
		fail(r, reason)
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
