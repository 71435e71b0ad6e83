package media

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseDTMF(t *testing.T) {
	t.Parallel()
	d := func(s string, dur uint32) []Digit {
		var out []Digit
		for i := range len(s) {
			out = append(out, Digit{Digit: s[i], Duration: dur})
		}
		return out
	}
	tests := []struct {
		in   string
		want []Digit
	}{
		{"1234#", d("1234#", 2000)},
		{"9*@200", d("9*", 1600)},
		{"9*@200+A@100", append(d("9*", 1600), d("A", 800)...)},
		{"abcdf", d("ABCDF", 2000)},
		{"1@50", d("1", 2000)}, // not above the 50 ms minimum: the default stays
		{"1@51", d("1", 408)},
		{"1@100000", d("1", MaxDTMFDuration)},
		{"1@200ms", d("1", 1600)}, // atoi reads the leading figures
		{"~12", d("12", 2000)},
		{"1w2W3", d("1w2W3", 2000)},
		{"1 2,3x", d("123", 2000)}, // other characters are skipped
		{"11", d("11", 2000)},
		{"+1+", d("1", 2000)},
	}
	for _, tt := range tests {
		got, err := ParseDTMF(tt.in)
		require.NoErrorf(t, err, "ParseDTMF(%q)", tt.in)
		assert.Equalf(t, tt.want, got, "ParseDTMF(%q)", tt.in)
	}
	for _, bad := range []string{"", "~", "xyz", "@200", strings.Repeat("1", 100)} {
		_, err := ParseDTMF(bad)
		assert.ErrorIsf(t, err, ErrDTMFString, "ParseDTMF(%q)", bad)
	}
	_, err := ParseDTMF(strings.Repeat("1", 99))
	assert.NoError(t, err, "99 characters are allowed")
}

func TestLastDTMFDuration(t *testing.T) {
	t.Parallel()
	digits, err := ParseDTMF("1234#")
	require.NoError(t, err)
	assert.Equal(t, 2500, LastDTMFDuration(digits), "fixture 07's last_dtmf_duration")
}

func TestEventCodes(t *testing.T) {
	t.Parallel()
	for i, c := range []byte("0123456789*#ABCDF") {
		code, ok := EventCode(c)
		require.True(t, ok)
		assert.EqualValues(t, i, code, "EventCode(%q)", c)
		back, ok := EventDigit(code)
		require.True(t, ok)
		assert.Equal(t, c, back)
	}
	code, ok := EventCode('b')
	assert.True(t, ok)
	assert.EqualValues(t, 13, code)
	_, ok = EventCode('x')
	assert.False(t, ok)
	_, ok = EventDigit(17)
	assert.False(t, ok)
}

func TestTelephoneEventPayload(t *testing.T) {
	t.Parallel()
	p := TelephoneEventPayload{Event: 11, End: true, Volume: 13, Duration: 2080}
	b := p.Marshal(nil)
	assert.Equal(t, []byte{11, 0x80 | 13, 0x08, 0x20}, b)
	got, err := ParseTelephoneEvent(b)
	require.NoError(t, err)
	assert.Equal(t, p, got)
	_, err = ParseTelephoneEvent(b[:3])
	assert.ErrorIs(t, err, ErrShortEvent)
}

func ev(code uint8, end bool, dur uint16) TelephoneEventPayload {
	return TelephoneEventPayload{Event: code, End: end, Volume: 13, Duration: dur}
}

func TestDTMFReceiver(t *testing.T) {
	t.Parallel()
	type pkt struct {
		ts uint32
		ev TelephoneEventPayload
	}
	tests := []struct {
		name string
		in   []pkt
		want []Digit
	}{
		{"end repeats count once", []pkt{{160, ev(1, false, 160)}, {160, ev(1, false, 320)},
			{160, ev(1, true, 480)}, {160, ev(1, true, 480)}, {160, ev(1, true, 480)}},
			[]Digit{{Digit: '1', Duration: 480}}},
		{"repeated digit with a gap", []pkt{{160, ev(5, false, 160)}, {160, ev(5, true, 800)}, {160, ev(5, true, 800)},
			{2000, ev(5, false, 160)}, {2000, ev(5, true, 800)}},
			[]Digit{{Digit: '5', Duration: 800}, {Digit: '5', Duration: 800}}},
		{"A-D", []pkt{{1, ev(12, true, 400)}, {2, ev(13, true, 400)}, {3, ev(14, true, 400)}, {4, ev(15, true, 400)}},
			[]Digit{{Digit: 'A', Duration: 400}, {Digit: 'B', Duration: 400}, {Digit: 'C', Duration: 400}, {Digit: 'D', Duration: 400}}},
		{"lost end reported at the next digit", []pkt{{160, ev(7, false, 160)}, {160, ev(7, false, 320)},
			{900, ev(8, false, 160)}, {900, ev(8, true, 640)}},
			[]Digit{{Digit: '7', Duration: 320}, {Digit: '8', Duration: 640}}},
		{"unknown event ignored", []pkt{{160, ev(40, true, 160)}}, nil},
	}
	for _, tt := range tests {
		var r dtmfReceiver
		var got []Digit
		for _, p := range tt.in {
			got = r.packet(got, p.ts, p.ev)
		}
		assert.Equal(t, tt.want, got, tt.name)
	}
}

// The agent sends digits exactly as FreeSWITCH did in
// testdata/rtp/dtmf-rfc2833.pcap: same payload types, markers, events, end
// bits, volumes and durations in the same order, timestamps at the same
// offsets, consecutive sequence numbers, two packets per tick and 400 ms
// between digits.
func TestSendDTMFMatchesCapture(t *testing.T) {
	t.Parallel()
	cap := streams(readCapture(t, "dtmf-rfc2833.pcap"))
	tests := []struct {
		digits string
		port   uint16 // the capture's sending port for that command
	}{
		{"1234#", 27268},
		{"9*@200+A@100", 25022},
	}
	for _, tt := range tests {
		t.Run(tt.digits, func(t *testing.T) {
			t.Parallel()
			want := cap[tt.port]
			require.NotEmpty(t, want)
			s, far := started(t, PCMU)
			digits, err := ParseDTMF(tt.digits)
			require.NoError(t, err)
			require.NoError(t, s.SendDTMF(digits))
			got := readPackets(t, far, len(want))
			for i := range want {
				w, g := want[i], got[i]
				assert.Equalf(t, w.PayloadType, g.PayloadType, "packet %d payload type", i)
				assert.Equalf(t, w.Marker, g.Marker, "packet %d marker", i)
				assert.Equalf(t, w.Payload, g.Payload, "packet %d event payload", i)
				assert.Equalf(t, w.Timestamp-want[0].Timestamp, g.Timestamp-got[0].Timestamp, "packet %d timestamp offset", i)
				assert.Equalf(t, got[0].SequenceNumber+uint16(i), g.SequenceNumber, "packet %d sequence", i)
			}
			st := s.Stats()
			assert.EqualValues(t, len(want), st.OutDTMFPackets)
			assert.Zero(t, st.OutPackets, "FreeSWITCH's out packet count leaves DTMF out (fixture 07)")
			require.Eventually(t, func() bool { return s.ports.SchedulerStats().Streams == 0 },
				10*time.Second, time.Millisecond, "the session leaves the wheel after the last digit")
		})
	}
}

// The sender's pacing, tick by tick without a clock: each packet leaves in
// the same 20 ms tick (counted from the first) as in the capture, so two
// per tick, the end packets together, 400 ms between digits.
func TestDTMFTicksMatchCapture(t *testing.T) {
	t.Parallel()
	cap := streams(readCapture(t, "dtmf-rfc2833.pcap"))
	for digits, port := range map[string]uint16{"1234#": 27268, "9*@200+A@100": 25022} {
		want := cap[port]
		var wantTicks []int
		for _, p := range want {
			wantTicks = append(wantTicks, int((p.at-want[0].at+10*time.Millisecond)/(20*time.Millisecond)))
		}
		d, err := ParseDTMF(digits)
		require.NoError(t, err)
		s := &Session{teSend: TelephoneEvent}
		s.dtmf.queue = d
		var gotTicks []int
		var out []outPacket
		for tick := 0; s.dtmf.active() && tick < 1000; tick++ {
			before := len(out)
			out, _ = s.dtmfTickLocked(out, time.Time{})
			for range len(out) - before {
				gotTicks = append(gotTicks, tick)
			}
		}
		assert.Equal(t, wantTicks, gotTicks, "%s: tick of each packet", digits)
		require.Len(t, out, len(want))
		for i := range out {
			assert.Equalf(t, want[i].Payload, out[i].body(), "%s packet %d", digits, i)
		}
	}
}

// The receive side turns the capture's packets back into the digits and
// durations of fixture 07's DTMF events.
func TestReceiveDTMFFromCapture(t *testing.T) {
	t.Parallel()
	cap := streams(readCapture(t, "dtmf-rfc2833.pcap"))
	tests := []struct {
		port uint16
		want []Digit
	}{
		{27268, []Digit{{Digit: '1', Duration: 2080}, {Digit: '2', Duration: 2080}, {Digit: '3', Duration: 2080}, {Digit: '4', Duration: 2080}, {Digit: '#', Duration: 2080}}},
		{25022, []Digit{{Digit: '9', Duration: 1600}, {Digit: '*', Duration: 1600}, {Digit: 'A', Duration: 800}}},
	}
	for _, tt := range tests {
		s, far := started(t, PCMU)
		var mu sync.Mutex
		var got []Digit
		s.OnDTMF(func(d Digit) {
			mu.Lock()
			got = append(got, d)
			mu.Unlock()
		})
		for _, p := range cap[tt.port] {
			b, err := p.Packet.Marshal()
			require.NoError(t, err)
			_, err = far.WriteToUDPAddrPort(b, s.LocalAddr())
			require.NoError(t, err)
		}
		require.Eventually(t, func() bool { return s.Stats().InDTMFPackets == uint64(len(cap[tt.port])) },
			10*time.Second, time.Millisecond)
		mu.Lock()
		assert.Equal(t, tt.want, got)
		mu.Unlock()
		assert.Zero(t, s.Stats().InMediaPackets)
	}
}

// While a digit plays, the source is still read (a playback keeps its
// time) but its audio is held back; the first audio packet after the
// digit carries the marker, as FreeSWITCH's need_mark does.
func TestDTMFHoldsAudioBack(t *testing.T) {
	t.Parallel()
	s, far := started(t, PCMU)
	src := &frames{n: -1}
	p := s.SetSource(src)
	readPackets(t, far, 2)
	require.NoError(t, s.SendDTMF([]Digit{{Digit: '5', Duration: 480}}))
	var events, audioAfter int
	var markedAfter bool
	for events < 5 || audioAfter < 1 {
		pkt := readPackets(t, far, 1)[0]
		switch {
		case pkt.PayloadType == TelephoneEvent:
			require.Zero(t, audioAfter, "no event packet after the audio resumed")
			events++
		case events > 0:
			if audioAfter == 0 {
				markedAfter = pkt.Marker
			}
			audioAfter++
		}
	}
	assert.Equal(t, 5, events, "160, 320, then 480 three times")
	assert.True(t, markedAfter, "audio resumes with the marker")
	src.mu.Lock()
	read := src.i
	src.mu.Unlock()
	st := s.Stats()
	assert.Greater(t, uint64(read), st.OutMediaPackets, "frames read during the digit were not sent")
	p.Stop()
}
