package media

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zaf/g711"
)

// wavBytes builds a WAV file: format tag, channels, rate, bits and data.
func wavBytes(format, channels uint16, rate uint32, bits uint16, data []byte) []byte {
	var b bytes.Buffer
	le := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(uint32(36 + len(data)))
	b.WriteString("WAVEfmt ")
	le(uint32(16))
	le(format)
	le(channels)
	le(rate)
	le(rate * uint32(channels) * uint32(bits) / 8)
	le(channels * bits / 8)
	le(bits)
	b.WriteString("LIST") // a chunk to skip, as many writers add
	le(uint32(3))
	b.WriteString("abc\x00")
	b.WriteString("data")
	le(uint32(len(data)))
	b.Write(data)
	return b.Bytes()
}

func sine(freq float64, rate, n int, amp float64) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return out
}

func pcm16(s []int16) []byte {
	b := make([]byte, 2*len(s))
	for i, v := range s {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	return b
}

func TestDecodeWAV(t *testing.T) {
	t.Parallel()
	tone8k := sine(1000, 8000, 8000, 8000)
	stereo := make([]int16, 0, 2*len(tone8k))
	for _, s := range tone8k {
		stereo = append(stereo, s, -s/2)
	}
	ulaw := make([]byte, len(tone8k))
	for i, s := range tone8k {
		ulaw[i] = g711.EncodeUlawFrame(s)
	}
	cases := []struct {
		name    string
		file    []byte
		samples int
		check   func(t *testing.T, pcm []int16)
	}{
		{"8 kHz PCM as is", wavBytes(wavPCM, 1, 8000, 16, pcm16(tone8k)), 8000, func(t *testing.T, pcm []int16) {
			assert.Equal(t, tone8k, pcm)
		}},
		{"16 kHz PCM resampled", wavBytes(wavPCM, 1, 16000, 16, pcm16(sine(1000, 16000, 16000, 8000))), 8000, func(t *testing.T, pcm []int16) {
			assert.Greater(t, GoertzelPower(pcm, 1000), 0.9*energy(pcm)*float64(len(pcm))/2)
		}},
		{"16 kHz above 4 kHz is filtered, not folded", wavBytes(wavPCM, 1, 16000, 16, pcm16(sine(6000, 16000, 16000, 8000))), 8000, func(t *testing.T, pcm []int16) {
			// Folded, 6 kHz would sound at 2 kHz at full level.
			assert.Less(t, energy(pcm[100:len(pcm)-100]), 1e-4*energy(sine(6000, 16000, 16000, 8000)))
		}},
		{"stereo mixed down", wavBytes(wavPCM, 2, 8000, 16, pcm16(stereo)), 8000, func(t *testing.T, pcm []int16) {
			assert.InDelta(t, int(tone8k[2])/4, pcm[2], 1)
		}},
		{"µ-law", wavBytes(wavULaw, 1, 8000, 8, ulaw), 8000, func(t *testing.T, pcm []int16) {
			assert.InDelta(t, tone8k[2], pcm[2], 300)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pcm, err := DecodeWAV(bytes.NewReader(tc.file))
			require.NoError(t, err)
			assert.Len(t, pcm, tc.samples)
			tc.check(t, pcm)
		})
	}
}

func TestDecodeWAVErrors(t *testing.T) {
	t.Parallel()
	for name, file := range map[string][]byte{
		"not a wav":       []byte("hello world, this is not a wav file"),
		"8-bit PCM":       wavBytes(wavPCM, 1, 8000, 8, make([]byte, 100)),
		"no data chunk":   wavBytes(wavPCM, 1, 8000, 16, nil)[:44],
		"zero channels":   wavBytes(wavPCM, 0, 8000, 16, make([]byte, 100)),
		"float samples":   wavBytes(3, 1, 8000, 32, make([]byte, 100)),
		"truncated":       []byte("RIFF"),
		"absurd rate":     wavBytes(wavPCM, 1, 1<<30, 16, make([]byte, 100)),
		"short fmt chunk": []byte("RIFF\x10\x00\x00\x00WAVEfmt \x02\x00\x00\x00\x01\x00"),
	} {
		_, err := DecodeWAV(bytes.NewReader(file))
		assert.ErrorIs(t, err, ErrWAVFormat, name)
	}
	_, err := ReadWAVFile(filepath.Join(t.TempDir(), "nope.wav"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func FuzzDecodeWAV(f *testing.F) {
	f.Add(wavBytes(wavPCM, 1, 16000, 16, make([]byte, 64)))
	f.Add(wavBytes(wavALaw, 2, 8000, 8, make([]byte, 64)))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<16 {
			return
		}
		_, _ = DecodeWAV(bytes.NewReader(b))
	})
}

func TestPCMSource(t *testing.T) {
	t.Parallel()
	pcm := make([]int16, 400)
	for i := range pcm {
		pcm[i] = int16(i)
	}
	got, n := readAll(t, NewPCMSource(pcm, 0), 100)
	assert.Equal(t, 3, n, "400 samples: two frames and a padded one")
	assert.Equal(t, pcm, got[:400])
	assert.Equal(t, make([]int16, 80), got[400:])
	got, n = readAll(t, NewPCMSource(pcm, 320), 100) // "@@320"
	assert.Equal(t, 1, n)
	assert.Equal(t, int16(320), got[0])
	_, n = readAll(t, NewPCMSource(pcm, 5000), 100)
	assert.Zero(t, n)
}

func TestSilenceStream(t *testing.T) {
	t.Parallel()
	pcm, n := readAll(t, ParseSilenceStream("100"), 1000)
	assert.Equal(t, 5, n)
	assert.Zero(t, energy(pcm))
	_, n = readAll(t, ParseSilenceStream("-1"), 1000)
	assert.Equal(t, 1000, n, "forever")
	_, n = readAll(t, ParseSilenceStream("0"), 1000)
	assert.Equal(t, 1000, n, "0 is forever too, in mod_tone_stream")
	_, n = readAll(t, ParseSilenceStream("30"), 1000)
	assert.Equal(t, 2, n, "30 ms: a frame and a padded half")
	noise, n := readAll(t, ParseSilenceStream("1000,1400"), 1000)
	assert.Equal(t, 50, n)
	rms := math.Sqrt(energy(noise) / float64(len(noise)))
	assert.Greater(t, rms, 1.0, "comfort noise, not zero")
	assert.Less(t, rms, 40.0, "about 32767/1400 at most")
}

func TestFileCache(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, n int) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, wavBytes(wavPCM, 1, 8000, 16, pcm16(sine(500, 8000, n, 1000))), 0o600))
		return p
	}
	a, b := write("a.wav", 8000), write("b.wav", 8000)
	c := NewFileCache(2 * 12000) // room for 12000 samples
	pa, err := c.Load(a)
	require.NoError(t, err)
	pa2, err := c.Load(a)
	require.NoError(t, err)
	assert.Same(t, &pa[0], &pa2[0], "decoded once, shared")
	_, err = c.Load(b) // evicts a
	require.NoError(t, err)
	pa3, err := c.Load(a)
	require.NoError(t, err)
	assert.NotSame(t, &pa[0], &pa3[0], "decoded again after eviction")
	// A changed file is read again.
	require.NoError(t, os.WriteFile(a, wavBytes(wavPCM, 1, 8000, 16, pcm16(make([]int16, 160))), 0o600))
	require.NoError(t, os.Chtimes(a, time.Now().Add(time.Hour), time.Now().Add(time.Hour)))
	pa4, err := c.Load(a)
	require.NoError(t, err)
	assert.Len(t, pa4, 160)
	_, err = c.Load(filepath.Join(dir, "missing.wav"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestRecorder(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rec.wav")
	r, err := CreateRecorder(path, 0, nil)
	require.NoError(t, err)
	tone := sine(1000, 8000, FrameSamples, 5000)
	for i := range 5 {
		r.SetMask(i == 3)
		r.Write(&rtp.Header{Timestamp: uint32(i * FrameSamples)}, tone)
	}
	length, err := r.Close()
	require.NoError(t, err)
	assert.Equal(t, 100*time.Millisecond, length)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Len(t, b, 44+5*FrameSamples*2, "a canonical 44-byte header (record_file_size 51244 for 25600 samples, fixture 08)")
	pcm, err := ReadWAVFile(path)
	require.NoError(t, err)
	require.Equal(t, 5*FrameSamples, len(pcm))
	for i := range 5 {
		f := pcm[i*FrameSamples : (i+1)*FrameSamples]
		if i == 3 {
			assert.Zero(t, energy(f), "masked")
			continue
		}
		assert.Equal(t, tone, f, "frame %d", i)
	}
	_, err = r.Close()
	assert.NoError(t, err, "Close twice")
}

func TestRecorder30msFrames(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rec.wav")
	r, err := CreateRecorder(path, 0, nil)
	require.NoError(t, err)
	frame := sine(1000, 8000, 240, 5000)
	for i := range 3 {
		r.Write(&rtp.Header{Timestamp: uint32(i * 240)}, frame)
	}
	length, err := r.Close()
	require.NoError(t, err)
	assert.Equal(t, 90*time.Millisecond, length)
	pcm, err := ReadWAVFile(path)
	require.NoError(t, err)
	require.Len(t, pcm, 720)
	assert.Equal(t, frame, pcm[480:])
}

func TestRecorderLimit(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "rec.wav")
	hits := 0
	r, err := CreateRecorder(path, 50*time.Millisecond, func() { hits++ })
	require.NoError(t, err)
	frame := sine(1000, 8000, FrameSamples, 5000)
	for i := range 10 {
		r.Write(&rtp.Header{Timestamp: uint32(i * FrameSamples)}, frame)
	}
	assert.Equal(t, 1, hits)
	length, err := r.Close()
	require.NoError(t, err)
	assert.Equal(t, 50*time.Millisecond, length)
	pcm, err := ReadWAVFile(path)
	require.NoError(t, err)
	assert.Len(t, pcm, 400)
}

func TestRecorderBadPath(t *testing.T) {
	t.Parallel()
	_, err := CreateRecorder(filepath.Join(t.TempDir(), "no", "such", "dir.wav"), 0, nil)
	assert.ErrorIs(t, err, os.ErrNotExist)
}
