package agent

import (
	"strconv"
	"testing"
	"time"

	"github.com/callplan/callplan/agent/media"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An agent told to lose 5 % of what it sends: the other agent's leg
// measures that loss (within one point) and a lower MOS, while the return
// path, intact, measures none. The loss draws are seeded, so the count is
// the same on every run; 500 packets are 10 s of audio.
func TestImpairmentSeenByThePeer(t *testing.T) {
	t.Parallel()
	lossy := startSIPAgent(t, func(c *Config) { c.Impair = media.Impairment{Loss: 0.05, Seed: 11} })
	clean := startSIPAgent(t)

	lc := dialTest(t, lossy.Addr())
	lc.auth()
	lc.send("event plain ALL")
	cc := dialTest(t, clean.Addr())
	cc.auth()
	cc.send("event plain ALL")

	out, _ := originateLoop(t, lc, "test", clean.SIPAddr(), "")
	in := inboundOf(cc, out).UniqueID()
	require.Equal(t, "+OK\n", cc.api("uuid_answer "+in))
	lc.waitEvent(nameAnd("CHANNEL_ANSWER", "Unique-ID", out))
	// The clean side echoes what arrives; the lossy side plays 500 frames.
	cc.send("sendmsg "+in, "call-command: execute", "execute-app-name: echo")
	outLeg := lossy.channel(out)
	require.NotNil(t, outLeg)
	s, err := outLeg.session()
	require.NoError(t, err)
	play := s.SetSource(&silence{n: 500})
	select {
	case <-play.Done():
	case <-time.After(60 * time.Second):
		t.Fatal("500 frames not played within 60 s")
	}
	// Let the last echoes come back, then hang up.
	require.Eventually(t, func() bool {
		st := s.Stats()
		return st.InMediaPackets > 0 && time.Since(st.LastIn) > 200*time.Millisecond
	}, 20*time.Second, 10*time.Millisecond)
	require.Equal(t, "+OK\n", lc.api("uuid_kill "+out))

	num := func(e interface{ Var(string) string }, name string) float64 {
		v, err := strconv.ParseFloat(e.Var(name), 64)
		require.NoError(t, err, name)
		return v
	}
	inEnd := cc.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", in))
	assert.InDelta(t, 5, num(inEnd, "rtp_audio_in_jitter_loss_rate"), 1, "loss measured on the clean side")
	assert.Greater(t, num(inEnd, "rtp_audio_in_flaw_total"), 0.0)
	assert.InDelta(t, 95, num(inEnd, "rtp_audio_in_quality_percentage"), 1)
	lossyMOS := num(inEnd, "rtp_audio_in_mos")
	assert.Less(t, lossyMOS, 4.2, "5 %% loss takes the E-model MOS well under a clean call's 4.41")

	outEnd := lc.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", out))
	assert.Equal(t, "0", outEnd.Var("rtp_audio_in_flaw_total"), "the echo comes back intact")
	assert.Greater(t, num(outEnd, "rtp_audio_in_mos"), lossyMOS+0.3)
	assert.Equal(t, "500", outEnd.Var("rtp_audio_out_media_packet_count"), "what was dropped still counts as sent")
}
