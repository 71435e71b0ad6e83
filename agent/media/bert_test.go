package media

import (
	"bytes"
	"testing"
	"time"

	"github.com/callplan/callplan/internal/pcapfile"
	"github.com/pion/rtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zaf/g711"
)

// bertRig drives a BERT on a fake clock: each step is one 20 ms tick of
// the send side and, unless the peer is silent, one received frame.
type bertRig struct {
	t      *testing.T
	b      *BERT
	clock  time.Time
	seq    uint16
	events []BERTEvent
	at     []int // frame index of each event
	frames int
}

func newBERTRig(t *testing.T, cfg BERTConfig) *bertRig {
	r := &bertRig{t: t, clock: time.Unix(1000, 0)}
	r.b = NewBERT(cfg, func() time.Time { return r.clock }, func(e BERTEvent) {
		r.events = append(r.events, e)
		r.at = append(r.at, r.frames)
	})
	return r
}

func defaultBERT() BERTConfig {
	return BERTConfigFromVars(func(string) (string, bool) { return "", false })
}

// step sends one tick and delivers payload (nil: nothing arrives; lost:
// the packet's sequence number is used up without arriving).
func (r *bertRig) step(payload []byte, lost bool) {
	r.t.Helper()
	out := make([]byte, FrameSamples)
	filled, ok := r.b.ReadRaw(PCMU, out)
	require.True(r.t, filled && ok)
	require.Equal(r.t, bertFrame[:], out, "the sent pattern")
	r.frames++
	r.clock = r.clock.Add(20 * time.Millisecond)
	if payload == nil {
		return
	}
	r.seq++
	if lost {
		return
	}
	frame := make([]int16, len(payload))
	for i, v := range payload {
		frame[i] = g711.DecodeUlawFrame(v)
	}
	r.b.Write(&rtp.Header{SequenceNumber: r.seq}, frame)
}

func (r *bertRig) steps(n int, payload []byte) {
	for range n {
		r.step(payload, false)
	}
}

func (r *bertRig) kinds() []BERTEventKind {
	var k []BERTEventKind
	for _, e := range r.events {
		k = append(k, e.Kind)
	}
	return k
}

func corrupt(n int) []byte {
	f := bertFrame
	for i := 0; i < n; i++ {
		f[8+i*(FrameSamples-8)/max(n, 1)] ^= 0x55
	}
	return f[:]
}

var silence = bertCNG[:]

func TestBERTInSyncOnTheFiftyFirstFrame(t *testing.T) {
	t.Parallel()
	r := newBERTRig(t, defaultBERT())
	r.steps(200, bertFrame[:])
	require.Equal(t, []BERTEventKind{BERTInSync}, r.kinds())
	// The window of 50 frames is judged as the 51st arrives: captured as
	// in_sync 1.02 s after bert_test started (fixture 06).
	assert.Equal(t, 51, r.at[0])
	st := r.b.Stats()
	assert.True(t, st.InSync)
	assert.Zero(t, st.MaxErr)
}

// TestBERTMuteLosesSync replays fixture 06's mute: the peer sends silence
// for 48 frames of one window → lost_sync at 96 % with 7680 error samples,
// then in_sync again after the next clean window.
func TestBERTMuteLosesSync(t *testing.T) {
	t.Parallel()
	r := newBERTRig(t, defaultBERT())
	r.steps(51, bertFrame[:]) // in sync; frame 51 opens the second window
	r.steps(49, bertFrame[:]) // ... which frame 100 fills
	r.steps(2, bertFrame[:])  // third window: 2 good frames
	r.steps(48, silence)      // ... and 48 silent ones
	r.steps(60, bertFrame[:])
	require.Equal(t, []BERTEventKind{BERTInSync, BERTLostSync, BERTInSync}, r.kinds())
	lost := r.events[1]
	assert.InDelta(t, 96.0, lost.LostPercent, 1e-4)
	assert.Equal(t, uint32(1), lost.LostCount)
	assert.Equal(t, uint32(7680), lost.ErrSamples)
	assert.Equal(t, uint32(0), lost.CNGCount)
	assert.False(t, lost.Hangup)
	assert.Equal(t, uint32(1), r.b.Stats().LostCount)
	assert.InDelta(t, 96.0, r.b.Stats().MaxErr, 1e-4)
}

func TestBERTInjectedErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		cfg     func(*BERTConfig)
		perFrm  int // corrupted samples per frame after sync
		losesIt bool
		pct     float32
	}{
		{"1 in 160 stays in sync", nil, 1, false, 0},
		{"16 in 160 is exactly 10 %: not above", nil, 16, false, 0},
		{"17 in 160 loses sync", nil, 17, true, 10.625},
		{"bert_max_err=30 tolerates 40 in 160", func(c *BERTConfig) { c.MaxErr = 30 }, 40, false, 0},
		{"bert_max_err=30 loses at 49 in 160", func(c *BERTConfig) { c.MaxErr = 30 }, 49, true, 30.625},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := defaultBERT()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			r := newBERTRig(t, cfg)
			r.steps(50, bertFrame[:])
			r.steps(150, corrupt(tc.perFrm))
			if !tc.losesIt {
				assert.Equal(t, []BERTEventKind{BERTInSync}, r.kinds())
				return
			}
			require.Equal(t, []BERTEventKind{BERTInSync, BERTLostSync}, r.kinds())
			assert.InDelta(t, tc.pct, r.events[1].LostPercent, 1e-3)
			assert.Equal(t, uint32(tc.perFrm*50), r.events[1].ErrSamples)
		})
	}
}

func TestBERTPhaseShiftedPattern(t *testing.T) {
	t.Parallel()
	// The peer's pattern starts 3 samples in: 3 errors a frame (1.875 %).
	var f [FrameSamples]byte
	for i := range f {
		f[i] = BERTMilliwatt[(i+5)%8]
	}
	r := newBERTRig(t, defaultBERT())
	r.steps(200, f[:])
	assert.Equal(t, []BERTEventKind{BERTInSync}, r.kinds())
	assert.InDelta(t, 1.875, r.b.Stats().MaxErr, 1e-4)
}

func TestBERTTimeout(t *testing.T) {
	t.Parallel()
	cfg := defaultBERT()
	cfg.Timeout = 3 * time.Second
	r := newBERTRig(t, cfg)
	r.steps(400, nil) // the peer is parked: nothing arrives for 8 s
	require.Equal(t, []BERTEventKind{BERTTimeout}, r.kinds(), "fired once")
	assert.Equal(t, 150, r.at[0], "on the 151st tick, the first at 3 s")
	assert.False(t, r.events[0].Hangup)
	// Silence never syncs; the timeout is not fired again.
	r.steps(100, silence)
	assert.Equal(t, []BERTEventKind{BERTTimeout}, r.kinds())
	assert.False(t, r.b.Stats().Synced)
	assert.InDelta(t, 100, r.b.Stats().MaxErr, 1e-4, "worst window of all before a sync")
}

func TestBERTTimeoutCancelledBySync(t *testing.T) {
	t.Parallel()
	cfg := defaultBERT()
	cfg.Timeout = 3 * time.Second
	cfg.HangupOnError = true
	r := newBERTRig(t, cfg)
	r.steps(50, nil)
	r.steps(300, bertFrame[:])
	assert.Equal(t, []BERTEventKind{BERTInSync}, r.kinds())
	r.steps(60, silence)
	require.Equal(t, []BERTEventKind{BERTInSync, BERTLostSync}, r.kinds())
	assert.True(t, r.events[1].Hangup, "bert_hangup_on_error")
}

func TestBERTLossCountsAsCNG(t *testing.T) {
	t.Parallel()
	r := newBERTRig(t, defaultBERT())
	r.steps(51, bertFrame[:])
	// Lose 6 packets of every 50 (12 %).
	for i := range 150 {
		r.step(bertFrame[:], i%50 < 6)
	}
	require.Equal(t, []BERTEventKind{BERTInSync, BERTLostSync}, r.kinds())
	e := r.events[1]
	assert.InDelta(t, 12.0, e.LostPercent, 1e-4)
	assert.Equal(t, uint32(6), e.CNGCount)
	assert.Equal(t, uint32(6*160), e.ErrSamples)
}

func TestBERTQuietPeerLosesSync(t *testing.T) {
	t.Parallel()
	r := newBERTRig(t, defaultBERT())
	r.steps(60, bertFrame[:])
	r.steps(120, nil) // the peer stops sending: each tick past 1 s is a CNG frame
	require.Equal(t, []BERTEventKind{BERTInSync, BERTLostSync}, r.kinds())
	assert.Positive(t, r.events[1].CNGCount)
	// It comes back: the gap's frames were already counted by the ticks.
	r.steps(110, bertFrame[:])
	assert.Equal(t, []BERTEventKind{BERTInSync, BERTLostSync, BERTInSync}, r.kinds())
}

func TestBERTWindowNotOfWholeFrames(t *testing.T) {
	t.Parallel()
	cfg := defaultBERT()
	cfg.Window = 1010 * time.Millisecond // 8080 samples: never equal to a multiple of 160
	r := newBERTRig(t, cfg)
	r.steps(300, bertFrame[:])
	assert.Empty(t, r.kinds(), "mod_bert never judges such a window")
}

func TestBERTConfigFromVars(t *testing.T) {
	t.Parallel()
	cases := []struct {
		vars map[string]string
		want BERTConfig
	}{
		{nil, BERTConfig{Window: time.Second, Timeout: 10 * time.Second, MaxErr: 10}},
		{map[string]string{"bert_window_ms": "500", "bert_timeout_ms": "3000", "bert_max_err": "30",
			"bert_hangup_on_error": "yes", "bert_timer_name": "soft", "bert_debug_io_file": "/tmp/b"},
			BERTConfig{Window: 500 * time.Millisecond, Timeout: 3 * time.Second, MaxErr: 30, HangupOnError: true,
				TimerName: "soft", DebugIOFile: "/tmp/b"}},
		{map[string]string{"bert_max_err": "30.9", "bert_window_ms": "0", "bert_timeout_ms": "-5", "bert_hangup_on_error": "no"},
			BERTConfig{Window: time.Second, Timeout: 10 * time.Second, MaxErr: 30}},
		{map[string]string{"bert_max_err": "abc", "bert_hangup_on_error": "1"},
			BERTConfig{Window: time.Second, Timeout: 10 * time.Second, MaxErr: 10, HangupOnError: true}},
	}
	for _, tc := range cases {
		got := BERTConfigFromVars(func(n string) (string, bool) { v, ok := tc.vars[n]; return v, ok })
		assert.Equal(t, tc.want, got, "vars %v", tc.vars)
	}
}

// TestBERTMatchesFreeSWITCH checks the capture of two FreeSWITCH legs
// running bert_test (bert.pcap): every packet carries exactly the frame
// BERT sends, paced 20 ms apart, and a BERT fed one direction of it syncs
// on the 51st frame.
func TestBERTMatchesFreeSWITCH(t *testing.T) {
	t.Parallel()
	ds, err := pcapfile.ReadUDP("testdata/rtp/bert.pcap")
	require.NoError(t, err)
	type dir struct{ src, dst uint16 }
	streams := map[dir][]pcapfile.Datagram{}
	for _, d := range ds {
		if d.SrcPort == 5080 || d.DstPort == 5080 || d.SrcPort == d.DstPort {
			continue
		}
		streams[dir{d.SrcPort, d.DstPort}] = append(streams[dir{d.SrcPort, d.DstPort}], d)
	}
	require.Len(t, streams, 2)
	for k, s := range streams {
		require.Len(t, s, 132, "%v", k)
		r := newBERTRig(t, defaultBERT())
		for i, d := range s {
			var p rtp.Packet
			require.NoError(t, p.Unmarshal(d.Payload))
			assert.Equal(t, uint8(0), p.PayloadType)
			assert.Equal(t, i == 0, p.Marker, "marker on the first packet only")
			require.Equal(t, bertFrame[:], p.Payload, "packet %d", i)
			if i > 0 {
				gap := d.Time.Sub(s[i-1].Time)
				assert.InDelta(t, 20, float64(gap)/1e6, 15, "pacing of packet %d", i)
			}
			r.step(p.Payload, false)
		}
		require.Equal(t, []BERTEventKind{BERTInSync}, r.kinds())
		assert.Equal(t, 51, r.at[0])
	}
}

func TestBERTPatternSurvivesDecoding(t *testing.T) {
	t.Parallel()
	// A Sink gets decoded samples: µ-law → linear → µ-law must give the
	// bytes back (all but 0x7f, negative zero, which is read as 0xff).
	for v := 0; v < 256; v++ {
		got := g711.EncodeUlawFrame(g711.DecodeUlawFrame(byte(v)))
		if v == 0x7f {
			assert.Equal(t, byte(0xff), got)
			continue
		}
		assert.Equal(t, byte(v), got, "byte %#x", v)
	}
}

func TestBERTDebugIO(t *testing.T) {
	t.Parallel()
	r := newBERTRig(t, defaultBERT())
	var in, out bytes.Buffer
	r.b.SetDebugIO(&in, &out)
	r.steps(3, bertFrame[:])
	r.step(bertFrame[:], true) // lost: its slot is checked as CNG
	r.steps(1, bertFrame[:])
	assert.Equal(t, bytes.Repeat(bertFrame[:], 5), out.Bytes(), "every frame sent")
	want := append(bytes.Repeat(bertFrame[:], 3), bertCNG[:]...)
	want = append(want, bertFrame[:]...)
	assert.Equal(t, want, in.Bytes(), "every frame checked, the lost one as comfort noise")
}
