package agent

import (
	"strconv"
	"testing"
	"time"

	"github.com/callplan/callplan/agent/media"
	"github.com/callplan/callplan/esl"
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

// bert_test on one agent's leg against echo on another's whose agent loses
// a seeded 5 % of what it sends: mod_bert sees each lost packet as a CNG
// frame of 160 error samples, so with bert_window_ms 200 (10 frames) and
// bert_max_err 5 any window with a loss after the first sync loses it, and
// the leg reports that as mod_bert.c does (the CUSTOM mod_bert::lost_sync
// with sync_lost_percent, sync_lost_count, cng_count, err_samples; the
// bert_stats_sync_lost* variables). Without loss the same call syncs and
// stays in sync. mod_bert's defaults (1 s, 10 %) would rarely notice 5 %
// random loss: a window then loses sync only with 6 of its 50 frames
// lost. Bounded: the lossy case ends at its first lost_sync (within 10 s),
// the clean one after 150 echoed frames in sync.
func TestBERTUnderImpairment(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		loss float64
	}{
		{"5 % loss loses sync", 0.05},
		{"no loss stays in sync", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			echoer := startSIPAgent(t, func(c *Config) { c.Impair = media.Impairment{Loss: tc.loss, Seed: 5} })
			berter := startSIPAgent(t)
			bc := dialTest(t, berter.Addr())
			bc.auth()
			bc.send("event plain ALL")
			ec := dialTest(t, echoer.Addr())
			ec.auth()
			ec.send("event plain ALL")

			out, job := originateLoop(t, bc, "test", echoer.SIPAddr(), "bert_window_ms=200,bert_max_err=5")
			in := inboundOf(ec, out).UniqueID()
			require.Equal(t, "+OK\n", ec.api("uuid_answer "+in))
			bc.waitEvent(nameAnd("BACKGROUND_JOB", "Job-UUID", job))
			bc.waitEvent(nameAnd("CHANNEL_PARK", "Unique-ID", out))
			execute(ec, in, "echo", "")
			ec.waitEvent(func(e *esl.Event) bool {
				return e.Name() == "CHANNEL_EXECUTE" && e.UniqueID() == in && e.Get("Application") == "echo"
			})
			execute(bc, out, "bert_test", "")
			bert := func(kind string) func(*esl.Event) bool {
				return func(e *esl.Event) bool {
					return e.Name() == "CUSTOM" && e.UniqueID() == out && e.Get("Event-Subclass") == "mod_bert::"+kind
				}
			}
			bc.waitEvent(bert("in_sync"))

			if tc.loss > 0 {
				lost := bc.waitEvent(bert("lost_sync"))
				assert.Equal(t, "1", lost.Get("sync_lost_count"))
				errSamples, err := strconv.Atoi(lost.Get("err_samples"))
				require.NoError(t, err)
				assert.Positive(t, errSamples)
				assert.Zero(t, errSamples%media.FrameSamples, "whole CNG frames: %d", errSamples)
				// mod_bert.c: float err = (float)((float)err_samples /
				// (float)processed_samples) * 100.0, printed with %f.
				pct := float32(float64(float32(errSamples)/float32(1600)) * 100.0)
				assert.Equal(t, strconv.FormatFloat(float64(pct), 'f', 6, 64), lost.Get("sync_lost_percent"),
					"err_samples of the 1600 of a 200 ms window, as mod_bert computes and prints it")
				cng, err := strconv.Atoi(lost.Get("cng_count"))
				require.NoError(t, err)
				assert.GreaterOrEqual(t, cng, errSamples/media.FrameSamples, "each lost packet is a CNG frame, counted since the sync")
				assert.Equal(t, "true", bc.api("uuid_getvar "+out+" bert_stats_sync_lost"))
				assert.NotEqual(t, "0", bc.api("uuid_getvar "+out+" bert_stats_sync_lost_count"))
			} else {
				s, err := berter.channel(out).session()
				require.NoError(t, err)
				base := s.Stats().InMediaPackets
				require.Eventually(t, func() bool { return s.Stats().InMediaPackets >= base+150 },
					30*time.Second, 10*time.Millisecond, "150 echoed frames after the sync")
			}
			require.Equal(t, "+OK\n", bc.api("uuid_kill "+out))
			end := bc.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", out))
			lostEvents := 0
			bc.mu.Lock()
			for _, e := range bc.events {
				if bert("lost_sync")(e) {
					lostEvents++
				}
			}
			bc.mu.Unlock()
			assert.Equal(t, strconv.Itoa(lostEvents), end.Var("bert_stats_sync_lost_count"),
				"the variable counts the lost_sync events")
			if tc.loss > 0 {
				assert.Equal(t, "true", end.Var("bert_stats_sync_lost"))
				assert.NotEqual(t, "0", end.Var("rtp_audio_in_flaw_total"), "the bert leg saw the gaps")
			} else {
				assert.Equal(t, "false", end.Var("bert_stats_sync_lost"))
				assert.Equal(t, "0", end.Var("rtp_audio_in_flaw_total"))
				assert.Negative(t, bc.indexOf(bert("timeout")))
			}
		})
	}
}
