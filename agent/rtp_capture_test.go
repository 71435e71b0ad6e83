package agent

import (
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/callplan/callplan/agent/media"
	"github.com/callplan/callplan/internal/pcapfile"
	"github.com/pion/rtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zaf/g711"
)

// The agent's RTP on the wire, compared with what real FreeSWITCH sent for
// the same commands (agent/media/testdata/rtp): what the other leg of a
// loop call receives is checked packet by packet where it is
// deterministic.

// rtpRecorder is a Sink keeping what a leg receives.
type rtpRecorder struct {
	mu      sync.Mutex
	headers []rtp.Header
	frames  [][]int16
	at      []time.Time
}

func (r *rtpRecorder) Write(h *rtp.Header, frame []int16) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.headers = append(r.headers, *h)
	r.frames = append(r.frames, slices.Clone(frame))
	r.at = append(r.at, time.Now())
}

func (r *rtpRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.frames)
}

// capturedPayloads are the 160-byte RTP payloads of one direction of a
// capture, in order: the one from srcPort (0: the first stream seen).
func capturedPayloads(t *testing.T, name string) [][]byte {
	t.Helper()
	ds, err := pcapfile.ReadUDP("media/testdata/rtp/" + name)
	require.NoError(t, err)
	var src uint16
	var out [][]byte
	for _, d := range ds {
		var p rtp.Packet
		if d.SrcPort == 5080 || d.DstPort == 5080 || p.Unmarshal(d.Payload) != nil || len(p.Payload) != media.FrameSamples {
			continue
		}
		if src == 0 {
			src = d.SrcPort
		}
		if d.SrcPort == src {
			out = append(out, p.Payload)
		}
	}
	return out
}

// checkStream checks one received stream's RTP framing: payload type 0,
// consecutive sequence numbers, timestamps 160 apart, the marker on the
// first packet only, and a median spacing of 20 ms.
func checkStream(t *testing.T, r *rtpRecorder, n int) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	require.GreaterOrEqual(t, len(r.headers), n)
	var gaps []time.Duration
	for i, h := range r.headers[:n] {
		assert.Equal(t, uint8(0), h.PayloadType)
		assert.Equal(t, i == 0, h.Marker, "marker of packet %d", i)
		if i > 0 {
			prev := r.headers[i-1]
			assert.Equal(t, prev.SequenceNumber+1, h.SequenceNumber, "sequence of packet %d", i)
			assert.Equal(t, prev.Timestamp+media.FrameSamples, h.Timestamp, "timestamp of packet %d", i)
			gaps = append(gaps, r.at[i].Sub(r.at[i-1]))
		}
	}
	slices.Sort(gaps)
	assert.InDelta(t, 20, float64(gaps[len(gaps)/2])/1e6, 3, "median spacing in ms")
}

func TestRTPMatchesFreeSWITCHCaptures(t *testing.T) {
	t.Parallel()
	a := startSIPAgent(t)
	c := dialTest(t, a.Addr())
	c.auth()
	c.send("event plain ALL")

	t.Run("bert_test", func(t *testing.T) {
		out, in := mediaLoop(t, c, a.SIPAddr(), "absolute_codec_string=PCMU")
		r := &rtpRecorder{}
		remove := mustSession(t, a, in).AddSink(r)
		defer remove()
		execute(c, out, "bert_test", "")
		require.Eventually(t, func() bool { return r.count() >= 100 }, 10*time.Second, 10*time.Millisecond)
		want := capturedPayloads(t, "bert.pcap")
		checkStream(t, r, 100)
		r.mu.Lock()
		for i, f := range r.frames[:100] {
			got := make([]byte, len(f))
			for j, s := range f {
				got[j] = g711.EncodeUlawFrame(s)
			}
			require.Equal(t, want[i], got, "payload %d: the milliwatt pattern bert.pcap carries", i)
		}
		r.mu.Unlock()
		c.api("uuid_kill " + out)
		c.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", in))
	})

	t.Run("tone_stream", func(t *testing.T) {
		out, in := mediaLoop(t, c, a.SIPAddr(), "absolute_codec_string=PCMU")
		r := &rtpRecorder{}
		remove := mustSession(t, a, in).AddSink(r)
		defer remove()
		// tone-stream.pcap: these two playbacks on the outbound leg.
		first, second := "tone_stream://%(1000,0,1004);loops=2", "tone_stream://%(200,100,440,480);loops=3"
		c.api("uuid_broadcast " + out + " " + first + " aleg")
		c.waitEvent(nameAnd("PLAYBACK_STOP", "Playback-File-Path", first))
		require.Eventually(t, func() bool { return r.count() >= 100 }, 10*time.Second, 10*time.Millisecond)
		checkStream(t, r, 100)
		c.api("uuid_broadcast " + out + " " + second + " aleg")
		c.waitEvent(nameAnd("PLAYBACK_STOP", "Playback-File-Path", second))
		want := capturedPayloads(t, "tone-stream.pcap")
		require.Eventually(t, func() bool { return r.count() >= len(want) }, 10*time.Second, 10*time.Millisecond)
		r.mu.Lock()
		defer r.mu.Unlock()
		require.Len(t, r.frames, len(want), "packets: 100 of the 1004 Hz tone, 45 of 440+480 and its gaps")
		assert.True(t, r.headers[100].Marker, "a new playback's first packet has the marker")
		for i, f := range r.frames {
			for j, s := range f {
				// The agent's µ-law encoder rounds a few values one step
				// away from FreeSWITCH's: compare within a step.
				w := float64(g711.DecodeUlawFrame(want[i][j]))
				step := math.Max(16, math.Abs(w)/8)
				require.InDelta(t, w, float64(s), step, "packet %d sample %d", i, j)
			}
		}
		c.api("uuid_kill " + out)
	})
}
