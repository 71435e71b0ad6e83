package agent

import (
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/callplan/callplan/agent/media"
)

// Playback: the playback app (also what uuid_broadcast of a path runs) and
// uuid_displace, after switch_ivr_play_file in switch_ivr_play_say.c and
// mod_dptools' playback. Captured: 08.

// Where FreeSWITCH raises the playback events (switch_ivr_play_say.c).
var (
	sitePlaybackStart = callingSite{"switch_ivr_play_say.c", "switch_ivr_play_file", 1646}
	sitePlaybackStop  = callingSite{"switch_ivr_play_say.c", "switch_ivr_play_file", 2020}
)

// The playback app's Application-Response values (mod_dptools.c).
const (
	respFilePlayed    = "FILE PLAYED"
	respFileNotFound  = "FILE NOT FOUND"
	respPlaybackError = "PLAYBACK ERROR"
)

// openSource opens what a playback names: tone_stream://, silence_stream://
// or a WAV file, optionally "<path>@@<sample>" to start at a sample. It
// returns the Playback-File-Type header's value ("" for files: FreeSWITCH
// sends it for tone_stream and local_stream only).
func (c *channel) openSource(arg string) (media.Source, string, error) {
	switch {
	case hasPrefixFold(arg, "tone_stream://"):
		ts, err := media.ParseToneStream(arg[len("tone_stream://"):])
		if err != nil {
			// libteletone plays what it parsed before the error.
			c.a.log.Debug("tone_stream", "uuid", c.uuid, "err", err)
		}
		return ts, "tone_stream", nil
	case hasPrefixFold(arg, "silence_stream://"):
		return media.ParseSilenceStream(arg[len("silence_stream://"):]), "", nil
	}
	path, offset := arg, 0
	if p, off, ok := strings.Cut(arg, "@@"); ok {
		path = p
		if n, err := strconv.Atoi(off); err == nil {
			offset = n
		}
	}
	pcm, err := c.a.audioFiles().Load(path)
	if err != nil {
		return nil, "", err
	}
	return media.NewPCMSource(pcm, offset), "", nil
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// playback plays arg to the leg and returns the Application-Response. A
// file that cannot be opened gives no PLAYBACK events, only FILE NOT FOUND
// (captured: 08). While it plays it dequeues received digits (DTMF
// events, reference 5.3), and one of playback_terminators ends it:
// playback_terminator_used is set, PLAYBACK_STOP says Playback-Status
// break, the response is still FILE PLAYED and the digits after it stay
// queued (mod_dptools' playback_function and on_dtmf, the play loop of
// switch_ivr_play_file).
func (c *channel) playback(arg string) string {
	c.setVar("current_application_response", "")
	c.setVar("playback_terminator_used", "")
	src, fileType, err := c.openSource(arg)
	if err != nil {
		c.a.log.Debug("playback", "uuid", c.uuid, "err", err)
		return c.playbackResponse(respFileNotFound)
	}
	_ = c.preAnswer()
	s, _ := c.session()
	if s == nil {
		return c.playbackResponse(respPlaybackError)
	}
	fileHeaders := func(e *event) {
		if fileType != "" {
			e.Headers = append(e.Headers, header{"Playback-File-Type", fileType})
		}
		e.Headers = append(e.Headers, header{"Playback-File-Path", arg})
	}
	// The play is known to uuid_break before PLAYBACK_START tells a client
	// it can break it.
	counted := &countingSource{src: src, c: c}
	p := s.SetSource(counted)
	c.apps.mu.Lock()
	c.apps.play = p
	broken := c.apps.breakPending // a uuid_break that found nothing to stop
	c.apps.breakPending = false
	c.apps.mu.Unlock()
	c.fireAt("PLAYBACK_START", "", sitePlaybackStart, nil, fileHeaders)
	if broken {
		p.Stop()
	}
	c.readDTMF(func(d media.Digit) bool {
		if !c.playbackTerminator(d) {
			return false
		}
		p.Stop()
		return true
	}, func() { c.waitPlay(p) })
	p.Stop() // a hangup ended the wait: the session may still read it
	c.apps.mu.Lock()
	if c.apps.play == p {
		c.apps.play = nil
	}
	c.apps.mu.Unlock()
	c.resumeDisplace(s)
	status := "done"
	if errors.Is(p.Err(), media.ErrStopped) && !c.isHungup() {
		status = "break"
	}
	samples := counted.samples.Load()
	if f, ok := src.(interface{ Played() int }); ok {
		// A file knows its samples; frames pad its last 20 ms.
		samples = int64(f.Played())
	}
	c.mu.Lock()
	v := &c.vars
	v.set("playback_last_offset_pos", strconv.FormatInt(samples, 10))
	v.set("playback_seconds", strconv.FormatInt(samples/8000, 10))
	v.set("playback_ms", strconv.FormatInt(samples/8, 10))
	v.set("playback_samples", strconv.FormatInt(samples, 10))
	c.mu.Unlock()
	c.fireAt("PLAYBACK_STOP", "", sitePlaybackStop, nil, func(e *event) {
		fileHeaders(e)
		e.Headers = append(e.Headers, header{"Playback-Status", status})
	})
	return c.playbackResponse(respFilePlayed)
}

// playbackResponse records the response as FreeSWITCH does, in the
// current_application_response variable, where a parked leg's
// CHANNEL_EXECUTE_COMPLETE of park also finds it (captured: 08).
func (c *channel) playbackResponse(resp string) string {
	c.setVar("current_application_response", resp)
	return resp
}

// countingSource is a playback's source as the session reads it: it
// counts the samples played (playback_samples) and lets a running
// uuid_displace replace or mix each frame.
type countingSource struct {
	src     media.Source
	c       *channel
	samples atomic.Int64
}

func (s *countingSource) Read(frame []int16) bool {
	if !s.src.Read(frame) {
		return false
	}
	s.samples.Add(int64(len(frame)))
	if d := s.c.displacing(); d != nil {
		d.apply(frame)
	}
	return true
}

// Where FreeSWITCH raises the events of uuid_broadcast (captured: 08).
var (
	siteBroadcastCommand = callingSite{"switch_ivr_async.c", "switch_ivr_broadcast", 5731}
	siteBroadcastPrivate = callingSite{"switch_ivr.c", "switch_ivr_parse_next_event", 804}
)

// broadcast queues app on the leg as switch_ivr_broadcast does. The
// message is a COMMAND event made now (its sequence number and date are
// taken now) and queued to the leg; once the app ran it is fired as
// PRIVATE_COMMAND: the COMMAND's headers, then a second Event-Name with
// the core headers of the moment and the channel's basic data, all in one
// event (captured: 08).
func (c *channel) broadcast(app, arg string) {
	cmd := c.a.id.newEvent("COMMAND", "", c.a.hub.seq.Add(1), time.Now(), 16)
	setCallingSite(cmd, siteBroadcastCommand)
	cmd.Headers = append(cmd.Headers, header{"call-command", "execute"}, header{"execute-app-name", app})
	cmd.add("execute-app-arg", arg)
	cmd.Headers = append(cmd.Headers, header{"event-lock", "true"}, header{"lead-frames", "5"})
	c.postPrivate(true, func() {
		c.execute(app, arg, "", "")
		c.a.hub.fire("PRIVATE_COMMAND", "", func(e *event) {
			setCallingSite(e, siteBroadcastPrivate)
			e.Headers = append(cmd.Headers, e.Headers...)
			c.addChannelData(e, "PRIVATE_COMMAND")
		})
	})
}
