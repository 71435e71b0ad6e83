package agent

import (
	"strconv"
	"testing"
	"time"

	"github.com/callplan/callplan/agent/media"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dtmfOf waits for n DTMF events of a leg and returns them as
// digit/duration/source.
func dtmfOf(t *testing.T, c *testClient, uuid string, n int) []string {
	t.Helper()
	var got []string
	require.Eventually(t, func() bool {
		got = nil
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, e := range c.events {
			if e.Name() == "DTMF" && e.UniqueID() == uuid {
				got = append(got, e.Get("DTMF-Digit")+"/"+e.Get("DTMF-Duration")+"/"+e.Get("DTMF-Source"))
			}
		}
		return len(got) >= n
	}, 20*time.Second, 5*time.Millisecond, "%d DTMF events on %s", n, short(uuid))
	return got
}

func TestSendAndReceiveDTMF(t *testing.T) {
	t.Parallel()
	a := startSIPAgent(t)
	c := dialTest(t, a.Addr())
	c.auth()
	c.send("event plain ALL")
	out, in := mediaLoop(t, c, a.SIPAddr(), "")

	assert.Equal(t, "+OK "+out+" sent DTMF 1a@100+#.\n", c.api("uuid_send_dtmf "+out+" 1a@100+#"))
	assert.Equal(t, []string{"1/800/RTP", "A/800/RTP", "#/2080/RTP"}, dtmfOf(t, c, in, 3),
		"the parked peer dequeues each digit with its duration in samples")
	assert.Equal(t, "1200", c.api("uuid_getvar "+out+" last_dtmf_duration"), "((800+2000)*2+(2000+2000)) samples / 8")

	assert.Equal(t, "-ERR Operation failed\n", c.api("uuid_send_dtmf "+out+" xyz"))
	assert.Equal(t, "-ERR Cannot locate session!\n", c.api("uuid_send_dtmf 00000000-0000-0000-0000-000000000000 1"))
	assert.Equal(t, "-ERR Cannot locate session!\n", c.api("uuid_send_dtmf "+out))

	// The send_dtmf app does the same from the dialplan side.
	c.send("sendmsg "+in, "call-command: execute", "execute-app-name: send_dtmf", "execute-app-arg: 9")
	assert.Equal(t, []string{"9/2080/RTP"}, dtmfOf(t, c, out, 1))
}

// echo does not dequeue digits: they wait in the queue and come out as
// events when the leg is parked again (reference 5.1, 5.3).
func TestDTMFQueuedDuringEcho(t *testing.T) {
	t.Parallel()
	a := startSIPAgent(t)
	c := dialTest(t, a.Addr())
	c.auth()
	c.send("event plain ALL")
	out, in := mediaLoop(t, c, a.SIPAddr(), "")
	c.send("sendmsg "+in, "call-command: execute", "execute-app-name: echo", "Event-UUID: echo-1")
	c.waitEvent(nameAnd("CHANNEL_EXECUTE", "Application-UUID", "echo-1"))
	require.Equal(t, "+OK "+out+" sent DTMF 5@60.\n", c.api("uuid_send_dtmf "+out+" 5@60"))
	inLeg := a.channel(in)
	require.NotNil(t, inLeg)
	s, err := inLeg.session()
	require.NoError(t, err)
	require.Eventually(t, func() bool { return s.Stats().InDTMFPackets >= 5 }, 15*time.Second, time.Millisecond)
	assert.Equal(t, -1, c.indexOf(nameAnd("DTMF", "Unique-ID", in)), "no DTMF event during echo")

	// The echo reflects audio: give the outbound leg a source.
	outLeg := a.channel(out)
	require.NotNil(t, outLeg)
	os, err := outLeg.session()
	require.NoError(t, err)
	play := os.SetSource(&silence{n: 10})
	<-play.Done()
	require.Eventually(t, func() bool { return os.Stats().InMediaPackets >= 5 }, 15*time.Second, time.Millisecond,
		"the echoing leg sends back what it receives")

	// The end-of-call variables carry the figures (agent/mediavars.go).
	require.Equal(t, "+OK\n", c.api("uuid_kill "+out))
	end := c.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", out))
	assert.Equal(t, "10", end.Var("rtp_audio_out_media_packet_count"))
	assert.Equal(t, "10", end.Var("rtp_audio_out_packet_count"))
	assert.Equal(t, "1720", end.Var("rtp_audio_out_media_bytes"), "whole packets, as FreeSWITCH counts")
	assert.Equal(t, "5", end.Var("rtp_audio_out_dtmf_packet_count"), "5@60: durations 160, 320, then 480 three times")
	assert.Equal(t, "0", end.Var("rtp_audio_in_flaw_total"))
	assert.Equal(t, "100.00", end.Var("rtp_audio_in_quality_percentage"))
	mos, err := strconv.ParseFloat(end.Var("rtp_audio_in_mos"), 64)
	require.NoError(t, err)
	assert.InDelta(t, 4.4, mos, 0.1, "a clean G.711 stream by the E-model")
	inEnd := c.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", in))
	assert.Equal(t, "5", inEnd.Var("rtp_audio_in_dtmf_packet_count"))
	assert.Equal(t, "15", inEnd.Var("rtp_audio_in_packet_count"), "10 audio and 5 DTMF packets")
}

// silence is a media.Source of n silent frames.
type silence struct{ n int }

func (s *silence) Read([]int16) bool {
	s.n--
	return s.n >= 0
}

var _ media.Source = (*silence)(nil)
