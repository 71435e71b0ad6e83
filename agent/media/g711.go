package media

import "github.com/zaf/g711"

// Encode appends to dst one G.711 byte per linear sample of pcm, in codec c
// (PCMA when c is PCMA, µ-law otherwise: every codec the agent speaks is
// G.711), and returns the extended slice.
func (c Codec) Encode(dst []byte, pcm []int16) []byte {
	if c.PayloadType == PCMA.PayloadType {
		for _, v := range pcm {
			dst = append(dst, g711.EncodeAlawFrame(v))
		}
		return dst
	}
	for _, v := range pcm {
		dst = append(dst, g711.EncodeUlawFrame(v))
	}
	return dst
}

// Decode appends to dst the linear samples of a G.711 payload in codec c
// and returns the extended slice.
func (c Codec) Decode(dst []int16, payload []byte) []int16 {
	if c.PayloadType == PCMA.PayloadType {
		for _, b := range payload {
			dst = append(dst, g711.DecodeAlawFrame(b))
		}
		return dst
	}
	for _, b := range payload {
		dst = append(dst, g711.DecodeUlawFrame(b))
	}
	return dst
}

// Silence is the codec's byte for a zero sample: what a muted leg sends
// (µ-law 0xFF, A-law 0xD5, as FreeSWITCH's silence frames carry; see the
// trailing packets of ../shared/fixtures/rtp/tone-stream.pcap).
func (c Codec) Silence() byte {
	if c.PayloadType == PCMA.PayloadType {
		return 0xD5
	}
	return 0xFF
}
