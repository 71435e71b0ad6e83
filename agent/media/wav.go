package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/zaf/g711"
)

// ErrWAVFormat is returned for a file that is not a WAV the agent plays.
var ErrWAVFormat = errors.New("unsupported wav file")

// WAV format tags (the fmt chunk's audio format).
const (
	wavPCM  = 1
	wavALaw = 6
	wavULaw = 7
)

// DecodeWAV reads a whole WAV file into 8 kHz mono linear samples: 16-bit
// PCM, A-law or µ-law, mono or multi-channel (mixed down), at any rate
// (resampled; 8 and 16 kHz are the usual ones). It is what playback of a
// file plays.
func DecodeWAV(r io.Reader) ([]int16, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading wav: %w", err)
	}
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%w: no RIFF/WAVE header", ErrWAVFormat)
	}
	var (
		format, channels, bits uint16
		rate                   uint32
		haveFmt                bool
		data                   []byte
	)
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), int(binary.LittleEndian.Uint32(b[off+4:]))
		off += 8
		if size < 0 || size > len(b)-off {
			size = len(b) - off // a writer that died before fixing sizes
		}
		chunk := b[off : off+size]
		switch id {
		case "fmt ":
			if size < 16 {
				return nil, fmt.Errorf("%w: short fmt chunk", ErrWAVFormat)
			}
			format = binary.LittleEndian.Uint16(chunk[0:])
			channels = binary.LittleEndian.Uint16(chunk[2:])
			rate = binary.LittleEndian.Uint32(chunk[4:])
			bits = binary.LittleEndian.Uint16(chunk[14:])
			if format == 0xfffe && size >= 26 { // WAVE_FORMAT_EXTENSIBLE: the sub-format's tag
				format = binary.LittleEndian.Uint16(chunk[24:])
			}
			haveFmt = true
		case "data":
			data = chunk
		}
		off += size + size&1
	}
	if !haveFmt || data == nil {
		return nil, fmt.Errorf("%w: no fmt or data chunk", ErrWAVFormat)
	}
	if channels == 0 || rate == 0 || rate > 192000 {
		return nil, fmt.Errorf("%w: %d channels at %d Hz", ErrWAVFormat, channels, rate)
	}
	var pcm []int16
	switch {
	case format == wavPCM && bits == 16:
		pcm = make([]int16, len(data)/2)
		for i := range pcm {
			pcm[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
		}
	case format == wavULaw && bits == 8:
		pcm = make([]int16, len(data))
		for i, v := range data {
			pcm[i] = g711.DecodeUlawFrame(v)
		}
	case format == wavALaw && bits == 8:
		pcm = make([]int16, len(data))
		for i, v := range data {
			pcm[i] = g711.DecodeAlawFrame(v)
		}
	default:
		return nil, fmt.Errorf("%w: format %d, %d bits", ErrWAVFormat, format, bits)
	}
	return Resample(mixDown(pcm, int(channels)), int(rate), 8000), nil
}

// mixDown averages interleaved channels to one.
func mixDown(pcm []int16, channels int) []int16 {
	if channels == 1 {
		return pcm
	}
	out := make([]int16, len(pcm)/channels)
	for i := range out {
		var sum int
		for c := range channels {
			sum += int(pcm[i*channels+c])
		}
		out[i] = int16(sum / channels)
	}
	return out
}

// Resample converts pcm from rate in to rate out. Going down it first
// low-passes at 0.45 of the output rate with a windowed-sinc filter (so a
// 16 kHz prompt does not fold its 4-8 kHz band into the call); both ways
// it then interpolates linearly between input samples.
func Resample(pcm []int16, in, out int) []int16 {
	if in == out || len(pcm) == 0 {
		return pcm
	}
	src := make([]float64, len(pcm))
	for i, s := range pcm {
		src[i] = float64(s)
	}
	if out < in {
		src = lowPass(src, 0.45*float64(out)/float64(in))
	}
	n := int(int64(len(pcm)) * int64(out) / int64(in))
	dst := make([]int16, n)
	step := float64(in) / float64(out)
	for i := range dst {
		pos := float64(i) * step
		j := int(pos)
		frac := pos - float64(j)
		v := src[j]
		if j+1 < len(src) {
			v += (src[j+1] - v) * frac
		}
		dst[i] = clamp16(v)
	}
	return dst
}

// lowPass filters with a 63-tap Blackman-windowed sinc; cutoff is a
// fraction of the sample rate.
func lowPass(x []float64, cutoff float64) []float64 {
	const taps = 63
	var h [taps]float64
	var sum float64
	for i := range h {
		m := float64(i - taps/2)
		sinc := 2 * cutoff
		if m != 0 {
			sinc = math.Sin(2*math.Pi*cutoff*m) / (math.Pi * m)
		}
		w := 0.42 - 0.5*math.Cos(2*math.Pi*float64(i)/(taps-1)) + 0.08*math.Cos(4*math.Pi*float64(i)/(taps-1))
		h[i] = sinc * w
		sum += h[i]
	}
	y := make([]float64, len(x))
	for i := range y {
		var acc float64
		for k, c := range h {
			if j := i + k - taps/2; j >= 0 && j < len(x) {
				acc += c * x[j]
			}
		}
		y[i] = acc / sum
	}
	return y
}

func clamp16(v float64) int16 {
	switch {
	case v > math.MaxInt16:
		return math.MaxInt16
	case v < math.MinInt16:
		return math.MinInt16
	}
	return int16(math.Round(v))
}

// ReadWAVFile decodes the WAV file at path (see DecodeWAV). A missing file
// gives an error that is os.ErrNotExist.
func ReadWAVFile(path string) ([]int16, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	defer f.Close()
	pcm, err := DecodeWAV(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return pcm, nil
}

// PCMSource plays decoded samples once, in 20 ms frames; the last frame is
// padded with silence. Several sources may share one slice.
type PCMSource struct {
	pcm []int16
	pos int
}

var _ Source = (*PCMSource)(nil)

// NewPCMSource plays pcm from sample offset start (FreeSWITCH's
// "<path>@@<sample>").
func NewPCMSource(pcm []int16, start int) *PCMSource {
	return &PCMSource{pcm: pcm, pos: min(max(start, 0), len(pcm))}
}

// Read fills the next frame; false at the end.
func (p *PCMSource) Read(frame []int16) bool {
	if p.pos >= len(p.pcm) {
		return false
	}
	n := copy(frame, p.pcm[p.pos:])
	clear(frame[n:])
	p.pos += n
	return true
}

// Played is how many samples have been played.
func (p *PCMSource) Played() int { return p.pos }
