package agent

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/callplan/callplan/agent/media"
	"github.com/callplan/callplan/internal/hangup"
	"github.com/pion/rtp"
)

// The record app: record <path> [<limit s>] [<silence_thresh>]
// [<silence_hits s>], after mod_dptools' record and switch_ivr_record_file
// in switch_ivr_play_say.c. Unlike record_session it blocks: it records
// what the leg receives until the limit passes, the silence test stops it
// or the leg hangs up, with RECORD_START / RECORD_STOP (Record-File-Path
// only) and the record_seconds, record_ms, record_samples variables.
//
// The silence test is FreeSWITCH's: a frame's score is its mean absolute
// sample; silence_hits seconds of frames scoring under the threshold in a
// row (3 s when a threshold is given without hits) stop the recording and
// set silence_hits_exhausted=true. It dequeues received digits (DTMF
// events) while it records, and one of playback_terminators stops it and
// is kept in playback_terminator_used (mod_dptools' on_dtmf); uuid_break
// stops it too.

var (
	siteRecordFileStart = callingSite{"switch_ivr_play_say.c", "switch_ivr_record_file", 770}
	siteRecordFileStop  = callingSite{"switch_ivr_play_say.c", "switch_ivr_record_file", 1033}
)

// silenceWatch is a Sink that reports thresh/hits silence, once.
type silenceWatch struct {
	mu      sync.Mutex
	thresh  uint32
	hits    int // frames of silence left before stopping
	org     int
	fired   bool
	onQuiet func()
}

func (w *silenceWatch) Write(_ *rtp.Header, frame []int16) {
	if len(frame) == 0 {
		return
	}
	var energy uint64
	for _, s := range frame {
		if s < 0 {
			energy += uint64(-int32(s))
		} else {
			energy += uint64(s)
		}
	}
	w.mu.Lock()
	fire := false
	if uint32(energy/uint64(len(frame))) < w.thresh {
		w.hits--
		if w.hits <= 0 && !w.fired {
			w.fired, fire = true, true
		}
	} else {
		w.hits = w.org
	}
	w.mu.Unlock()
	if fire {
		w.onQuiet()
	}
}

// recordFile is the record app; it returns when the recording ends.
func (c *channel) recordFile(arg string) {
	argv := strings.Fields(arg)
	if len(argv) == 0 {
		return
	}
	path := argv[0]
	at := func(i int) int {
		if i < len(argv) {
			n, _ := strconv.Atoi(argv[i])
			return max(n, 0)
		}
		return 0
	}
	limit, thresh, hitSecs := at(1), at(2), at(3)
	c.setVar("playback_terminator_used", "")
	if err := c.preAnswer(); err != nil {
		return
	}
	s, err := c.session()
	if err != nil {
		return
	}
	done := make(chan struct{})
	var once sync.Once
	stop := func() { once.Do(func() { close(done) }) }
	rec, err := media.CreateRecorder(path, time.Duration(limit)*time.Second, stop)
	if err != nil {
		c.a.log.Debug("record", "uuid", c.uuid, "err", err)
		c.doHangup(hangupInfo{cause: hangup.DestinationOutOfOrder, sendSignal: true})
		return
	}
	c.fireAt("RECORD_START", "", siteRecordFileStart, nil, func(e *event) {
		e.Headers = append(e.Headers, header{"Record-File-Path", path})
	})
	remove := s.AddSink(rec)
	if c.takeBreak(stop) {
		stop() // a uuid_break was pending (app_break.go)
	}
	defer c.endBreak()
	if thresh > 0 {
		if hitSecs == 0 {
			hitSecs = 3
		}
		frames := hitSecs * 8000 / media.FrameSamples
		w := &silenceWatch{thresh: uint32(thresh), hits: frames, org: frames, onQuiet: func() {
			c.setVar("silence_hits_exhausted", "true")
			stop()
		}}
		removeWatch := s.AddSink(w)
		defer removeWatch()
	}
	var timer <-chan time.Time
	if limit > 0 {
		// The limit is wall time in switch_ivr_record_file; the recorder's
		// own limit also stops it when the audio reaches it first.
		t := time.NewTimer(time.Duration(limit) * time.Second)
		defer t.Stop()
		timer = t.C
	}
	go func() {
		select {
		case <-done:
			c.mbox.Push(func() {})
		case <-c.done:
		}
	}()
	c.readDTMF(func(d media.Digit) bool {
		if !c.playbackTerminator(d) {
			return false
		}
		stop()
		return true
	}, func() {
		c.wait(func() bool {
			select {
			case <-done:
				return true
			default:
				return false
			}
		}, timer)
	})
	stop()
	remove()
	length, err := rec.Close()
	if err != nil {
		c.a.log.Debug("record", "uuid", c.uuid, "err", err)
	}
	samples := int64(length / (time.Second / 8000))
	c.mu.Lock()
	c.vars.set("record_seconds", strconv.FormatInt(samples/8000, 10))
	c.vars.set("record_ms", strconv.FormatInt(samples/8, 10))
	c.vars.set("record_samples", strconv.FormatInt(samples, 10))
	c.mu.Unlock()
	c.fireAt("RECORD_STOP", "", siteRecordFileStop, nil, func(e *event) {
		e.Headers = append(e.Headers, header{"Record-File-Path", path})
	})
}
