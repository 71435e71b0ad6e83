package agent

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callplan/callplan/agent/media"
	"github.com/callplan/callplan/esl"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mediaLoop places a loop call on a real-SIP agent, answers the
// inbound leg and waits until the outbound leg is parked: the fixtures'
// set-up for media commands. It returns the outbound and inbound uuids.
func mediaLoop(t *testing.T, c *testClient, sipAddr, vars string) (string, string) {
	t.Helper()
	id, job := originateLoop(t, c, "test", sipAddr, vars)
	in := inboundOf(c, id).UniqueID()
	require.Equal(t, "+OK\n", c.api("uuid_answer "+in))
	c.waitEvent(nameAnd("BACKGROUND_JOB", "Job-UUID", job))
	c.waitEvent(nameAnd("CHANNEL_PARK", "Unique-ID", id))
	return id, in
}

func execute(c *testClient, leg, app, arg string) {
	headers := []string{"call-command: execute", "execute-app-name: " + app}
	if arg != "" {
		headers = append(headers, "execute-app-arg: "+arg)
	}
	c.send("sendmsg "+leg, headers...)
}

func toneShare(pcm []int16, freq float64) float64 {
	var e float64
	for _, s := range pcm {
		e += float64(s) * float64(s)
	}
	if e == 0 {
		return 0
	}
	return media.GoertzelPower(pcm, freq) / (e * float64(len(pcm)) / 2)
}

// TestPlaybackAndRecord is fixture 08 on an agent: record the inbound leg,
// play a tone on the outbound, stop, play the recording back, play a file
// that does not exist, stop a recording that is not running.
func TestPlaybackAndRecord(t *testing.T) {
	t.Parallel()
	a := startSIPAgent(t)
	c := dialTest(t, a.Addr())
	c.auth()
	c.send("event plain ALL")
	out, in := mediaLoop(t, c, a.SIPAddr(), "")
	path := filepath.Join(t.TempDir(), "rec.wav")

	assert.Equal(t, "+OK Success\n", c.api("uuid_record "+in+" start "+path))
	start := c.waitEvent(nameAnd("RECORD_START", "Unique-ID", in))
	assert.Equal(t, path, start.Get("Record-File-Path"))
	bug := c.waitEvent(nameAnd("MEDIA_BUG_START", "Unique-ID", in))
	assert.Equal(t, "session_record", bug.Get("Media-Bug-Function"))
	assert.Equal(t, path, bug.Get("Media-Bug-Target"))

	tone := "tone_stream://%(1000,0,1004);loops=2"
	assert.Equal(t, "+OK Message sent\n", c.api("uuid_broadcast "+out+" "+tone+" aleg"))
	ps := c.waitEvent(nameAnd("PLAYBACK_START", "Unique-ID", out))
	assert.Equal(t, "tone_stream", ps.Get("Playback-File-Type"))
	assert.Equal(t, tone, ps.Get("Playback-File-Path"))
	pe := c.waitEvent(nameAnd("PLAYBACK_STOP", "Unique-ID", out))
	assert.Equal(t, "done", pe.Get("Playback-Status"))
	assert.Equal(t, "2000", pe.Var("playback_ms"))
	assert.Equal(t, "16000", pe.Var("playback_samples"))
	done := c.waitEvent(func(e *esl.Event) bool {
		return e.Name() == "CHANNEL_EXECUTE_COMPLETE" && e.UniqueID() == out && e.Get("Application") == "playback"
	})
	assert.Equal(t, "FILE PLAYED", done.Get("Application-Response"))
	assert.Less(t, pe.Time().Sub(ps.Time()), 3*time.Second)
	assert.GreaterOrEqual(t, pe.Time().Sub(ps.Time()), 1900*time.Millisecond)

	// Stop once the tone's 100 packets have arrived (a loaded machine
	// delivers the tail after PLAYBACK_STOP).
	sess := mustSession(t, a, in)
	require.Eventually(t, func() bool { return sess.Stats().InMediaPackets >= 100 },
		10*time.Second, 10*time.Millisecond)
	assert.Equal(t, "+OK Success\n", c.api("uuid_record "+in+" stop "+path))
	stop := c.waitEvent(nameAnd("RECORD_STOP", "Unique-ID", in))
	assert.Equal(t, "success-maxtime", stop.Get("Record-Completion-Cause"))
	ms, err := strconv.Atoi(stop.Var("record_ms"))
	require.NoError(t, err)
	assert.InDelta(t, 2000, ms, 40, "record_ms: the tone's packets")
	size, _ := strconv.Atoi(stop.Var("record_file_size"))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, int64(size), fi.Size())
	c.waitEvent(nameAnd("MEDIA_BUG_STOP", "Unique-ID", in))
	pcm, err := media.ReadWAVFile(path)
	require.NoError(t, err)
	assert.Greater(t, toneShare(pcm, 1004), 0.9, "the recording is the 1004 Hz tone")

	// The recording plays back.
	assert.Equal(t, "+OK Message sent\n", c.api("uuid_broadcast "+in+" "+path+" aleg"))
	ps2 := c.waitEvent(nameAnd("PLAYBACK_START", "Unique-ID", in))
	assert.Empty(t, ps2.Get("Playback-File-Type"), "sent for tone_stream only")
	c.waitEvent(nameAnd("PLAYBACK_STOP", "Unique-ID", in))

	// A missing file: no PLAYBACK events, FILE NOT FOUND.
	before := c.indexOf(nameAnd("PLAYBACK_START", "Unique-ID", in))
	missing := filepath.Join(t.TempDir(), "does-not-exist.wav")
	assert.Equal(t, "+OK Message sent\n", c.api("uuid_broadcast "+in+" "+missing+" aleg"))
	nf := c.waitEvent(func(e *esl.Event) bool {
		return e.Name() == "CHANNEL_EXECUTE_COMPLETE" && e.UniqueID() == in && e.Get("Application-Data") == missing
	})
	assert.Equal(t, "FILE NOT FOUND", nf.Get("Application-Response"))
	assert.Equal(t, before, c.indexOf(nameAnd("PLAYBACK_START", "Unique-ID", in)), "no second PLAYBACK_START")

	assert.Equal(t, "-ERR Cannot stop record session!\n", c.api("uuid_record "+in+" stop all"))
	assert.Equal(t, "-ERR Cannot mask recording session!\n", c.api("uuid_record "+in+" mask "+path))
	assert.Equal(t, "-ERR Cannot locate session!\n", c.api("uuid_record nosuch stop all"))
	assert.Contains(t, c.api("uuid_record "+in), "-USAGE: ")
	assert.Equal(t, "+OK\n", c.api("uuid_kill "+out))
	c.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", in))
}

func TestPlaybackBreakAndHangupStopsRecording(t *testing.T) {
	t.Parallel()
	a := startSIPAgent(t)
	c := dialTest(t, a.Addr())
	c.auth()
	c.send("event plain ALL")
	out, in := mediaLoop(t, c, a.SIPAddr(), "")
	path := filepath.Join(t.TempDir(), "rec.wav")
	execute(c, in, "record_session", path)
	c.waitEvent(nameAnd("RECORD_START", "Unique-ID", in))

	c.api("uuid_broadcast " + out + " tone_stream://%(1000,0,440);loops=-1 aleg")
	c.waitEvent(nameAnd("PLAYBACK_START", "Unique-ID", out))
	// Break only once the recording leg has heard some of the tone: a
	// break before the first frame arrives leaves an empty recording
	// (Record-Completion-Cause empty-file, no file), which is right but
	// not what this test is about.
	sess, err := a.channel(in).session()
	require.NoError(t, err)
	require.Eventually(t, func() bool { return sess.Stats().InMediaPackets >= 5 }, 10*time.Second, 5*time.Millisecond,
		"the recording leg hears the tone")
	assert.Equal(t, "+OK\n", c.api("uuid_break "+out))
	stop := c.waitEvent(nameAnd("PLAYBACK_STOP", "Unique-ID", out))
	assert.Equal(t, "break", stop.Get("Playback-Status"))

	// Hanging up ends the recording as a hangup does on FreeSWITCH.
	c.api("uuid_kill " + in)
	rs := c.waitEvent(nameAnd("RECORD_STOP", "Unique-ID", in))
	assert.Equal(t, "no-input-timeout", rs.Get("Record-Completion-Cause"))
	c.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", in))
	assert.Less(t, c.indexOf(nameAnd("RECORD_STOP", "Unique-ID", in)),
		c.indexOf(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", in)))
	pcm, err := media.ReadWAVFile(path)
	require.NoError(t, err)
	assert.Greater(t, toneShare(pcm, 440), 0.8)
}

func TestBERTOnALoopCall(t *testing.T) {
	t.Parallel()
	a := startSIPAgent(t)
	c := dialTest(t, a.Addr())
	c.auth()
	c.send("event plain ALL")
	debug := filepath.Join(t.TempDir(), "bert")
	out, in := mediaLoop(t, c, a.SIPAddr(), "bert_debug_io_file="+debug)
	execute(c, out, "bert_test", "")
	execute(c, in, "bert_test", "")
	for _, leg := range []string{out, in} {
		e := c.waitEvent(func(e *esl.Event) bool {
			return e.Name() == "CUSTOM" && e.Get("Event-Subclass") == "mod_bert::in_sync" && e.UniqueID() == leg
		})
		assert.Equal(t, "mod_bert.c", e.Get("Event-Calling-File"))
		_, hasVars := e.LookupVar("uuid")
		assert.False(t, hasVars, "basic channel data only")
	}
	dump := c.api("uuid_dump " + out)
	assert.Contains(t, dump, "variable_bert_stats_sync_lost_count: 0")
	assert.Contains(t, dump, "variable_bert_stats_sync_lost: false")
	// uuid_break does not stop bert_test.
	c.api("uuid_break " + out)
	c.api("uuid_kill " + out)
	end := c.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", out))
	assert.Equal(t, "false", end.Var("bert_stats_sync_lost"))
	// bert_debug_io_file: the raw frames each way, whole frames of the
	// pattern once in sync.
	for _, name := range []string{debug + ".in", debug + ".out"} {
		b, err := os.ReadFile(name)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, len(b), 50*media.FrameSamples, name)
		assert.Equal(t, media.BERTMilliwatt[:], b[len(b)-media.FrameSamples:][:8], name)
	}
	assert.Negative(t, c.indexOf(func(e *esl.Event) bool {
		return e.Get("Event-Subclass") == "mod_bert::lost_sync" || e.Get("Event-Subclass") == "mod_bert::timeout"
	}))
}

func TestBERTTimeoutOnALoopCall(t *testing.T) {
	t.Parallel()
	a := startSIPAgent(t)
	c := dialTest(t, a.Addr())
	c.auth()
	c.send("event plain CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB CHANNEL_PARK CUSTOM mod_bert::timeout mod_bert::in_sync")
	out, _ := mediaLoop(t, c, a.SIPAddr(), "bert_timeout_ms=1000")
	start := time.Now()
	execute(c, out, "bert_test", "")
	e := c.waitEvent(func(e *esl.Event) bool { return e.Get("Event-Subclass") == "mod_bert::timeout" })
	assert.Equal(t, out, e.UniqueID())
	assert.GreaterOrEqual(t, time.Since(start), 900*time.Millisecond)
	assert.Equal(t, "true", c.api("uuid_exists "+out), "the call stays up")
	c.api("uuid_kill " + out)
	c.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", out))
}

func TestToneDetectOnALoopCall(t *testing.T) {
	t.Parallel()
	a := startSIPAgent(t)
	c := dialTest(t, a.Addr())
	c.auth()
	c.send("event plain ALL")
	out, in := mediaLoop(t, c, a.SIPAddr(), "")
	key := "tone-" + in[:8]
	execute(c, in, "tone_detect", key+" 1004 r +10")
	c.waitEvent(func(e *esl.Event) bool {
		return e.Name() == "CHANNEL_EXECUTE_COMPLETE" && e.UniqueID() == in && e.Get("Application") == "tone_detect"
	})
	// Not on silence or another tone.
	c.api("uuid_broadcast " + out + " tone_stream://%(300,0,440) aleg")
	c.waitEvent(nameAnd("PLAYBACK_STOP", "Unique-ID", out))
	c.api("uuid_broadcast " + out + " tone_stream://%(500,0,1004) aleg")
	det := c.waitEvent(nameAnd("DETECTED_TONE", "Detected-Tone", key))
	assert.Empty(t, det.UniqueID(), "FreeSWITCH's DETECTED_TONE carries no channel data")
	assert.Less(t, c.indexOf(nameAnd("PLAYBACK_START", "Playback-File-Path", "tone_stream://%(500,0,1004)")),
		c.indexOf(nameAnd("DETECTED_TONE", "Detected-Tone", key)))
	v := c.api("uuid_getvar " + in + " tone_detect_" + key + "_total_time")
	assert.Regexp(t, `^[0-9]+$`, v)
	c.api("uuid_kill " + out)
}

func TestDisplaceOnAParkedLeg(t *testing.T) {
	t.Parallel()
	a := startSIPAgent(t)
	c := dialTest(t, a.Addr())
	c.auth()
	c.send("event plain ALL")
	out, in := mediaLoop(t, c, a.SIPAddr(), "")
	path := filepath.Join(t.TempDir(), "rec.wav")
	assert.Equal(t, "+OK Success\n", c.api("uuid_record "+in+" start "+path))
	assert.Equal(t, "+OK Success\n", c.api("uuid_displace "+out+" start tone_stream://%(500,0,800) 0"))
	assert.Equal(t, "-ERR Cannot displace session!\n", c.api("uuid_displace "+out+" start /no/such/file.wav"))
	// The 500 ms tone has gone out (and the displacement ended by itself).
	sess := mustSession(t, a, out)
	require.Eventually(t, func() bool { return sess.Stats().OutMediaPackets >= 25 && sess.Source() == nil },
		10*time.Second, 20*time.Millisecond)
	assert.Equal(t, "+OK Success\n", c.api("uuid_displace "+out+" stop x"))
	assert.Equal(t, "-ERR Cannot stop displace session!\n", c.api("uuid_displace "+out+" stop x"))
	assert.Equal(t, "+OK Success\n", c.api("uuid_record "+in+" stop "+path))
	pcm, err := media.ReadWAVFile(path)
	require.NoError(t, err)
	assert.Greater(t, toneShare(pcm, 800), 0.8)
	c.api("uuid_kill " + out)
}

func mustSession(t *testing.T, a *Agent, id string) *media.Session {
	t.Helper()
	s, err := a.channel(id).session()
	require.NoError(t, err)
	return s
}

// The blocking record app: it ends at its limit, or when the silence test
// hears silence_hits seconds under the threshold.
func TestRecordApp(t *testing.T) {
	t.Parallel()
	a := startSIPAgent(t)
	c := dialTest(t, a.Addr())
	c.auth()
	c.send("event plain ALL")
	out, in := mediaLoop(t, c, a.SIPAddr(), "")
	dir := t.TempDir()
	recDone := func(path string) *esl.Event {
		return c.waitEvent(func(e *esl.Event) bool {
			return e.Name() == "CHANNEL_EXECUTE_COMPLETE" && e.UniqueID() == in && e.Get("Application") == "record" &&
				strings.HasPrefix(e.Get("Application-Data"), path)
		})
	}

	// The limit: 1 s of a tone that plays for 3.
	limited := filepath.Join(dir, "limit.wav")
	c.api("uuid_broadcast " + out + " tone_stream://%(3000,0,1004) aleg")
	c.waitEvent(nameAnd("PLAYBACK_START", "Unique-ID", out))
	execute(c, in, "record", limited+" 1")
	start := c.waitEvent(nameAnd("RECORD_START", "Unique-ID", in))
	assert.Equal(t, limited, start.Get("Record-File-Path"))
	stop := c.waitEvent(nameAnd("RECORD_STOP", "Unique-ID", in))
	// The limit is wall time (or that much audio, whichever comes first):
	// the recording stops about 1 s after it started, and a loaded machine
	// (late frames from the far leg) may have recorded less than that.
	began, err := strconv.ParseInt(start.Get("Event-Date-Timestamp"), 10, 64)
	require.NoError(t, err)
	ended, err := strconv.ParseInt(stop.Get("Event-Date-Timestamp"), 10, 64)
	require.NoError(t, err)
	assert.InDelta(t, 1000, float64(ended-began)/1000, 300, "ms from RECORD_START to RECORD_STOP")
	ms, err := strconv.Atoi(stop.Var("record_ms"))
	require.NoError(t, err)
	assert.LessOrEqual(t, ms, 1000, "record_ms")
	assert.Greater(t, ms, 0, "record_ms")
	recDone(limited)
	pcm, err := media.ReadWAVFile(limited)
	require.NoError(t, err)
	assert.Equal(t, ms*8, len(pcm))
	assert.Greater(t, toneShare(pcm, 1004), 0.9)
	c.waitEvent(nameAnd("PLAYBACK_STOP", "Unique-ID", out))

	// Silence: 500 ms of tone then silence packets; threshold 200, 1 s.
	quiet := filepath.Join(dir, "quiet.wav")
	c.api("uuid_broadcast " + out + " tone_stream://%(500,5000,1004) aleg")
	c.waitEvent(func(e *esl.Event) bool {
		return e.Name() == "PLAYBACK_START" && e.UniqueID() == out && e.Get("Playback-File-Path") == "tone_stream://%(500,5000,1004)"
	})
	execute(c, in, "record", quiet+" 20 200 1")
	c.waitEvent(func(e *esl.Event) bool {
		return e.Name() == "RECORD_STOP" && e.Get("Record-File-Path") == quiet
	})
	recDone(quiet)
	assert.Equal(t, "true", c.api("uuid_getvar "+in+" silence_hits_exhausted"))
	pcm, err = media.ReadWAVFile(quiet)
	require.NoError(t, err)
	assert.InDelta(t, 1.5*8000, float64(len(pcm)), 0.3*8000, "the tone, then a second of silence")
	c.api("uuid_kill " + out)
}
