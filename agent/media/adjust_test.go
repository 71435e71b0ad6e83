package media

import (
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAdjustApply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		adj  Adjust
		in   int16
		want float64 // expected linear value before G.711 quantisation
	}{
		{Adjust{}, 1000, 1000},
		{Adjust{Level: 1}, 1000, 1300},
		{Adjust{Level: 4}, 1000, 4300},
		{Adjust{Level: 9}, 1000, 4300}, // clamped to 4, as switch_normalize_volume does
		{Adjust{Level: -1}, 1000, 800},
		{Adjust{Level: -4}, 1000, 200},
		{Adjust{Mute: true, Level: -4}, 1000, 0},
		{Adjust{Level: 4}, 30000, 32767}, // clipped
	}
	for _, c := range []Codec{PCMU, PCMA} {
		for _, tt := range tests {
			payload := c.Encode(nil, []int16{tt.in, tt.in})
			tt.adj.apply(c, payload, nil)
			got := c.Decode(nil, payload)
			// G.711 keeps about 3 % at these levels.
			assert.InDeltaf(t, tt.want, float64(got[0]), tt.want*0.04+16, "%s %+v on %d", c.Name, tt.adj, tt.in)
			if tt.adj.Mute {
				assert.Equal(t, []byte{c.Silence(), c.Silence()}, payload)
			}
		}
	}
}

// echo sends back what arrives, numbered as its own stream: the first
// packet marked, then consecutive sequence numbers and timestamps.
func TestEchoAndMute(t *testing.T) {
	t.Parallel()
	s, far := started(t, PCMU)
	s.SetEcho(true)
	in := PCMU.Encode(nil, make([]int16, FrameSamples))
	in[0] = 0x42
	for seq := uint16(10); seq < 13; seq++ {
		send(t, far, s.LocalAddr(), PCMU.PayloadType, seq, in)
	}
	got := readPackets(t, far, 3)
	for i, p := range got {
		assert.Equalf(t, i == 0, p.Marker, "marker on echo %d", i)
		assert.Equal(t, in, p.Payload)
		assert.Equal(t, got[0].SequenceNumber+uint16(i), p.SequenceNumber)
		assert.Equal(t, got[0].Timestamp+uint32(i*FrameSamples), p.Timestamp)
		assert.NotEqual(t, uint32(7), p.SSRC)
	}

	s.SetWriteAdjust(Adjust{Mute: true, Level: -4})
	send(t, far, s.LocalAddr(), PCMU.PayloadType, 13, in)
	muted := readPackets(t, far, 1)[0]
	for _, b := range muted.Payload {
		require.Equal(t, PCMU.Silence(), b, "a muted write side sends silence")
	}
	s.SetWriteAdjust(Adjust{})

	// Read mute: sinks and the echo see silence.
	frames := make(chan int16, 4)
	s.AddSink(sinkFunc(func(_ *rtp.Header, f []int16) { frames <- f[1] }))
	s.SetReadAdjust(Adjust{Mute: true})
	loud := PCMU.Encode(nil, []int16{0, 8000})
	loud = append(loud, make([]byte, FrameSamples-2)...)
	send(t, far, s.LocalAddr(), PCMU.PayloadType, 14, loud)
	assert.Equal(t, PCMU.Silence(), readPackets(t, far, 1)[0].Payload[1])
	select {
	case v := <-frames:
		assert.Zero(t, v)
	case <-time.After(10 * time.Second):
		t.Fatal("no frame")
	}
	s.SetReadAdjust(Adjust{})
	send(t, far, s.LocalAddr(), PCMU.PayloadType, 15, loud)
	assert.Equal(t, loud[1], readPackets(t, far, 1)[0].Payload[1])

	// A source takes precedence over the echo.
	p := s.SetSource(&frames2{n: 1})
	readPackets(t, far, 1)
	waitDone(t, p)
	st := s.Stats()
	assert.EqualValues(t, 7, st.OutMediaPackets)
}

// frames2 is a one-frame source of zeros.
type frames2 struct{ n int }

func (f *frames2) Read(frame []int16) bool {
	if f.n == 0 {
		return false
	}
	f.n--
	return true
}
