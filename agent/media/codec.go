package media

import "strings"

// Codec is an RTP audio codec as named in SDP (rtpmap) and in FreeSWITCH's
// absolute_codec_string.
type Codec struct {
	Name        string // "PCMU", "PCMA"
	PayloadType uint8  // static RTP payload type
	ClockRate   int    // samples per second
}

// The codecs the agent speaks. Both are 8 kHz G.711: one byte per sample, so
// a frame's payload length is also its timestamp advance.
var (
	PCMU = Codec{Name: "PCMU", PayloadType: 0, ClockRate: 8000}
	PCMA = Codec{Name: "PCMA", PayloadType: 8, ClockRate: 8000}
)

// TelephoneEvent is the dynamic payload type the agent offers and expects
// for RFC 2833 DTMF events, as FreeSWITCH does by default.
const TelephoneEvent uint8 = 101

// FrameSamples is the number of samples (and G.711 bytes) in one 20 ms frame,
// the ptime FreeSWITCH uses for G.711.
const FrameSamples = 160

// Codecs lists every codec the agent speaks, in its default preference order.
var Codecs = []Codec{PCMU, PCMA}

// CodecByName finds a codec by its SDP name, case-insensitively. A
// FreeSWITCH codec string may carry a rate or ptime ("PCMU@20i",
// "PCMA@8000h"); everything from '@' on is ignored.
func CodecByName(name string) (Codec, bool) {
	if i := strings.IndexByte(name, '@'); i >= 0 {
		name = name[:i]
	}
	for _, c := range Codecs {
		if strings.EqualFold(c.Name, strings.TrimSpace(name)) {
			return c, true
		}
	}
	return Codec{}, false
}

// CodecByPayloadType finds a codec by its static payload type.
func CodecByPayloadType(pt uint8) (Codec, bool) {
	for _, c := range Codecs {
		if c.PayloadType == pt {
			return c, true
		}
	}
	return Codec{}, false
}
