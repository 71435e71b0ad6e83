package agent

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/callplan/callplan/agent/media"
)

// Recording: uuid_record start|stop|mask|unmask and the record_session /
// stop_record_session apps, after switch_ivr_record_session_event and
// record_callback in switch_ivr_async.c. What the leg receives is written
// to a WAV file; RECORD_START and MEDIA_BUG_START come as the recording
// starts, the record_* variables, RECORD_STOP and MEDIA_BUG_STOP as it
// stops (captured: 08). FreeSWITCH mixes in what the leg sends as well;
// the agent records the received direction only (docs/agent.md).

var (
	siteRecordStart   = callingSite{"switch_ivr_async.c", "record_callback", 1481}
	siteRecordStop    = callingSite{"switch_ivr_async.c", "send_record_stop_event", 1240}
	siteMediaBugStart = callingSite{"switch_core_media_bug.c", "switch_core_media_bug_add", 1014}
	siteMediaBugStop  = callingSite{"switch_core_media_bug.c", "switch_core_media_bug_destroy", 84}
)

const recordUsage = "-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>] [<recording_vars>]\n"

// recording is one running recording of a leg.
type recording struct {
	path   string
	rec    *media.Recorder
	remove func()
}

var (
	errNoRecording = errors.New("no such recording")
	errRecording   = errors.New("already recording that file")
)

func apiUUIDRecord(a *Agent, args string) string {
	argv, c, reply := a.uuidArgs(args, 3, recordUsage, "-ERR Cannot locate session!\n")
	if c == nil {
		return reply
	}
	path := argv[2]
	var limit time.Duration
	if len(argv) > 3 {
		n, _ := strconv.Atoi(argv[3])
		limit = time.Duration(max(n, 0)) * time.Second
	}
	var err error
	switch strings.ToLower(argv[1]) {
	case "start":
		if c.do(func() error { return c.startRecording(path, limit) }) != nil {
			return "-ERR Cannot record session!\n"
		}
	case "stop":
		err = c.do(func() error { return c.stopRecordings(path, "success-maxtime") })
		if err != nil {
			return "-ERR Cannot stop record session!\n"
		}
	case "mask", "unmask":
		on := strings.EqualFold(argv[1], "mask")
		if c.maskRecording(path, on) != nil {
			return "-ERR Cannot " + strings.ToLower(argv[1]) + " recording session!\n"
		}
	default:
		return recordUsage
	}
	return "+OK Success\n"
}

// recordSessionApp is record_session <path> [+<limit_sec>] [{vars}]: it
// starts a recording and returns at once.
func (c *channel) recordSessionApp(arg string) {
	fields := strings.Fields(arg)
	if len(fields) == 0 {
		return
	}
	var limit time.Duration
	if len(fields) > 1 && strings.HasPrefix(fields[1], "+") {
		n, _ := strconv.Atoi(fields[1][1:])
		limit = time.Duration(max(n, 0)) * time.Second
	}
	if err := c.startRecording(fields[0], limit); err != nil {
		c.a.log.Debug("record_session", "uuid", c.uuid, "err", err)
	}
}

// startRecording starts recording the leg to path. It runs on the channel
// goroutine.
func (c *channel) startRecording(path string, limit time.Duration) error {
	// switch_ivr_record_session_event pre-answers the leg first.
	if err := c.preAnswer(); err != nil {
		return err
	}
	s, err := c.session()
	if err != nil {
		return err
	}
	c.apps.mu.Lock()
	for _, r := range c.apps.recs {
		if r.path == path {
			c.apps.mu.Unlock()
			return errRecording
		}
	}
	c.apps.mu.Unlock()
	var r *recording
	rec, err := media.CreateRecorder(path, limit, func() {
		// The limit: stop from the channel goroutine, as the media bug's
		// stop time does.
		c.mbox.Push(func() { c.stopRecording(r, "success-maxtime") })
	})
	if err != nil {
		return err
	}
	r = &recording{path: path, rec: rec}
	c.apps.mu.Lock()
	c.apps.recs = append(c.apps.recs, r)
	c.apps.mu.Unlock()
	c.fireAt("RECORD_START", "", siteRecordStart, nil, func(e *event) {
		e.Headers = append(e.Headers, header{"Record-File-Path", path})
	})
	c.fireMediaBug(true, "session_record", path)
	r.remove = s.AddSink(rec)
	return nil
}

// fireMediaBug fires MEDIA_BUG_START (start) or MEDIA_BUG_STOP for a media
// bug: function and target are what FreeSWITCH names it by
// ("session_record" and the path for a recording, captured: 08; "audio"
// and "mute" for uuid_audio's, captured: 06).
func (c *channel) fireMediaBug(start bool, function, target string) {
	name, site := "MEDIA_BUG_STOP", siteMediaBugStop
	if start {
		name, site = "MEDIA_BUG_START", siteMediaBugStart
	}
	c.fireAt(name, "", site, func(e *event) {
		e.Headers = append(e.Headers, header{"Media-Bug-Function", function},
			header{"Media-Bug-Target", target})
	}, nil)
}

// stopRecordings stops the recording of path, or every one for "all" or
// "" (at hangup), with the completion cause; errNoRecording when nothing
// matched.
func (c *channel) stopRecordings(path, cause string) error {
	c.apps.mu.Lock()
	var hit []*recording
	for _, r := range c.apps.recs {
		if path == "" || strings.EqualFold(path, "all") || r.path == path {
			hit = append(hit, r)
		}
	}
	c.apps.mu.Unlock()
	if len(hit) == 0 {
		return errNoRecording
	}
	for _, r := range hit {
		c.stopRecording(r, cause)
	}
	return nil
}

// stopRecording ends one recording, once: the file is closed (or removed
// when nothing was recorded, as FreeSWITCH discards an empty file), the
// record_* variables set and the stop events fired.
func (c *channel) stopRecording(r *recording, cause string) {
	c.apps.mu.Lock()
	found := false
	for i, x := range c.apps.recs {
		if x == r {
			c.apps.recs = append(c.apps.recs[:i], c.apps.recs[i+1:]...)
			found = true
			break
		}
	}
	c.apps.mu.Unlock()
	if !found {
		return
	}
	if r.remove != nil {
		r.remove()
	}
	length, err := r.rec.Close()
	if err != nil {
		c.a.log.Debug("recording", "uuid", c.uuid, "err", err)
	}
	samples := int64(length / (time.Second / 8000))
	c.mu.Lock()
	v := &c.vars
	v.set("record_file_size", strconv.FormatInt(44+2*samples, 10))
	if samples == 0 {
		v.set("RECORD_DISCARDED", "true")
		cause = "empty-file"
	}
	v.set("record_samples", strconv.FormatInt(samples, 10))
	v.set("record_seconds", strconv.FormatInt(samples/8000, 10))
	v.set("record_ms", strconv.FormatInt(samples/8, 10))
	v.set("record_completion_cause", cause)
	c.mu.Unlock()
	if samples == 0 {
		_ = os.Remove(r.path)
	}
	c.fireAt("RECORD_STOP", "", siteRecordStop, nil, func(e *event) {
		e.Headers = append(e.Headers, header{"Record-File-Path", r.path},
			header{"Record-Completion-Cause", cause})
	})
	c.fireMediaBug(false, "session_record", r.path)
}

// maskRecording masks (silences) or unmasks the recording of path.
func (c *channel) maskRecording(path string, on bool) error {
	c.apps.mu.Lock()
	defer c.apps.mu.Unlock()
	for _, r := range c.apps.recs {
		if r.path == path {
			r.rec.SetMask(on)
			return nil
		}
	}
	return errNoRecording
}
