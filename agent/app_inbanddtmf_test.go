package agent

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callplan/callplan/esl"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStartDTMFHearsTones: the outbound leg of a loop call plays DTMF
// digits as tones; the inbound leg, with start_dtmf running, reports them
// as DTMF events with DTMF-Source: INBAND_AUDIO. After stop_dtmf the same
// tones, received in full, give no event.
func TestStartDTMFHearsTones(t *testing.T) {
	t.Parallel()
	a := startSIPAgent(t)
	c := dialTest(t, a.Addr())
	c.auth()
	c.send("event plain ALL")
	out, in := mediaLoop(t, c, a.SIPAddr(), "")
	isApp := func(name, leg, app string) func(*esl.Event) bool {
		return func(e *esl.Event) bool {
			return e.Name() == name && e.UniqueID() == leg && e.Get("Application") == app
		}
	}
	isDTMF := func(e *esl.Event) bool { return e.Name() == "DTMF" && e.UniqueID() == in }

	execute(c, in, "start_dtmf", "")
	bug := c.waitEvent(nameAnd("MEDIA_BUG_START", "Unique-ID", in))
	assert.Equal(t, "inband_dtmf", bug.Get("Media-Bug-Function"))
	_, hasTarget := bug.Lookup("Media-Bug-Target")
	assert.False(t, hasTarget)
	started := c.waitEvent(isApp("CHANNEL_EXECUTE_COMPLETE", in, "start_dtmf"))
	assert.Equal(t, "_none_", started.Get("Application-Response"))

	digits := "tone_stream://%(100,100,697,1209);%(100,100,697,1336);%(100,100,941,1477);%(100,100,697,1633);%(100,100,697,1633)"
	require.Equal(t, "+OK Message sent\n", c.api("uuid_broadcast "+out+" "+digits+" aleg"))
	// The fifth DTMF event (waitEvent rescans from the start; seen counts
	// each event once).
	seen := map[*esl.Event]bool{}
	c.waitEvent(func(e *esl.Event) bool {
		if isDTMF(e) {
			seen[e] = true
		}
		return len(seen) >= 5
	})
	var got []string
	c.mu.Lock()
	for _, e := range c.events {
		if isDTMF(e) {
			got = append(got, e.Get("DTMF-Digit")+"/"+e.Get("DTMF-Source"))
			dur, err := strconv.Atoi(e.Get("DTMF-Duration"))
			assert.NoError(t, err)
			assert.Zero(t, dur%160, "whole frames")
			assert.GreaterOrEqual(t, dur, 400, "FreeSWITCH's minimum")
		}
	}
	c.mu.Unlock()
	assert.Equal(t, "1/INBAND_AUDIO 2/INBAND_AUDIO #/INBAND_AUDIO A/INBAND_AUDIO A/INBAND_AUDIO", strings.Join(got, " "))

	execute(c, in, "stop_dtmf", "")
	stopBug := c.waitEvent(nameAnd("MEDIA_BUG_STOP", "Unique-ID", in))
	assert.Equal(t, "inband_dtmf", stopBug.Get("Media-Bug-Function"))
	c.waitEvent(isApp("CHANNEL_EXECUTE_COMPLETE", in, "stop_dtmf"))
	sess := mustSession(t, a, in)
	before := sess.Stats().InMediaPackets
	require.Equal(t, "+OK Message sent\n", c.api("uuid_broadcast "+out+" tone_stream://%(100,100,770,1209) aleg"))
	require.Eventually(t, func() bool { return sess.Stats().InMediaPackets >= before+10 },
		15*time.Second, 10*time.Millisecond, "the digit's tone and gap arrive")
	assert.Equal(t, 5, c.count(isDTMF), "no digit after stop_dtmf")
	assert.Equal(t, "+OK\n", c.api("uuid_kill "+out))
	c.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", in))
}
