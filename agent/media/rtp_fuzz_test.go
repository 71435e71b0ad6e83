package media

import (
	"testing"
	"time"

	"github.com/pion/rtp"
)

// The receive path's parsers get whatever arrives on an RTP port.

func FuzzParseDTMF(f *testing.F) {
	for _, s := range []string{"1234#", "9*@200+A@100", "~1w2W", "1@50", "@", "+", "1@99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		digits, err := ParseDTMF(s)
		if err != nil {
			return
		}
		for _, d := range digits {
			if d.Duration < MinDTMFDuration || d.Duration > MaxDTMFDuration {
				t.Fatalf("ParseDTMF(%q): digit %q duration %d out of range", s, d.Digit, d.Duration)
			}
			if _, ok := EventCode(d.Digit); !ok && d.Digit != 'w' && d.Digit != 'W' {
				t.Fatalf("ParseDTMF(%q): digit %q has no event", s, d.Digit)
			}
		}
	})
}

// FuzzReceivePacket runs a datagram through what the receiver does with
// it (handlePacket): RTP parsing, the statistics and the RFC 4733 decoder.
func FuzzReceivePacket(f *testing.F) {
	seed := func(pt uint8, seq uint16, payload []byte) []byte {
		b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: 160}, Payload: payload}).Marshal()
		return b
	}
	f.Add(seed(101, 1, []byte{1, 0x8d, 0x08, 0x20}))
	f.Add(seed(101, 2, []byte{1, 0x0d}))
	f.Add(seed(0, 3, make([]byte, FrameSamples)))
	f.Add([]byte{0x80})
	f.Add([]byte("not rtp at all"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := &Session{codec: PCMU, teSend: TelephoneEvent, teRecv: TelephoneEvent}
		var got []Digit
		s.OnDTMF(func(d Digit) { got = append(got, d) })
		for range 2 { // twice: the second sees the first's state
			var p rtp.Packet
			s.handlePacket(b, &p, time.Now())
		}
		if len(got) > 1 {
			t.Fatalf("one event packet sent twice gave %d digits", len(got))
		}
	})
}
