package agent

import (
	"strconv"
	"testing"

	"github.com/callplan/callplan/esl"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// count is how many events seen so far match pred.
func (c *testClient) count(pred func(*esl.Event) bool) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, e := range c.events {
		if pred(e) {
			n++
		}
	}
	return n
}

// TestBroadcastLegWords is uuid_broadcast's leg word as mod_commands.c
// reads it, on a loop call whose legs (as on FreeSWITCH after an API
// originate) have no partner: "both" and "aleg" play on the named leg and
// never on the other leg of the loop, "bleg", "holdb" and unknown words
// play nothing, no word plays on the leg. Each case is followed by an
// "aleg" marker broadcast; the queue runs in order, so the marker's
// PLAYBACK_STOP means the case's message has been handled.
func TestBroadcastLegWords(t *testing.T) {
	t.Parallel()
	a := startSIPAgent(t)
	c := dialTest(t, a.Addr())
	c.auth()
	c.send("event plain ALL")
	out, in := mediaLoop(t, c, a.SIPAddr(), "")

	cases := []struct {
		word  string
		plays bool
	}{
		{"both", true},
		{"BOTH", true},
		{"aleg", true},
		{"", true},
		{"bleg", false},
		{"holdb", false},
		{"both,holdb", true},
		{"sideways", false},
	}
	for i, tc := range cases {
		path := "tone_stream://%(100,0," + strconv.Itoa(400+10*i) + ")"
		marker := "tone_stream://%(60,0," + strconv.Itoa(2000+10*i) + ")"
		cmd := "uuid_broadcast " + out + " " + path
		if tc.word != "" {
			cmd += " " + tc.word
		}
		require.Equal(t, "+OK Message sent\n", c.api(cmd), tc.word)
		require.Equal(t, "+OK Message sent\n", c.api("uuid_broadcast "+out+" "+marker+" aleg"))
		c.waitEvent(func(e *esl.Event) bool {
			return e.Name() == "PLAYBACK_STOP" && e.UniqueID() == out && e.Get("Playback-File-Path") == marker
		})
		onPath := func(name, leg string) func(*esl.Event) bool {
			return func(e *esl.Event) bool {
				return e.Name() == name && e.UniqueID() == leg && e.Get("Playback-File-Path") == path
			}
		}
		want := 0
		if tc.plays {
			want = 1
		}
		assert.Equal(t, want, c.count(onPath("PLAYBACK_START", out)), "word %q: PLAYBACK_START on the leg", tc.word)
		assert.Equal(t, want, c.count(onPath("PLAYBACK_STOP", out)), "word %q: PLAYBACK_STOP on the leg", tc.word)
	}
	assert.Zero(t, c.count(nameAnd("PLAYBACK_START", "Unique-ID", in)), "nothing plays on the loop's other leg")

	// app!cause::arg hangs the leg up with that cause once the app ran.
	last := "tone_stream://%(100,0,1004)"
	require.Equal(t, "+OK Message sent\n", c.api("uuid_broadcast "+out+" playback!user_busy::"+last+" aleg"))
	stop := c.waitEvent(func(e *esl.Event) bool {
		return e.Name() == "PLAYBACK_STOP" && e.UniqueID() == out && e.Get("Playback-File-Path") == last
	})
	hup := c.waitEvent(nameAnd("CHANNEL_HANGUP", "Unique-ID", out))
	assert.Equal(t, "USER_BUSY", hup.Get("Hangup-Cause"))
	assert.Less(t, c.indexOf(func(e *esl.Event) bool { return e == stop }), c.indexOf(func(e *esl.Event) bool { return e == hup }))
}
