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
		{"a parked leg: fixture 01's figures", MediaStats{{Name: "rtp_audio_in_media_packet_count", Value: "0"}, {Name: "rtp_audio_in_flaw_total", Value: "0"},
			{Name: "rtp_audio_in_mos", Value: "4.50"}, {Name: "rtp_audio_in_jitter_max_variance", Value: "0.00"}}, metrics.LegMedia{MOS: 4.5}},
		{"FreeSWITCH: fixture 06's bert leg", MediaStats{{Name: "rtp_audio_in_media_packet_count", Value: "699"}, {Name: "rtp_audio_in_flaw_total", Value: "1"},
			{Name: "rtp_audio_in_mos", Value: "4.47"}, {Name: "rtp_audio_in_jitter_max_variance", Value: "9.09"}},
			metrics.LegMedia{Packets: 699, Lost: 1, MOS: 4.47, Jitter: 9090 * time.Microsecond}},
		{"the agent's RFC 3550 jitter wins", MediaStats{{Name: "rtp_audio_in_media_packet_count", Value: "500"}, {Name: "rtp_audio_in_flaw_total", Value: "25"},
			{Name: "rtp_audio_in_mos", Value: "3.80"}, {Name: "rtp_audio_in_jitter_max_variance", Value: "9.00"},
			{Name: "rtp_audio_in_jitter_ms", Value: "1.25"}},
			metrics.LegMedia{Packets: 500, Lost: 25, MOS: 3.8, Jitter: 1250 * time.Microsecond}},
		{"no variables at all", nil, metrics.LegMedia{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.stats.Received())
		})
	}
}
