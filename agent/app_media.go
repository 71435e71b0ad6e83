package agent

import (
	"errors"
	"strconv"
	"sync"

	"github.com/callplan/callplan/agent/media"
)

// This file holds what the media apps (playback, recording, bert_test,
// tone_detect; app_*.go) share: the leg's RTP session, the channel's media
// app state, and events that carry a FreeSWITCH source file of their own.

// mediaLeg is implemented by legs with an RTP session (the SIP legs; the
// fake signalling of the tests has none).
type mediaLeg interface {
	Session() *media.Session
}

// Session is the outbound leg's RTP session (nil before the INVITE).
func (l *outboundLeg) Session() *media.Session { return l.out.Media() }

// Session is the inbound leg's RTP session.
func (l *inboundLeg) Session() *media.Session { return l.in.Media() }

// errNoMedia: the leg has no RTP session to act on.
var errNoMedia = errors.New("leg has no media session")

// session returns the channel's RTP session.
func (c *channel) session() (*media.Session, error) {
	c.mu.Lock()
	leg := c.leg
	c.mu.Unlock()
	if m, ok := leg.(mediaLeg); ok {
		if s := m.Session(); s != nil {
			return s, nil
		}
	}
	return nil, errNoMedia
}

// mediaApps is a channel's running media apps: what uuid_break stops, the
// recordings uuid_record and record_session started, the tone detectors.
// Touched on the channel goroutine, and by API commands under mu.
type mediaApps struct {
	mu        sync.Mutex
	play      *media.Play // the playback running now
	recs      []*recording
	detectors map[string]*toneDetect // by key, case-insensitively
	displace  *displacement
	inband    func() // removes start_dtmf's detector
	// brk stops the running record or sleep (uuid_break; a playback is
	// play); breakPending is FreeSWITCH's CF_BREAK left set by a
	// uuid_break that found none of them (app_break.go).
	brk          func()
	breakPending bool
}

// stopMedia ends what outlives an app at hangup: recordings (RECORD_STOP
// with the cause FreeSWITCH gives a recording cut by the hangup) and tone
// detectors. It runs on the channel goroutine before the hangup states.
func (c *channel) stopMedia() {
	c.stopRecordings("", "no-input-timeout")
	c.stopToneDetect()
	c.stopDisplace()
	c.stopInbandDTMF()
	c.stopAudioBug()
}

// fireAt fires a channel event whose Event-Calling-* FreeSWITCH sets from
// the module that raised it (mod_bert.c for its CUSTOM events) rather than
// from the event type. pre adds headers before the channel data, post
// after.
func (c *channel) fireAt(name, subclass string, site callingSite, pre, post func(*event)) {
	size := 64
	if eventsWithVariables[name] {
		size += c.varCount()
	}
	c.a.hub.fireSized(name, subclass, size, func(e *event) {
		setCallingSite(e, site)
		if pre != nil {
			pre(e)
		}
		c.addChannelData(e, name)
		if post != nil {
			post(e)
		}
	})
}

// setCallingSite rewrites the Event-Calling-* headers newEvent filled in.
func setCallingSite(e *event, site callingSite) {
	for i := range e.Headers {
		switch e.Headers[i].Name {
		case "Event-Calling-File":
			e.Headers[i].Value = site.file
		case "Event-Calling-Function":
			e.Headers[i].Value = site.fn
		case "Event-Calling-Line-Number":
			e.Headers[i].Value = strconv.Itoa(site.line)
		}
	}
}

// waitPlay runs the channel's mailbox until p is over or the leg hangs
// up, as FreeSWITCH's playing apps service the session while they play.
func (c *channel) waitPlay(p *media.Play) {
	over := func() bool {
		select {
		case <-p.Done():
			return true
		default:
			return false
		}
	}
	go func() {
		// Wake the wait loop when the play ends by itself.
		select {
		case <-p.Done():
			c.mbox.Push(func() {})
		case <-c.done:
		}
	}()
	c.wait(over, nil)
}

// audioFileBudget is how much decoded audio the agent keeps for playbacks:
// about 35 minutes of 8 kHz prompts.
const audioFileBudget = 32 << 20

// audioFiles is the agent's cache of decoded audio files, made on first
// use.
type audioFiles struct {
	once  sync.Once
	cache *media.FileCache
}

func (a *Agent) audioFiles() *media.FileCache {
	a.files.once.Do(func() { a.files.cache = media.NewFileCache(audioFileBudget) })
	return a.files.cache
}
