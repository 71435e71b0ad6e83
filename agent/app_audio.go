package agent

import (
	"strconv"
	"strings"

	"github.com/callplan/callplan/agent/media"
)

// audioUsage is mod_commands' AUDIO_SYNTAX.
const audioUsage = "-USAGE: <uuid> [start [read|write] [mute|level <level>]|stop]\n"

// apiUUIDAudio is uuid_audio <uuid> start read|write mute|level <n> and
// uuid_audio <uuid> stop, as mod_commands' session_audio_function does it:
// mute with a non-zero value silences that direction, level scales it
// (-4..4), stop undoes both directions; the reply is +OK (fixture 06),
// -USAGE for a malformed command, and for an unknown uuid "-ERR No Such
// Channel!" followed by the +OK that FreeSWITCH appends all the same.
func apiUUIDAudio(a *Agent, args string) string {
	argv := strings.Fields(args)
	if len(argv) < 2 {
		return audioUsage
	}
	c := a.channel(argv[0])
	if c == nil {
		return "-ERR No Such Channel!\n+OK\n"
	}
	if strings.EqualFold(argv[1], "stop") {
		if s, err := c.session(); err == nil {
			s.SetReadAdjust(media.Adjust{})
			s.SetWriteAdjust(media.Adjust{})
		}
		return "+OK\n"
	}
	dir := strings.ToLower(argv[min(2, len(argv)-1)])
	if !strings.EqualFold(argv[1], "start") || len(argv) < 5 || (dir != "read" && dir != "write") {
		return audioUsage
	}
	level := cAtoi(argv[4])
	kind := strings.ToLower(argv[3])
	if kind != "mute" && kind != "level" {
		return audioUsage
	}
	s, err := c.session()
	if err != nil {
		// FreeSWITCH adds its media bug and answers +OK whatever the leg.
		return "+OK\n"
	}
	read, write := s.Adjusts()
	adj := &write
	if dir == "read" {
		adj = &read
	}
	if kind == "mute" {
		adj.Mute = level != 0
	} else {
		adj.Level = level
	}
	if dir == "read" {
		s.SetReadAdjust(read)
	} else {
		s.SetWriteAdjust(write)
	}
	return "+OK\n"
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
