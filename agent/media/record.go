package media

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/pion/rtp"
)

// Recorder is a Sink that writes what a leg receives to a WAV file: 16-bit
// PCM, mono, 8 kHz, as FreeSWITCH's record_session writes a G.711 call.
// Like FreeSWITCH's recording media bug it writes the frames that arrive
// and nothing for time without packets: a 3 s tone recorded for 3.7 s of
// wall time is a 3.2 s file (fixture 08: record_ms 3200, the tone and the
// silence packets that followed it).
type Recorder struct {
	mu      sync.Mutex
	path    string
	f       *os.File
	w       *bufio.Writer
	samples int64 // written so far
	limit   int64 // samples; 0: none
	onLimit func()
	masked  bool
	done    bool // limit reached or closed
	err     error
}

var _ Sink = (*Recorder)(nil)

// wavHeaderSize is the canonical 44-byte RIFF/WAVE header.
const wavHeaderSize = 44

// CreateRecorder creates (truncates) the file at path and starts
// recording. limit > 0 stops the recording after that much audio and calls
// onLimit once (from the session's receiver: it must not block).
func CreateRecorder(path string, limit time.Duration, onLimit func()) (*Recorder, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("creating recording: %w", err)
	}
	r := &Recorder{path: path, f: f, w: bufio.NewWriterSize(f, 32<<10),
		limit: int64(limit / time.Millisecond * samplesPerMs), onLimit: onLimit}
	// Sizes are patched at Close; until then they say "to the end".
	r.header(0xffffffff - wavHeaderSize + 8)
	return r, nil
}

// Path is the file being written.
func (r *Recorder) Path() string { return r.path }

// header writes the WAV header for dataBytes of samples.
func (r *Recorder) header(dataBytes uint32) {
	var h [wavHeaderSize]byte
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], dataBytes+wavHeaderSize-8)
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], wavPCM)
	binary.LittleEndian.PutUint16(h[22:], 1)    // mono
	binary.LittleEndian.PutUint32(h[24:], 8000) // rate
	binary.LittleEndian.PutUint32(h[28:], 16000)
	binary.LittleEndian.PutUint16(h[32:], 2)  // block align
	binary.LittleEndian.PutUint16(h[34:], 16) // bits
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], dataBytes)
	r.write(h[:])
}

func (r *Recorder) write(b []byte) {
	if r.err == nil {
		_, r.err = r.w.Write(b)
	}
}

// SetMask replaces the audio by silence while on (uuid_record mask), so a
// recording keeps its length but not what was said.
func (r *Recorder) SetMask(on bool) {
	r.mu.Lock()
	r.masked = on
	r.mu.Unlock()
}

// Write records one received frame.
func (r *Recorder) Write(h *rtp.Header, frame []int16) {
	r.mu.Lock()
	hit := r.frame(h, frame)
	r.mu.Unlock()
	if hit && r.onLimit != nil {
		r.onLimit()
	}
}

// frame writes one frame; true when this reached the limit. r.mu is held.
func (r *Recorder) frame(_ *rtp.Header, frame []int16) bool {
	if r.done {
		return false
	}
	n := int64(len(frame))
	if r.limit > 0 && r.samples+n > r.limit {
		n = max(r.limit-r.samples, 0)
	}
	// A peer may send other ptimes than 20 ms (SIPp's g711a.pcap has 30 ms
	// packets): write the frame in pieces of the buffer's size.
	var buf [2 * FrameSamples]byte
	for rest := frame[:n]; len(rest) > 0; {
		k := min(len(rest), FrameSamples)
		for i, s := range rest[:k] {
			if r.masked {
				s = 0
			}
			binary.LittleEndian.PutUint16(buf[2*i:], uint16(s))
		}
		r.write(buf[:2*k])
		rest = rest[k:]
	}
	r.samples += n
	if r.limit > 0 && r.samples >= r.limit {
		r.done = true
		return true
	}
	return false
}

// Close ends the recording: it fixes the header's sizes and closes the
// file. It returns the recording's length.
func (r *Recorder) Close() (time.Duration, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return r.length(), r.err
	}
	r.done = true
	if r.err == nil {
		r.err = r.w.Flush()
	}
	if r.err == nil {
		var sizes [4]byte
		binary.LittleEndian.PutUint32(sizes[:], uint32(r.samples*2+wavHeaderSize-8))
		_, r.err = r.f.WriteAt(sizes[:], 4)
		if r.err == nil {
			binary.LittleEndian.PutUint32(sizes[:], uint32(r.samples*2))
			_, r.err = r.f.WriteAt(sizes[:], 40)
		}
	}
	if err := r.f.Close(); r.err == nil {
		r.err = err
	}
	r.f = nil
	if r.err != nil {
		r.err = fmt.Errorf("writing recording %s: %w", r.path, r.err)
	}
	return r.length(), r.err
}

func (r *Recorder) length() time.Duration {
	return time.Duration(r.samples) * time.Second / 8000
}
