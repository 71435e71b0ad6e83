package agent

import (
	"strconv"
	"time"

	"github.com/callplan/callplan/agent/media"
)

// rtpVars are the end-of-call rtp_audio_* variables FreeSWITCH sets from a
// leg's RTP statistics before CHANNEL_HANGUP_COMPLETE
// (switch_core_media_set_stats), in its order (fixtures 01, 06, 07), from
// the agent's session figures at hangup time. Where FreeSWITCH reads a
// jitter buffer the agent does not have, the figure is 0 as on a
// FreeSWITCH leg without one (jitter_packet_count, largest_jb_size,
// flush_packet_count), and so are CNG and RTCP, which the agent neither
// sends nor counts. docs/agent.md gives each figure's meaning.
func rtpVars(st media.Stats, at time.Time) []header {
	u := func(n uint64) string { return strconv.FormatUint(n, 10) }
	f := func(x float64) string {
		if x == 0 {
			return "0.00" // most figures of a call without media: no allocation
		}
		return strconv.FormatFloat(x, 'f', 2, 64)
	}
	burstLossRate := 0.0
	if e := st.Expected(); e > 0 && st.InBursts > 0 {
		// share of the expected packets lost in runs of two or more
		burstLossRate = 100 * float64(st.InBurstLost) / float64(e)
	}
	return []header{
		{"rtp_audio_in_raw_bytes", u(st.InRawBytes)},
		{"rtp_audio_in_media_bytes", u(st.InMediaBytes)},
		{"rtp_audio_in_packet_count", u(st.InPackets)},
		{"rtp_audio_in_media_packet_count", u(st.InMediaPackets)},
		{"rtp_audio_in_skip_packet_count", u(st.IdleFrames(at))},
		{"rtp_audio_in_jitter_packet_count", "0"},
		{"rtp_audio_in_dtmf_packet_count", u(st.InDTMFPackets)},
		{"rtp_audio_in_cng_packet_count", "0"},
		{"rtp_audio_in_flush_packet_count", "0"},
		{"rtp_audio_in_largest_jb_size", "0"},
		{"rtp_audio_in_jitter_min_variance", f(st.JitterMin)},
		{"rtp_audio_in_jitter_max_variance", f(st.JitterMax)},
		{"rtp_audio_in_jitter_loss_rate", f(st.LossPercent())},
		{"rtp_audio_in_jitter_burst_rate", f(burstLossRate)},
		{"rtp_audio_in_mean_interval", f(st.MeanInterval())},
		{"rtp_audio_in_flaw_total", u(st.InLost)},
		{"rtp_audio_in_quality_percentage", f(100 - st.LossPercent())},
		{"rtp_audio_in_mos", f(st.MOS())},
		{"rtp_audio_out_raw_bytes", u(st.OutRawBytes)},
		{"rtp_audio_out_media_bytes", u(st.OutMediaBytes)},
		{"rtp_audio_out_packet_count", u(st.OutPackets)},
		{"rtp_audio_out_media_packet_count", u(st.OutMediaPackets)},
		{"rtp_audio_out_skip_packet_count", "0"},
		{"rtp_audio_out_dtmf_packet_count", u(st.OutDTMFPackets)},
		{"rtp_audio_out_cng_packet_count", "0"},
		{"rtp_audio_rtcp_packet_count", "0"},
		{"rtp_audio_rtcp_octet_count", "0"},
		// The agent's own figures, which FreeSWITCH does not set.
		{"rtp_audio_in_lost_packet_count", u(st.InLost)},
		{"rtp_audio_in_out_of_order_packet_count", u(st.InOutOfOrder)},
		{"rtp_audio_in_duplicate_packet_count", u(st.InDuplicates)},
		{"rtp_audio_in_jitter_ms", f(st.Jitter)},
		{"rtp_audio_in_r_factor", f(st.Rating())},
	}
}
