package runner

import (
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/callplan/callplan/esl"
	"github.com/callplan/callplan/flows"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixtureEvents translates every event FreeSWITCH 1.10.12 sent in a
// capture under esl/testdata/fixtures.
func fixtureEvents(t *testing.T, name string) []LegEvent {
	t.Helper()
	f, err := os.Open("../esl/testdata/fixtures/" + name)
	require.NoError(t, err)
	defer f.Close()
	r := esl.NewReader(f)
	var out []LegEvent
	for {
		fr, err := r.ReadFrame()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		if !esl.IsEvent(fr.ContentType()) {
			continue
		}
		ev, err := esl.DecodeEvent(fr)
		require.NoError(t, err)
		if le, ok := translate(ev, time.Now()); ok {
			out = append(out, le)
		}
	}
}

func ofKind(evs []LegEvent, k EventKind) []LegEvent {
	var out []LegEvent
	for _, e := range evs {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

func TestTranslateLoopCall(t *testing.T) {
	t.Parallel()
	evs := fixtureEvents(t, "01-loopback-call-plain-all.txt")
	created := ofKind(evs, EventCreated)
	require.Len(t, created, 2)
	assert.Equal(t, flows.LegCaller, created[0].Leg, "the originated leg comes first")
	assert.Equal(t, flows.LegCallee, created[1].Leg)
	assert.Empty(t, created[1].CallID, "not a callplan call: no X-callplan-call")
	for _, e := range created {
		assert.NotEmpty(t, e.LegID)
		assert.False(t, e.NodeTime.IsZero())
	}
	hung := ofKind(evs, EventHungUp)
	require.Len(t, hung, 2)
	for _, e := range hung {
		assert.Equal(t, "NORMAL_CLEARING", e.Cause)
	}
	assert.Len(t, ofKind(evs, EventAnswered), 2)
	// Both legs park; the caller's park is what releases its held actions
	// (ready.go).
	assert.Equal(t, []flows.Leg{flows.LegCallee, flows.LegCaller}, legsOf(ofKind(evs, EventParked)))
	jobs := ofKind(evs, EventJobResult)
	require.Len(t, jobs, 1)
	assert.False(t, jobs[0].Failed)
	assert.Regexp(t, `^\+OK [0-9a-f-]+$`, jobs[0].Result)
	assert.NotEmpty(t, jobs[0].CallID, "the Job-UUID names the call")
	assert.NotEmpty(t, ofKind(evs, EventHeartbeat))
}

func legsOf(evs []LegEvent) []flows.Leg {
	var out []flows.Leg
	for _, e := range evs {
		out = append(out, e.Leg)
	}
	return out
}

// With early media the originate returns at the 183 and the caller leg
// parks while still early, before either answer (fixture 09): a flow's
// actions on it are released before the answer.
func TestTranslateCallerParksAtEarlyMedia(t *testing.T) {
	t.Parallel()
	evs := fixtureEvents(t, "09-ringback-early-media.txt")
	var seq []string
	for _, e := range evs {
		if e.Leg == flows.LegCaller && (e.Kind == EventParked || e.Kind == EventAnswered || e.Kind == EventEarlyMedia) {
			seq = append(seq, e.Kind.String())
		}
	}
	assert.Equal(t, []string{"early_media", "parked", "answered"}, seq)
}

func TestTranslateOriginateFailures(t *testing.T) {
	t.Parallel()
	evs := fixtureEvents(t, "03-originate-failures.txt")
	var causes []string
	for _, j := range ofKind(evs, EventJobResult) {
		assert.True(t, j.Failed, "%s", j.Result)
		causes = append(causes, j.Cause)
	}
	assert.Contains(t, causes, "NORMAL_TEMPORARY_FAILURE")
	assert.Contains(t, causes, "UNALLOCATED_NUMBER")
	assert.Contains(t, causes, "USER_BUSY")
	// The caller leg that received 486 reports it; legs that sent their
	// refusal or BYE report none.
	statuses := map[string]map[int]bool{}
	for _, h := range ofKind(evs, EventHungUp) {
		if statuses[h.Cause] == nil {
			statuses[h.Cause] = map[int]bool{}
		}
		statuses[h.Cause][h.SIPStatus] = true
	}
	assert.True(t, statuses["USER_BUSY"][486])
	assert.True(t, statuses["CALL_REJECTED"][603])
	assert.True(t, statuses["ORIGINATOR_CANCEL"][487])
}

func TestTranslateHeartbeat(t *testing.T) {
	t.Parallel()
	hbs := ofKind(fixtureEvents(t, "04-heartbeat.txt"), EventHeartbeat)
	require.NotEmpty(t, hbs)
	h := hbs[0].Health
	assert.Equal(t, 0, h.Sessions)
	assert.Equal(t, 2000, h.MaxSessions)
	assert.Greater(t, h.IdleCPU, 0.0)
	assert.Empty(t, hbs[0].LegID)
}

func TestTranslateBERT(t *testing.T) {
	t.Parallel()
	evs := fixtureEvents(t, "06-bert.txt")
	assert.NotEmpty(t, ofKind(evs, EventBERTInSync))
	lost := ofKind(evs, EventBERTLostSync)
	require.Len(t, lost, 1)
	assert.Equal(t, flows.BERTReport{LostPercent: 96, LostCount: 1, CNGCount: 2, ErrSamples: 7680}, lost[0].BERT)
	assert.NotEmpty(t, lost[0].LegID)
	assert.NotEmpty(t, ofKind(evs, EventBERTTimeout))
	// End-of-call media figures ride on the hangup.
	var packets []int64
	for _, h := range ofKind(evs, EventHungUp) {
		_, ok := h.Stats.Float("rtp_audio_in_mos")
		assert.True(t, ok, "leg %s", h.LegID)
		n, _ := h.Stats.Int("rtp_audio_in_packet_count")
		packets = append(packets, n)
	}
	assert.Contains(t, packets, int64(699))
	assert.Contains(t, packets, int64(0), "the leg whose peer never sent (the timeout call)")
}

func TestTranslateDTMF(t *testing.T) {
	t.Parallel()
	dtmf := ofKind(fixtureEvents(t, "07-dtmf.txt"), EventDTMF)
	require.NotEmpty(t, dtmf)
	assert.Equal(t, "1", dtmf[0].Digit)
	assert.Equal(t, 260*time.Millisecond, dtmf[0].DigitDuration, "2080 samples at 8 kHz")
	assert.Equal(t, flows.LegCallee, dtmf[0].Leg)
	var digits string
	for _, d := range dtmf {
		digits += d.Digit
	}
	assert.Contains(t, digits, "#", "%23 arrives decoded")
}

func TestTranslatePlaybackRecord(t *testing.T) {
	t.Parallel()
	evs := fixtureEvents(t, "08-playback-record.txt")
	start := ofKind(evs, EventPlaybackStart)
	stop := ofKind(evs, EventPlaybackStop)
	require.NotEmpty(t, start)
	require.NotEmpty(t, stop)
	assert.Equal(t, "tone_stream://%(1000,0,1004);loops=3", start[0].Media.Path)
	assert.Equal(t, flows.MediaResult{Path: "tone_stream://%(1000,0,1004);loops=3", Status: "done", Duration: 3 * time.Second}, stop[0].Media)
	rec := ofKind(evs, EventRecordStop)
	require.NotEmpty(t, rec)
	assert.Equal(t, flows.MediaResult{Path: "/tmp/fs-rec-test.wav", Status: "success-maxtime", Duration: 3200 * time.Millisecond}, rec[0].Media)
	assert.NotEmpty(t, ofKind(evs, EventRecordStart))
}

func TestTranslateCalleeCarriesItsCall(t *testing.T) {
	t.Parallel()
	ev := esl.NewEvent(esl.Headers{
		{Name: "Event-Name", Value: "CHANNEL_CREATE"},
		{Name: "Event-Date-Timestamp", Value: "1795384727393280"},
		{Name: "Unique-ID", Value: "in-1"},
		{Name: "Call-Direction", Value: "inbound"},
		// A SUT may change the header's case.
		{Name: "variable_sip_h_x-callplan-CALL", Value: "call-1"},
		{Name: "variable_sip_h_X-callplan-run", Value: "run-1"},
	}, "")
	at := time.Now()
	le, ok := translate(ev, at)
	require.True(t, ok)
	assert.Equal(t, LegEvent{
		Kind: EventCreated, LegID: "in-1", Leg: flows.LegCallee, CallID: "call-1", RunID: "run-1",
		NodeTime: time.UnixMicro(1795384727393280), Received: at,
	}, le)

	tone := esl.NewEvent(esl.Headers{
		{Name: "Event-Name", Value: "DETECTED_TONE"}, {Name: "Unique-ID", Value: "in-1"},
		{Name: "Call-Direction", Value: "inbound"}, {Name: "Detected-Tone", Value: "ringback"},
	}, "")
	le, ok = translate(tone, at)
	require.True(t, ok)
	assert.Equal(t, EventToneDetected, le.Kind)
	assert.Equal(t, "ringback", le.Tone)

	// FreeSWITCH's own DETECTED_TONE has no channel data
	// (switch_ivr_async.c): the flow's key names the leg.
	for _, tt := range []struct {
		key    string
		ok     bool
		leg    string
		toneIs string
	}{
		{flows.ToneKey("tone", "out-7"), true, "out-7", "tone"},
		{"someone-elses-key", false, "", ""},
		{"@out-7", false, "", ""},
		{"tone@", false, "", ""},
	} {
		bare := esl.NewEvent(esl.Headers{{Name: "Event-Name", Value: "DETECTED_TONE"}, {Name: "Detected-Tone", Value: tt.key}}, "")
		le, ok = translate(bare, at)
		require.Equal(t, tt.ok, ok, tt.key)
		if ok {
			assert.Equal(t, EventToneDetected, le.Kind)
			assert.Equal(t, tt.leg, le.LegID)
			assert.Equal(t, tt.toneIs, le.Tone)
		}
	}
	// With a Unique-ID (a detector's own event queued on the channel) the
	// key still gives the tone's name.
	tone = esl.NewEvent(esl.Headers{
		{Name: "Event-Name", Value: "DETECTED_TONE"}, {Name: "Unique-ID", Value: "out-7"},
		{Name: "Detected-Tone", Value: flows.ToneKey("ringback", "out-7")},
	}, "")
	le, ok = translate(tone, at)
	require.True(t, ok)
	assert.Equal(t, "ringback", le.Tone)

	_, ok = translate(esl.NewEvent(esl.Headers{{Name: "Event-Name", Value: "CHANNEL_STATE"}, {Name: "Unique-ID", Value: "x"}}, ""), at)
	assert.False(t, ok, "events the runner has no use for are dropped")
}
