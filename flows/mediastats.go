package flows

import (
	"math"
	"time"

	"github.com/callplan/callplan/metrics"
)

// Received is what the leg measured of the audio it received, for the
// call record (metrics.LegMedia), from FreeSWITCH's own variables so that
// both kinds of node read alike:
//   - packets: rtp_audio_in_media_packet_count;
//   - lost: rtp_audio_in_flaw_total (FreeSWITCH counts one flaw per packet
//     missing from the sequence, src/switch_rtp.c);
//   - MOS: rtp_audio_in_mos;
//   - jitter: the agent's rtp_audio_in_jitter_ms (RFC 3550 interarrival
//     jitter) where it is set; FreeSWITCH sets no RFC 3550 figure, so on a
//     FreeSWITCH leg it is rtp_audio_in_jitter_max_variance, the largest
//     variance of its packets' interarrival time in milliseconds, the
//     closest figure it reports (docs/metrics.md).
func (s MediaStats) Received() metrics.LegMedia {
	var m metrics.LegMedia
	m.Packets, _ = s.Int("rtp_audio_in_media_packet_count")
	m.Lost, _ = s.Int("rtp_audio_in_flaw_total")
	m.MOS, _ = s.Float("rtp_audio_in_mos")
	ms, ok := s.Float("rtp_audio_in_jitter_ms")
	if !ok {
		ms, _ = s.Float("rtp_audio_in_jitter_max_variance")
	}
	if ms > 0 && !math.IsInf(ms, 0) {
		m.Jitter = time.Duration(ms * float64(time.Millisecond))
	}
	return m
}
