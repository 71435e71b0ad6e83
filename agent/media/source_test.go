package media

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// frames is a Source of n frames, frame i filled with the sample i*100
// (n < 0: endless).
type frames struct {
	mu sync.Mutex
	n  int
	i  int
}

func (f *frames) Read(frame []int16) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n >= 0 && f.i >= f.n {
		return false
	}
	for j := range frame {
		frame[j] = int16(f.i * 100)
	}
	f.i++
	return true
}

// rawFrames fills PCMU payloads with b and refuses other codecs, so its
// Read (silence) is used there.
type rawFrames struct {
	frames
	b byte
}

func (r *rawFrames) ReadRaw(c Codec, payload []byte) (filled, ok bool) {
	if c != PCMU {
		return false, true
	}
	var pcm [FrameSamples]int16
	if !r.Read(pcm[:]) {
		return false, false
	}
	for i := range payload {
		payload[i] = r.b
	}
	return true, true
}

// started opens a session sending to a fresh peer socket with codec.
func started(t *testing.T, codec Codec) (*Session, *net.UDPConn) {
	t.Helper()
	ports, err := NewPorts(43000, 43999)
	require.NoError(t, err)
	return startedOn(t, ports, codec)
}

// readPackets reads n RTP packets from c (deadline generous for a loaded
// machine).
func readPackets(t *testing.T, c *net.UDPConn, n int) []rtp.Packet {
	t.Helper()
	out, _ := readPacketsTimed(t, c, n)
	return out
}

// readPacketsTimed is readPackets with each packet's arrival time.
func readPacketsTimed(t *testing.T, c *net.UDPConn, n int) ([]rtp.Packet, []time.Duration) {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(20*time.Second)))
	var out []rtp.Packet
	var at []time.Duration
	start := time.Now()
	buf := make([]byte, 1500)
	for len(out) < n {
		k, err := c.Read(buf)
		require.NoError(t, err, "after %d of %d packets", len(out), n)
		at = append(at, time.Since(start))
		var p rtp.Packet
		require.NoError(t, p.Unmarshal(append([]byte(nil), buf[:k]...)))
		out = append(out, p)
	}
	return out, at
}

func waitDone(t *testing.T, p *Play) {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("play not over within 10 s")
	}
}

func TestSetSourceSendsEveryFrameThenEnds(t *testing.T) {
	t.Parallel()
	for _, codec := range []Codec{PCMU, PCMA} {
		t.Run(codec.Name, func(t *testing.T) {
			t.Parallel()
			s, far := started(t, codec)
			p := s.SetSource(&frames{n: 5})
			require.NotNil(t, p)
			assert.NoError(t, p.Err(), "Err is nil while playing")
			got := readPackets(t, far, 5)
			waitDone(t, p)
			assert.NoError(t, p.Err(), "a source that ended by itself")
			for i, pkt := range got {
				assert.Equal(t, codec.PayloadType, pkt.PayloadType)
				assert.Equalf(t, i == 0, pkt.Marker, "marker on packet %d", i)
				require.Len(t, pkt.Payload, FrameSamples)
				want := codec.Encode(nil, []int16{int16(i * 100)})[0]
				assert.Equalf(t, want, pkt.Payload[0], "packet %d carries frame %d", i, i)
				assert.Equal(t, got[0].SSRC, pkt.SSRC)
				assert.Equal(t, got[0].SequenceNumber+uint16(i), pkt.SequenceNumber)
				assert.Equal(t, got[0].Timestamp+uint32(i*FrameSamples), pkt.Timestamp)
			}
			st := s.Stats()
			assert.EqualValues(t, 5, st.OutMediaPackets)
			assert.EqualValues(t, 5*(12+FrameSamples), st.OutMediaBytes)
		})
	}
}

func TestSetSourceReplaceStopClose(t *testing.T) {
	t.Parallel()
	s, far := started(t, PCMU)
	first := s.SetSource(&frames{n: -1})
	readPackets(t, far, 2)
	second := s.SetSource(&frames{n: -1})
	waitDone(t, first)
	assert.ErrorIs(t, first.Err(), ErrStopped, "replaced")
	// The new source starts a new stream: its first packet has the marker.
	require.Eventually(t, func() bool {
		pkts := readPackets(t, far, 1)
		return pkts[0].Marker && pkts[0].Payload[0] == PCMU.Encode(nil, []int16{0})[0]
	}, 10*time.Second, time.Millisecond)

	second.Stop()
	waitDone(t, second)
	assert.ErrorIs(t, second.Err(), ErrStopped)
	second.Stop() // no effect once over

	third := s.SetSource(&frames{n: -1})
	assert.Nil(t, s.SetSource(nil), "SetSource(nil) returns no play")
	waitDone(t, third)
	assert.ErrorIs(t, third.Err(), ErrStopped)

	fourth := s.SetSource(&frames{n: -1})
	require.NoError(t, s.Close())
	waitDone(t, fourth)
	assert.ErrorIs(t, fourth.Err(), ErrClosed)
	late := s.SetSource(&frames{n: 1})
	waitDone(t, late)
	assert.ErrorIs(t, late.Err(), ErrClosed, "a closed session plays nothing")
}

// A RawSource's payload goes out unchanged when it fills the codec; for
// another codec its Read gives the audio.
func TestRawSource(t *testing.T) {
	t.Parallel()
	s, far := started(t, PCMU)
	p := s.SetSource(&rawFrames{frames: frames{n: 2}, b: 0x1e})
	for _, pkt := range readPackets(t, far, 2) {
		assert.Equal(t, byte(0x1e), pkt.Payload[0])
		assert.Equal(t, byte(0x1e), pkt.Payload[FrameSamples-1])
	}
	waitDone(t, p)

	a, farA := started(t, PCMA)
	p = a.SetSource(&rawFrames{frames: frames{n: 2}, b: 0x1e})
	pkts := readPackets(t, farA, 2)
	assert.Equal(t, PCMA.Encode(nil, []int16{100})[0], pkts[1].Payload[0], "PCMA: encoded from Read")
	waitDone(t, p)
}

// After a pause the timestamp jumps by the silent time and the marker is
// set, as FreeSWITCH's timer-driven timestamps do.
func TestTimestampJumpsAfterPause(t *testing.T) {
	t.Parallel()
	s, far := started(t, PCMU)
	waitDone(t, s.SetSource(&frames{n: 1}))
	a := readPackets(t, far, 1)[0]
	s.mu.Lock()
	s.lastSend = s.lastSend.Add(-time.Second) // as if a second passed
	s.mu.Unlock()
	waitDone(t, s.SetSource(&frames{n: 1}))
	b := readPackets(t, far, 1)[0]
	assert.True(t, b.Marker)
	assert.Equal(t, a.SequenceNumber+1, b.SequenceNumber, "sequence numbers have no gap")
	d := b.Timestamp - a.Timestamp
	assert.GreaterOrEqual(t, d, uint32(8000), "timestamp advanced by the second and more")
	assert.Zero(t, d%FrameSamples, "in whole frames")
}

type sinkFunc func(h *rtp.Header, frame []int16)

func (f sinkFunc) Write(h *rtp.Header, frame []int16) { f(h, frame) }

func TestSinksSeeDecodedAudio(t *testing.T) {
	t.Parallel()
	s, far := started(t, PCMA)
	got := make(chan int16, 10)
	remove := s.AddSink(sinkFunc(func(h *rtp.Header, frame []int16) {
		assert.Len(t, frame, FrameSamples)
		got <- frame[0]
	}))
	payload := PCMA.Encode(nil, make([]int16, FrameSamples))
	payload[0] = PCMA.Encode(nil, []int16{1000})[0]
	send(t, far, s.LocalAddr(), PCMA.PayloadType, 1, payload)
	send(t, far, s.LocalAddr(), TelephoneEvent, 2, []byte{1, 0, 0, 160})
	select {
	case v := <-got:
		assert.InDelta(t, 1000, v, 40, "A-law decoded")
	case <-time.After(10 * time.Second):
		t.Fatal("sink saw nothing")
	}
	remove()
	remove()
	send(t, far, s.LocalAddr(), PCMA.PayloadType, 3, payload)
	require.Eventually(t, func() bool { return s.Stats().InMediaPackets == 2 }, 10*time.Second, time.Millisecond)
	assert.Empty(t, got, "no frame after remove, none for telephone-event")
}

func TestSchedulerStats(t *testing.T) {
	t.Parallel()
	s, far := started(t, PCMU)
	waitDone(t, s.SetSource(&frames{n: 10}))
	readPackets(t, far, 10)
	st := s.ports.SchedulerStats()
	assert.EqualValues(t, 10, st.Frames)
	assert.NotEmpty(t, st.Pacer, "the wheel says how its thread is scheduled")
	require.Eventually(t, func() bool { return s.ports.SchedulerStats().Streams == 0 },
		10*time.Second, time.Millisecond, "the wheel empties when the source ends")
}
