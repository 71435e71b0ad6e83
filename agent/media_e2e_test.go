//go:build e2e

package agent

import (
	"math"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/callplan/callplan/agent/media"
	"github.com/callplan/callplan/esl"
	"github.com/callplan/callplan/internal/peertest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The media apps against real peers: SIPp echoing an agent leg's BERT
// pattern, SIPp playing its shipped G.711 capture into an agent leg that
// records it, and a real recorded prompt from asterisk-core-sounds-en-wav
// played across a loop call. `make deps-e2e` installs sip-tester and the
// sounds; the tests fail, not skip, without them.

// speechWAV is a real recorded prompt (8 kHz 16-bit mono) from Debian's
// asterisk-core-sounds-en-wav.
const speechWAV = "/usr/share/asterisk/sounds/en/hello-world.wav"

func rms(pcm []int16) float64 {
	var e float64
	for _, s := range pcm {
		e += float64(s) * float64(s)
	}
	return math.Sqrt(e / float64(max(len(pcm), 1)))
}

// An agent leg's bert_test against SIPp's rtp_echo reaches sync.
func TestSIPpEchoBERTInSync(t *testing.T) {
	a := startSIPAgent(t)
	port := peertest.FreePort(t)
	sipp := peertest.Start(t, "sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", strconv.Itoa(port),
		"-rtp_echo", "-m", "1", "-nostdin", "-timeout", "60s", "-timeout_error")
	sipp.WaitBound(t, "udp", port)

	c := dialTest(t, a.Addr())
	c.auth()
	c.send("event plain BACKGROUND_JOB CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE CUSTOM mod_bert::in_sync mod_bert::lost_sync mod_bert::timeout")
	id, job := originateLoop(t, c, "service", "127.0.0.1:"+strconv.Itoa(port), "absolute_codec_string=PCMU,bert_timeout_ms=10000")
	bg := c.waitEvent(nameAnd("BACKGROUND_JOB", "Job-UUID", job))
	require.Equal(t, "+OK "+id+"\n", bg.Body)
	c.waitEvent(nameAnd("CHANNEL_ANSWER", "Unique-ID", id))
	execute(c, id, "bert_test", "")
	sync := c.waitEvent(func(e *esl.Event) bool { return e.Get("Event-Subclass") != "" })
	assert.Equal(t, "mod_bert::in_sync", sync.Get("Event-Subclass"), "SIPp echoes the milliwatt pattern unchanged")
	assert.Equal(t, id, sync.UniqueID())
	assert.Equal(t, "+OK\n", c.api("uuid_kill "+id))
	end := c.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", id))
	assert.Equal(t, "false", end.Var("bert_stats_sync_lost"))
	assert.Equal(t, 0, sipp.Wait(t, 30*time.Second))
}

// An agent leg records what SIPp plays from its shipped G.711 A-law
// capture: a non-silent WAV as long as the capture's audio.
func TestRecordSIPpPcapPlayback(t *testing.T) {
	a := startSIPAgent(t)
	c := dialTest(t, a.Addr())
	c.auth()
	c.send("event plain CHANNEL_PARK CHANNEL_ANSWER RECORD_START RECORD_STOP CHANNEL_HANGUP_COMPLETE")
	scenario, err := filepath.Abs("testdata/sipp-uac-g711a.xml")
	require.NoError(t, err)
	port := peertest.FreePort(t)
	sipp := peertest.Start(t, "sipp", "-sf", scenario, a.SIPAddr(), "-s", "2000", "-i", "127.0.0.1",
		"-p", strconv.Itoa(port), "-m", "1", "-nostdin", "-timeout", "60s", "-timeout_error")
	park := c.waitEvent(func(e *esl.Event) bool {
		return e.Name() == "CHANNEL_PARK" && e.Get("Call-Direction") == "inbound"
	})
	in := park.UniqueID()
	path := filepath.Join(t.TempDir(), "sipp.wav")
	// Recording starts before the answer, so the first packet is in it.
	assert.Equal(t, "+OK Success\n", c.api("uuid_record "+in+" start "+path))
	c.waitEvent(nameAnd("RECORD_START", "Unique-ID", in))
	assert.Equal(t, "+OK\n", c.api("uuid_answer "+in))
	ans := c.waitEvent(nameAnd("CHANNEL_ANSWER", "Unique-ID", in))
	assert.Equal(t, "PCMA", ans.Get("Channel-Read-Codec-Name"))
	stop := c.waitEvent(nameAnd("RECORD_STOP", "Unique-ID", in)) // SIPp's BYE ends it
	ms, err := strconv.Atoi(stop.Var("record_ms"))
	require.NoError(t, err)
	// 236 packets of 240 samples: 7080 ms.
	assert.InDelta(t, 7080, ms, 100, "record_ms")
	pcm, err := media.ReadWAVFile(path)
	require.NoError(t, err)
	assert.InDelta(t, 236*240, len(pcm), 800, "samples in the WAV")
	assert.Greater(t, rms(pcm), 300.0, "not silence")
	assert.Equal(t, 0, sipp.Wait(t, 30*time.Second))
}

// A real recorded prompt plays across a loop call and arrives as sent:
// the other leg's recording is the prompt through G.711.
func TestPlaybackSpeechWAV(t *testing.T) {
	want, err := media.ReadWAVFile(speechWAV)
	require.NoError(t, err, "asterisk-core-sounds-en-wav is needed (make deps-e2e)")
	a := startSIPAgent(t)
	c := dialTest(t, a.Addr())
	c.auth()
	c.send("event plain ALL")
	out, in := mediaLoop(t, c, a.SIPAddr(), "absolute_codec_string=PCMU")
	path := filepath.Join(t.TempDir(), "speech.wav")
	assert.Equal(t, "+OK Success\n", c.api("uuid_record "+in+" start "+path))
	assert.Equal(t, "+OK Message sent\n", c.api("uuid_broadcast "+out+" "+speechWAV+" aleg"))
	stop := c.waitEvent(nameAnd("PLAYBACK_STOP", "Unique-ID", out))
	assert.Equal(t, "done", stop.Get("Playback-Status"))
	assert.Equal(t, strconv.Itoa(len(want)/8), stop.Var("playback_ms"))
	frames := (len(want) + media.FrameSamples - 1) / media.FrameSamples
	sess := mustSession(t, a, in)
	require.Eventually(t, func() bool { return sess.Stats().InMediaPackets >= uint64(frames) },
		10*time.Second, 20*time.Millisecond, "the prompt's packets arrive")
	assert.Equal(t, "+OK Success\n", c.api("uuid_record "+in+" stop "+path))
	got, err := media.ReadWAVFile(path)
	require.NoError(t, err)
	require.Len(t, got, frames*media.FrameSamples)
	// Sample for sample, through µ-law both ways: the loopback loses
	// nothing, and every sample is within one µ-law step of the prompt.
	off := 0
	for i, s := range want {
		step := math.Max(16, math.Abs(float64(s))/16)
		if math.Abs(float64(got[i])-float64(s)) > step {
			off++
		}
	}
	assert.Less(t, off, len(want)/100, "samples further than a µ-law step from the prompt")
	assert.Greater(t, rms(got), 500.0)
	c.api("uuid_kill " + out)
}
