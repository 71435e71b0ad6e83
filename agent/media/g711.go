package media

import "github.com/zaf/g711"

// The encoders are tables built from zaf/g711's: encoding runs for every
// frame every leg sends, and its per-sample bit work and per-byte append
// were 4-13 % of the CPU in profiles of BenchmarkStreams once the system
// calls were batched. µ-law depends only on the sample's top
// 14 bits and A-law on its top 12 (both shift before anything else, and
// ^x>>n == ^(x>>n)), so the tables are exact (TestEncodeTables checks
// every sample).
var (
	ulawTable [1 << 14]byte
	alawTable [1 << 12]byte
)

func init() {
	for i := range ulawTable {
		ulawTable[i] = g711.EncodeUlawFrame(int16(uint16(i << 2)))
	}
	for i := range alawTable {
		alawTable[i] = g711.EncodeAlawFrame(int16(uint16(i << 4)))
	}
}

// Encode appends to dst one G.711 byte per linear sample of pcm, in codec c
// (PCMA when c is PCMA, µ-law otherwise: every codec the agent speaks is
// G.711), and returns the extended slice.
func (c Codec) Encode(dst []byte, pcm []int16) []byte {
	n := len(dst)
	if cap(dst)-n < len(pcm) {
		dst = append(dst[:cap(dst)], make([]byte, n+len(pcm)-cap(dst))...)
	}
	dst = dst[:n+len(pcm)]
	out := dst[n:]
	if c.PayloadType == PCMA.PayloadType {
		for i, v := range pcm {
			out[i] = alawTable[uint16(v)>>4]
		}
		return dst
	}
	for i, v := range pcm {
		out[i] = ulawTable[uint16(v)>>2]
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
