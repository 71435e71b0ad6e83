package media

import (
	"strings"
	"time"
)

// SilenceStream is silence_stream://<ms>[,<divisor>] (mod_tone_stream.c):
// ms of silence, or forever when ms is 0 or less; with a divisor, comfort
// noise of amplitude about 32767/divisor instead of digital zero
// (switch_generate_sln_silence in switch_resample.c). It still sends a
// packet every 20 ms: the point of playing it is to keep media flowing.
type SilenceStream struct {
	left    int // samples; <0 forever
	divisor int
	rnd     int16
}

var _ Source = (*SilenceStream)(nil)

// ParseSilenceStream reads what follows "silence_stream://" with atoi, as
// FreeSWITCH does, so it cannot fail: a bad length means forever.
func ParseSilenceStream(spec string) *SilenceStream {
	s := &SilenceStream{left: -1, rnd: int16(time.Now().UnixMicro())}
	ms, rest, _ := strings.Cut(spec, ",")
	if n := cAtoi(ms); n > 0 {
		s.left = int(n) * samplesPerMs
	}
	if d := cAtoi(rest); d > 0 {
		s.divisor = int(d)
	}
	return s
}

// Read fills one frame of silence or noise; false when the time is up.
func (s *SilenceStream) Read(frame []int16) bool {
	n := len(frame)
	if s.left >= 0 {
		if s.left == 0 {
			return false
		}
		n = min(n, s.left)
		s.left -= n
	}
	if s.divisor == 0 {
		clear(frame)
		return true
	}
	for i := range frame[:n] {
		// Six steps of a 16-bit LCG summed, as switch_generate_sln_silence.
		var sum int32
		for range 6 {
			s.rnd = int16(uint16(s.rnd)*31821 + 13849)
			sum += int32(s.rnd)
		}
		frame[i] = int16(sum) / int16(min(s.divisor, 32767))
	}
	clear(frame[n:])
	return true
}
