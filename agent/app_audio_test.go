package agent

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUUIDAudioReplies(t *testing.T) {
	t.Parallel()
	agentKinds(t, func(t *testing.T, a *Agent, sipAddr string) {
		c := dialTest(t, a.Addr())
		c.auth()
		c.send("event plain CHANNEL_PARK")
		out, _ := originateLoop(t, c, "test", sipAddr, "")
		in := inboundOf(c, out).UniqueID()
		for _, tc := range []struct{ cmd, want string }{
			{in + " start write mute -4", "+OK\n"},
			{in + " start read level 2", "+OK\n"},
			{in + " stop", "+OK\n"},
			{in + " stop", "+OK\n"}, // nothing left to stop: +OK all the same
			{in, audioUsage},
			{in + " start write mute", audioUsage},
			{in + " start both mute 1", audioUsage}, // switch_ivr_session_audio knows both; mod_commands does not
			{in + " start write loud 1", audioUsage},
			{"no-such-uuid stop", "-ERR No such channel!\n"},
			{"no-such-uuid start write mute 1", "-ERR No such channel!\n"},
		} {
			assert.Equalf(t, tc.want, c.api("uuid_audio "+tc.cmd), "uuid_audio %s", tc.cmd)
		}
	})
}

// mediaBugs lists a leg's MEDIA_BUG_START/STOP events as
// START|STOP function/target.
func mediaBugs(c *testClient, uuid string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, e := range c.events {
		if e.UniqueID() == uuid && strings.HasPrefix(e.Name(), "MEDIA_BUG_") {
			out = append(out, strings.TrimPrefix(e.Name(), "MEDIA_BUG_")+" "+
				e.Get("Media-Bug-Function")+"/"+e.Get("Media-Bug-Target"))
		}
	}
	return out
}

// uuid_audio adds FreeSWITCH's "audio" media bug once, named after the
// command that added it; later starts change it without events, a change
// that leaves it nothing to do removes it, and stop removes it
// (switch_ivr_session_audio, switch_ivr_stop_session_audio; captured: 06).
func TestUUIDAudioMediaBug(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cmds []string
		want []string
	}{
		{"fixture 06: mute then stop", []string{"start write mute -4", "stop"},
			[]string{"START audio/mute", "STOP audio/mute"}},
		{"a second start changes the bug", []string{"start write mute 1", "start read level 2", "start write mute 0", "stop"},
			[]string{"START audio/mute", "STOP audio/mute"}},
		{"nothing left to do removes it", []string{"start read level 3", "start read level 9", "start read level 0", "stop", "start write mute 1", "stop"},
			[]string{"START audio/level", "STOP audio/level", "START audio/mute", "STOP audio/mute"}},
		{"mute 0 adds and removes at once", []string{"start read mute 0", "start write level -2", "stop"},
			[]string{"START audio/mute", "STOP audio/mute", "START audio/level", "STOP audio/level"}},
	}
	agentKinds(t, func(t *testing.T, a *Agent, sipAddr string) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				c := dialTest(t, a.Addr())
				c.auth()
				c.send("event plain CHANNEL_PARK MEDIA_BUG_START MEDIA_BUG_STOP")
				out, _ := originateLoop(t, c, "test", sipAddr, "")
				in := inboundOf(c, out).UniqueID()
				for _, cmd := range tc.cmds {
					require.Equal(t, "+OK\n", c.api("uuid_audio "+in+" "+cmd), cmd)
				}
				// The leg fires its events in order: once the last one
				// is in, none can follow.
				require.Eventually(t, func() bool { return len(mediaBugs(c, in)) >= len(tc.want) },
					10*time.Second, 5*time.Millisecond, "have %v", mediaBugs(c, in))
				assert.Equal(t, tc.want, mediaBugs(c, in))
				c.api("uuid_kill " + out)
			})
		}
	})
}

// A bug still on at hangup goes with the other media bugs, before
// CHANNEL_HANGUP_COMPLETE, as FreeSWITCH removes every bug then.
func TestUUIDAudioBugEndsAtHangup(t *testing.T) {
	t.Parallel()
	a := startSIPAgent(t)
	c := dialTest(t, a.Addr())
	c.auth()
	c.send("event plain ALL")
	_, in := mediaLoop(t, c, a.SIPAddr(), "")
	require.Equal(t, "+OK\n", c.api("uuid_audio "+in+" start write mute 1"))
	require.Equal(t, "+OK\n", c.api("uuid_kill "+in))
	c.waitEvent(nameAnd("CHANNEL_DESTROY", "Unique-ID", in))
	evs := c.legEvents(in)
	stop, complete := -1, -1
	for i, n := range evs {
		switch n {
		case "MEDIA_BUG_STOP":
			stop = i
		case "CHANNEL_HANGUP_COMPLETE":
			complete = i
		}
	}
	require.NotEqual(t, -1, stop, "MEDIA_BUG_STOP at hangup: %v", evs)
	assert.Less(t, stop, complete)
}
