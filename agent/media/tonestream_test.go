package media

import (
	"math"
	"math/bits"
	"testing"

	"github.com/callplan/callplan/internal/pcapfile"
	"github.com/pion/rtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readAll plays a source to its end (at most limit frames) and returns the
// samples and the number of frames.
func readAll(t *testing.T, s Source, limit int) ([]int16, int) {
	t.Helper()
	var out []int16
	frame := make([]int16, FrameSamples)
	n := 0
	for ; n < limit && s.Read(frame); n++ {
		out = append(out, frame...)
	}
	return out, n
}

func TestToneStreamDurations(t *testing.T) {
	t.Parallel()
	cases := []struct {
		spec   string
		frames int // 20 ms frames until the stream ends
	}{
		{"%(1000,0,1004)", 50},
		{"%(1000,0,1004);loops=3", 150},
		{"%(1000,0,1004);LOOPS=2", 100}, // ;loops= is matched in any case
		{"%(200,100,440,480);loops=3", 45},
		{"%(200,100,440,480)", 15},
		{"L=3;%(100,100,350)", 30},
		{"L=2;L=5;%(100,100,350)", 20}, // only the first L= counts
		{"l=3;%(100,0,350);%(100,0,440)", 20},
		// A setting at the end is re-read from its '=': l=2 applies, then
		// '2' plays (twice) as a DTMF tone of 2000+500 samples.
		{"%(100,0,350);l=2", 37},
		{"1", 16}, // DTMF '1': 2000 samples on, 500 off: 2500 samples = 15.6 frames
		{"d=100;w=100;123", 30},
		{"1(100,60)", 8},
		{"x", 0},            // no tone map: nothing plays
		{"%(0,0,440)", 0},   // empty
		{"%(100,0,-5)", 0},  // a first frequency below 0 gives only the silence
		{"%(100,40,-5)", 2}, // ... which is 40 ms here
		// No ')': the tone, then '(' and the digits of "100" (up to the
		// first comma) as DTMF tones: 800 + 3*2500 samples.
		{"%(100,0,440", 52},
		{"%(100,0,440;%(100,0,350)", 57},
	}
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			ts, err := ParseToneStream(tc.spec)
			require.NotNil(t, ts)
			_ = err
			_, n := readAll(t, ts, 10000)
			assert.Equal(t, tc.frames, n, "ParseToneStream(%q) frames", tc.spec)
		})
	}
}

func TestToneStreamSyntaxErrors(t *testing.T) {
	t.Parallel()
	for _, spec := range []string{"%(100,0)", "%(100)", "%()", "1(100,0,440)", "%(100,0,440);%(1)"} {
		ts, err := ParseToneStream(spec)
		require.ErrorIs(t, err, ErrToneSyntax, spec)
		require.NotNil(t, ts, spec)
	}
	// The tones before the error still play, as in libteletone.
	ts, err := ParseToneStream("%(100,0,440);%(1)")
	require.Error(t, err)
	_, n := readAll(t, ts, 100)
	assert.Equal(t, 5, n)
}

func TestToneStreamForever(t *testing.T) {
	t.Parallel()
	for _, spec := range []string{"%(100,100,440);loops=-1", "l=-1;%(20,0,440);%(20,0,880)"} {
		ts, err := ParseToneStream(spec)
		require.NoError(t, err)
		_, n := readAll(t, ts, 1000)
		assert.Equal(t, 1000, n, spec)
	}
}

// TestToneStreamFrequencies checks with a Goertzel filter that each tone
// holds its frequencies' energy and nothing else.
func TestToneStreamFrequencies(t *testing.T) {
	t.Parallel()
	cases := []struct {
		spec   string
		freqs  []float64
		absent []float64
	}{
		{"%(1000,0,1004)", []float64{1004}, []float64{440, 2000}},
		{"%(1000,0,440,480)", []float64{440, 480}, []float64{350, 620, 1004}},
		{"%(1000,0,350,440)", []float64{350, 440}, []float64{480, 620}},
		{"d=1000;w=0;5", []float64{770, 1336}, []float64{697, 1209}},
	}
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			ts, err := ParseToneStream(tc.spec)
			require.NoError(t, err)
			pcm, _ := readAll(t, ts, 100)
			total := energy(pcm)
			var in float64
			for _, f := range tc.freqs {
				p := GoertzelPower(pcm, f)
				in += p
				assert.Greater(t, p, 0.2*total*float64(len(pcm))/2/float64(len(tc.freqs)), "power at %v Hz", f)
			}
			// Power at the tones, as a share of all the energy.
			assert.Greater(t, in/(total*float64(len(pcm))/2), 0.95)
			for _, f := range tc.absent {
				assert.Less(t, GoertzelPower(pcm, f), 0.001*in, "power at %v Hz", f)
			}
		})
	}
}

func energy(pcm []int16) float64 {
	var e float64
	for _, s := range pcm {
		e += float64(s) * float64(s)
	}
	return e
}

// TestToneStreamLevel: FreeSWITCH's default -7 dBm0 is a sine of peak
// 10186 (µ-law full scale is +3.14 dBm0); v= moves it in dB.
func TestToneStreamLevel(t *testing.T) {
	t.Parallel()
	peak := func(spec string) int {
		ts, err := ParseToneStream(spec)
		require.NoError(t, err)
		pcm, _ := readAll(t, ts, 100)
		m := 0
		for _, s := range pcm {
			m = max(m, int(math.Abs(float64(s))))
		}
		return m
	}
	assert.InDelta(t, 10186+128, peak("%(1000,0,1000)"), 30)
	assert.InDelta(t, 10186*math.Pow(10, -13.0/20)+128, float64(peak("v=-20;%(1000,0,1000)")), 30)
	assert.Equal(t, peak("%(1000,0,1000)"), peak("v=3;%(1000,0,1000)"), "a level above 0 is ignored")
}

// TestToneStreamMatchesFreeSWITCH compares the samples with the µ-law
// payloads real FreeSWITCH sent for the same scripts (tone-stream.pcap:
// "%(1000,0,1004);loops=2" then "%(200,100,440,480);loops=3"), byte for
// byte once encoded with FreeSWITCH's own µ-law encoder.
func TestToneStreamMatchesFreeSWITCH(t *testing.T) {
	t.Parallel()
	ds, err := pcapfile.ReadUDP("testdata/rtp/tone-stream.pcap")
	require.NoError(t, err)
	var got [][]byte
	for _, d := range ds {
		var p rtp.Packet
		if d.SrcPort == 5080 || d.DstPort == 5080 || p.Unmarshal(d.Payload) != nil || len(p.Payload) != FrameSamples {
			continue
		}
		got = append(got, p.Payload)
	}
	require.Len(t, got, 145)
	var want [][]byte
	for _, spec := range []string{"%(1000,0,1004);loops=2", "%(200,100,440,480);loops=3"} {
		ts, err := ParseToneStream(spec)
		require.NoError(t, err)
		frame := make([]int16, FrameSamples)
		for ts.Read(frame) {
			b := make([]byte, FrameSamples)
			for i, s := range frame {
				b[i] = freeswitchUlaw(int(s))
			}
			want = append(want, b)
		}
	}
	require.Len(t, want, len(got))
	for i := range want {
		require.Equal(t, want[i], got[i], "packet %d", i)
	}
}

// freeswitchUlaw is linear_to_ulaw of FreeSWITCH's g711.h, which rounds a
// few negative values differently from other encoders.
func freeswitchUlaw(linear int) byte {
	mask := 0xff
	if linear < 0 {
		linear, mask = 0x84-linear, 0x7f
	} else {
		linear += 0x84
	}
	seg := bits.Len(uint(linear|0xff)) - 1 - 7
	if seg >= 8 {
		return byte(0x7f ^ mask)
	}
	return byte(((seg << 4) | ((linear >> (seg + 3)) & 0xf)) ^ mask)
}

func FuzzParseToneStream(f *testing.F) {
	for _, s := range []string{"%(1000,0,1004);loops=3", "L=2;v=-10;%(200,100,440,480)", "l=-1;1", "%(100,0,440",
		"1(100,50)", "v=-63;d=1;w=1;#*", "%(1,1,1,2,3,4,5,6,7,8)", "L=2;%(100)", ";;;", "=="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		ts, err := ParseToneStream(spec)
		if ts == nil {
			t.Fatalf("ParseToneStream(%q) = nil, %v", spec, err)
		}
		frame := make([]int16, FrameSamples)
		for i := 0; i < 20 && ts.Read(frame); i++ {
		}
	})
}
