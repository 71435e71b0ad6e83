package flows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/callplan/callplan/metrics"
)

func TestMediaStatsReceived(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		stats MediaStats
		want  metrics.LegMedia
	}{
		{"a parked leg: fixture 01's figures", MediaStats{"rtp_audio_in_media_packet_count": "0", "rtp_audio_in_flaw_total": "0",
			"rtp_audio_in_mos": "4.50", "rtp_audio_in_jitter_max_variance": "0.00"}, metrics.LegMedia{MOS: 4.5}},
		{"FreeSWITCH: fixture 06's bert leg", MediaStats{"rtp_audio_in_media_packet_count": "699", "rtp_audio_in_flaw_total": "1",
			"rtp_audio_in_mos": "4.47", "rtp_audio_in_jitter_max_variance": "9.09"},
			metrics.LegMedia{Packets: 699, Lost: 1, MOS: 4.47, Jitter: 9090 * time.Microsecond}},
		{"the agent's RFC 3550 jitter wins", MediaStats{"rtp_audio_in_media_packet_count": "500", "rtp_audio_in_flaw_total": "25",
			"rtp_audio_in_mos": "3.80", "rtp_audio_in_jitter_max_variance": "9.00", "rtp_audio_in_jitter_ms": "1.25"},
			metrics.LegMedia{Packets: 500, Lost: 25, MOS: 3.8, Jitter: 1250 * time.Microsecond}},
		{"no variables at all", nil, metrics.LegMedia{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.stats.Received())
		})
	}
}
