package flows

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"time"
)

// wavLevel is what a recording holds: its length and how loud it is.
type wavLevel struct {
	Length time.Duration
	// DBFS is the recording's RMS level relative to full scale (-inf
	// for digital silence).
	DBFS float64
}

// silenceDBFS is the level below which a recording counts as silent.
// mod_sndfile writes the frames that arrived; a muted or missing
// direction is digital silence or comfort-noise level (well under -60
// dBFS), while a test tone or speech sits between -30 and -10 dBFS.
const silenceDBFS = -55.0

// errNotWAV: the file is not a 16-bit PCM WAV, the only kind
// mod_sndfile's and the agent's recorders write for a .wav path.
var errNotWAV = errors.New("not a 16-bit PCM WAV file")

// readWAVLevel reads a recording on this machine (the embedded agent's,
// or a node sharing the file system) and measures it.
func readWAVLevel(path string) (wavLevel, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return wavLevel{}, fmt.Errorf("reading recording: %w", err)
	}
	return wavLevelOf(b)
}

// wavLevelOf walks the RIFF chunks for fmt and data (a writer may put
// others, such as LIST, between them).
func wavLevelOf(b []byte) (wavLevel, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return wavLevel{}, errNotWAV
	}
	var rate, channels int
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), int(binary.LittleEndian.Uint32(b[off+4:off+8]))
		body := b[off+8:]
		if size > len(body) {
			size = len(body) // a recording cut short by a hangup
		}
		body = body[:size]
		switch id {
		case "fmt ":
			if size < 16 || binary.LittleEndian.Uint16(body[0:2]) != 1 || binary.LittleEndian.Uint16(body[14:16]) != 16 {
				return wavLevel{}, errNotWAV
			}
			channels = int(binary.LittleEndian.Uint16(body[2:4]))
			rate = int(binary.LittleEndian.Uint32(body[4:8]))
		case "data":
			if rate <= 0 || channels <= 0 {
				return wavLevel{}, errNotWAV
			}
			return levelOf(body, rate, channels), nil
		}
		off += 8 + size + size%2
	}
	return wavLevel{}, fmt.Errorf("%w: no data chunk", errNotWAV)
}

func levelOf(pcm []byte, rate, channels int) wavLevel {
	n := len(pcm) / 2
	var sum float64
	for i := 0; i < n; i++ {
		s := float64(int16(binary.LittleEndian.Uint16(pcm[2*i:])))
		sum += s * s
	}
	frames := n / channels
	l := wavLevel{Length: time.Duration(frames) * time.Second / time.Duration(rate), DBFS: math.Inf(-1)}
	if n > 0 && sum > 0 {
		l.DBFS = 20 * math.Log10(math.Sqrt(sum/float64(n))/32768)
	}
	return l
}
