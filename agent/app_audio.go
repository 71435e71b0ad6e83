package agent

import (
	"strconv"
	"strings"

	"github.com/callplan/callplan/agent/media"
)

// audioUsage is mod_commands' AUDIO_SYNTAX.
const audioUsage = "-USAGE: <uuid> [start [read|write] [mute|level <level>]|stop]\n"

// apiUUIDAudio is uuid_audio <uuid> start read|write mute|level <n> and
// uuid_audio <uuid> stop, as mod_commands' session_audio_function and
// switch_ivr_session_audio (switch_ivr_async.c) do it. The reply is +OK
// for anything that parses (fixture 06), whether or not a bug changed;
// -USAGE for a malformed command; "-ERR No such channel!" for an unknown
// uuid (1.10.12 writes only that line).
func apiUUIDAudio(a *Agent, args string) string {
	argv := strings.Fields(args)
	if len(argv) < 2 {
		return audioUsage
	}
	c := a.channel(argv[0])
	if c == nil {
		return "-ERR No such channel!\n"
	}
	if strings.EqualFold(argv[1], "stop") {
		if c.do(func() error { c.stopAudioBug(); return nil }) != nil {
			return "-ERR No such channel!\n"
		}
		return "+OK\n"
	}
	if !strings.EqualFold(argv[1], "start") || len(argv) < 5 ||
		(!strings.EqualFold(argv[2], "read") && !strings.EqualFold(argv[2], "write")) {
		return audioUsage
	}
	kind := strings.ToLower(argv[3])
	if kind != "mute" && kind != "level" {
		return audioUsage
	}
	read, level := strings.EqualFold(argv[2], "read"), cAtoi(argv[4])
	if c.do(func() error { c.startAudioBug(kind, read, level); return nil }) != nil {
		return "-ERR No such channel!\n"
	}
	return "+OK\n"
}

// audioBug is the state of uuid_audio's media bug on a leg
// (switch_session_audio_t): the mute and level of each direction, and the
// command that added it, which FreeSWITCH keeps as the bug's target.
type audioBug struct {
	target                                     string // "" while there is no bug
	readMute, writeMute, readLevel, writeLevel int
}

func (b *audioBug) idle() bool {
	return b.readMute == 0 && b.writeMute == 0 && b.readLevel == 0 && b.writeLevel == 0
}

// startAudioBug is switch_ivr_session_audio on the channel goroutine:
// pre-answer, add the "audio" media bug (MEDIA_BUG_START with
// Media-Bug-Function audio and Media-Bug-Target the command, captured: 06)
// unless the leg has one already, then set the direction's mute (which
// also clears its level) or its level (-4..4; anything else is ignored).
// A bug left with nothing to do is removed again, as FreeSWITCH's
// callback removes it on the next frame (MEDIA_BUG_STOP).
func (c *channel) startAudioBug(kind string, read bool, level int) {
	if c.isHungup() || c.preAnswer() != nil {
		return
	}
	b := &c.audio
	if b.target == "" {
		b.target = kind
		c.fireMediaBug(true, "audio", kind)
	}
	switch {
	case kind == "mute" && read:
		b.readMute, b.readLevel = level, 0
	case kind == "mute":
		b.writeMute, b.writeLevel = level, 0
	case level < -4 || level > 4:
	case read:
		b.readLevel = level
	default:
		b.writeLevel = level
	}
	if b.idle() {
		c.stopAudioBug()
		return
	}
	c.applyAudioBug()
}

// stopAudioBug is switch_ivr_stop_session_audio: the bug goes, with its
// MEDIA_BUG_STOP, and both directions are untouched again; nothing
// happens when there is none. Also run at hangup, as FreeSWITCH removes
// every media bug then.
func (c *channel) stopAudioBug() {
	if c.audio.target == "" {
		return
	}
	target := c.audio.target
	c.audio = audioBug{}
	c.applyAudioBug()
	c.fireMediaBug(false, "audio", target)
}

// applyAudioBug hands the bug's state to the RTP session, if the leg has
// one (the fake signalling of the tests has none).
func (c *channel) applyAudioBug() {
	s, err := c.session()
	if err != nil {
		return
	}
	b := c.audio
	s.SetReadAdjust(media.Adjust{Mute: b.readMute != 0, Level: b.readLevel})
	s.SetWriteAdjust(media.Adjust{Mute: b.writeMute != 0, Level: b.writeLevel})
}

// cAtoi reads an integer as C's atoi does: an optional sign and the
// leading digits, 0 when there are none.
func cAtoi(s string) int {
	s = strings.TrimSpace(s)
	end := 0
	if end < len(s) && (s[end] == '-' || s[end] == '+') {
		end++
	}
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(s[:end])
	if err != nil {
		return 0
	}
	return n
}
