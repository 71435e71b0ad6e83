package media

import (
	"math/rand/v2"
	"testing"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// feed plays spec (frames of it at most) into a detector and returns the
// frame index of each detection.
func feed(t *testing.T, d *ToneDetector, fired *[]int, spec string, frames int) {
	t.Helper()
	ts, err := ParseToneStream(spec)
	require.NoError(t, err)
	frame := make([]int16, FrameSamples)
	var h rtp.Header
	for i := 0; i < frames && ts.Read(frame); i++ {
		before := len(*fired)
		d.Write(&h, frame)
		if len(*fired) > before {
			(*fired)[len(*fired)-1] = i
		}
	}
}

func TestToneDetector(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		cfg    ToneDetectorConfig
		spec   string
		detect bool
	}{
		{"1004 Hz test tone", ToneDetectorConfig{Freqs: []float64{1004}}, "%(2000,0,1004)", true},
		{"ringback 440+480", ToneDetectorConfig{Freqs: []float64{440, 480}}, "%(2000,4000,440,480)", true},
		{"a quiet tone", ToneDetectorConfig{Freqs: []float64{1004}}, "v=-30;%(2000,0,1004)", true},
		// teletone's tones carry a DC offset of 128, which outweighs a
		// -40 dBm0 sine (peak 228) in the energy test.
		{"a tone under teletone's DC", ToneDetectorConfig{Freqs: []float64{1004}}, "v=-40;%(2000,0,1004)", false},
		{"another frequency", ToneDetectorConfig{Freqs: []float64{1004}}, "%(2000,0,440)", false},
		// The energies at the tones are summed, so one of the two is
		// enough, in libteletone too.
		{"one of two tones", ToneDetectorConfig{Freqs: []float64{440, 620}}, "%(2000,0,440)", true},
		{"silence", ToneDetectorConfig{Freqs: []float64{1004}}, "%(0,2000,1004)", false},
		{"DTMF 5 is not its row tone", ToneDetectorConfig{Freqs: []float64{770}}, "d=2000;5", false},
		{"too short (20 ms)", ToneDetectorConfig{Freqs: []float64{1004}}, "%(20,200,1004);loops=5", false},
		{"three hits need three bursts", ToneDetectorConfig{Freqs: []float64{1004}, Hits: 3}, "%(100,500,1004);loops=2", false},
		{"three bursts give three hits", ToneDetectorConfig{Freqs: []float64{1004}, Hits: 3}, "%(100,500,1004);loops=3", true},
		{"no frequency", ToneDetectorConfig{Freqs: []float64{0, 1004}}, "%(2000,0,1004)", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var fired []int
			d := NewToneDetector(tc.cfg, func() { fired = append(fired, -1) })
			feed(t, d, &fired, tc.spec, 500)
			if tc.detect {
				assert.Len(t, fired, 1, "detections (the detector stops after the first)")
			} else {
				assert.Empty(t, fired)
			}
		})
	}
}

func TestToneDetectorQuickAndReset(t *testing.T) {
	t.Parallel()
	var fired []int
	d := NewToneDetector(ToneDetectorConfig{Freqs: []float64{1004}}, func() { fired = append(fired, -1) })
	feed(t, d, &fired, "%(1000,0,1004)", 50)
	require.Len(t, fired, 1)
	// Three blocks of 102 samples: the hit comes in the second frame.
	assert.LessOrEqual(t, fired[0], 2, "frame of the detection")
	feed(t, d, &fired, "%(1000,0,1004)", 50)
	assert.Len(t, fired, 1, "stopped after detecting")
	d.Reset()
	feed(t, d, &fired, "%(1000,0,1004)", 50)
	assert.Len(t, fired, 2, "re-armed by Reset")
}

func TestToneDetectorNoise(t *testing.T) {
	t.Parallel()
	var fired int
	d := NewToneDetector(ToneDetectorConfig{Freqs: []float64{1004}}, func() { fired++ })
	r := rand.New(rand.NewPCG(1, 2))
	frame := make([]int16, FrameSamples)
	for range 500 {
		for i := range frame {
			frame[i] = int16(r.IntN(20000) - 10000)
		}
		d.Write(&rtp.Header{}, frame)
	}
	assert.Zero(t, fired, "white noise")
}
