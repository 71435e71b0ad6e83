package media

import (
	"time"

	"github.com/pion/rtp"
)

// Stats are one session's counters, named after FreeSWITCH's rtp_audio_*
// channel variables where FreeSWITCH has one (field comments).
type Stats struct {
	InRawBytes     uint64 // rtp_audio_in_raw_bytes: every received datagram, headers included
	InMediaBytes   uint64 // rtp_audio_in_media_bytes: audio packets, headers included (FreeSWITCH counts the whole packet: fixture 06, 172 per packet)
	InPackets      uint64 // rtp_audio_in_packet_count: every received RTP packet, DTMF and other payload types included
	InMediaPackets uint64 // rtp_audio_in_media_packet_count: audio packets (negotiated codec)
	InDTMFPackets  uint64 // rtp_audio_in_dtmf_packet_count: telephone-event packets
	InInvalid      uint64 // not RTP (not in InPackets), or a payload type not negotiated (in InPackets)
	// Sequence accounting of the audio and event packets (RFC 3550 A.3).
	InLost       uint64 // missing by sequence number: rtp_audio_in_flaw_total
	InOutOfOrder uint64 // arrived after a later one (and filled a gap)
	InDuplicates uint64 // a sequence number seen before
	InBursts     uint64 // runs of consecutive lost packets
	InBurstLost  uint64 // packets lost in runs of two or more
	// Interarrival jitter of the audio packets (RFC 3550 A.8), in ms: the
	// latest estimate and its smallest and largest value once settled.
	Jitter, JitterMin, JitterMax float64
	FirstIn, LastIn              time.Time // arrival of the first and latest audio packet
	Started                      time.Time // when media started (zero: never)

	OutRawBytes     uint64 // rtp_audio_out_raw_bytes: everything sent, DTMF included
	OutMediaBytes   uint64 // rtp_audio_out_media_bytes: audio packets, headers included
	OutPackets      uint64 // rtp_audio_out_packet_count: sent packets but DTMF (fixture 07)
	OutMediaPackets uint64 // rtp_audio_out_media_packet_count
	OutDTMFPackets  uint64 // rtp_audio_out_dtmf_packet_count
}

// Expected is the number of packets the peer sent as far as the sequence
// numbers tell: those received once plus those lost.
func (st Stats) Expected() uint64 {
	return st.InMediaPackets + st.InDTMFPackets - st.InDuplicates + st.InLost
}

// LossPercent is the share of expected packets that never arrived.
func (st Stats) LossPercent() float64 {
	if e := st.Expected(); e > 0 {
		return 100 * float64(st.InLost) / float64(e)
	}
	return 0
}

// BurstRatio is G.107's BurstR: the mean length of the observed loss bursts
// over the mean length random loss of the same rate gives, 1/(1-p). 1 for
// random loss (and when nothing was lost), above 1 for bursty loss.
func (st Stats) BurstRatio() float64 {
	if st.InBursts == 0 || st.InLost == 0 {
		return 1
	}
	mean := float64(st.InLost) / float64(st.InBursts)
	return mean * (1 - st.LossPercent()/100)
}

// MeanInterval is the mean time between audio packets, in ms
// (rtp_audio_in_mean_interval).
func (st Stats) MeanInterval() float64 {
	if st.InMediaPackets < 2 {
		return 0
	}
	return float64(st.LastIn.Sub(st.FirstIn)) / float64(time.Millisecond) / float64(st.InMediaPackets-1)
}

// IdleFrames is FreeSWITCH's rtp_audio_in_skip_packet_count: its timer
// reads every 20 ms and counts the reads that found no audio packet. The
// agent reads as packets arrive, so it derives the figure: the 20 ms
// frames from the start of media to at, less the audio packets received.
func (st Stats) IdleFrames(at time.Time) uint64 {
	if st.Started.IsZero() || at.Before(st.Started) {
		return 0
	}
	frames := uint64(at.Sub(st.Started) / frameInterval)
	if frames <= st.InMediaPackets {
		return 0
	}
	return frames - st.InMediaPackets
}

// Stats returns a snapshot of the counters.
func (s *Session) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.in
	st.Started = s.startAt
	st.OutRawBytes = s.out.OutRawBytes
	st.OutMediaBytes = s.out.OutMediaBytes
	st.OutPackets = s.out.OutPackets
	st.OutMediaPackets = s.out.OutMediaPackets
	st.OutDTMFPackets = s.out.OutDTMFPackets
	return st
}

// seqWindow is how far back (in sequence numbers) a late packet is told
// from a duplicate: 1024 packets, 20 s of 20 ms audio.
const seqWindow = 1024

// jitterSettle is how many audio packets the jitter estimate takes before
// its minimum and maximum are tracked: 16, the estimator's time constant.
const jitterSettle = 16

// recvState is the receive side's sequence and jitter tracking, guarded by
// the session's mu.
type recvState struct {
	haveSeq bool
	maxSeq  uint16
	seen    [seqWindow / 64]uint64 // bit per sequence number mod seqWindow, for the last seqWindow numbers
	// RFC 3550 A.8 state, in timestamp units
	haveTransit bool
	transit     float64
	jitter      float64
	samples     uint64
}

func (r *recvState) bit(seq uint16) (word int, mask uint64) {
	i := int(seq) % seqWindow
	return i / 64, 1 << (i % 64)
}

// sequence classifies one packet's sequence number and updates the
// counters: a forward jump of d counts d-1 lost (one burst); an older number
// not seen is a late packet that fills a gap; one seen is a duplicate.
func (r *recvState) sequence(st *Stats, seq uint16) {
	if !r.haveSeq {
		r.haveSeq, r.maxSeq = true, seq
		w, m := r.bit(seq)
		r.seen[w] |= m
		return
	}
	d := int16(seq - r.maxSeq)
	switch {
	case d > 0:
		if d > 1 {
			st.InLost += uint64(d - 1)
			st.InBursts++
			if d > 2 {
				st.InBurstLost += uint64(d - 1)
			}
		}
		// Forget the numbers the window now reuses.
		if int(d) >= seqWindow {
			clear(r.seen[:])
		} else {
			for x := r.maxSeq + 1; x != seq+1; x++ {
				w, m := r.bit(x)
				r.seen[w] &^= m
			}
		}
		r.maxSeq = seq
		w, m := r.bit(seq)
		r.seen[w] |= m
	case -int(d) >= seqWindow:
		st.InOutOfOrder++ // too old to tell; counted, not matched to a gap
	default:
		w, m := r.bit(seq)
		if r.seen[w]&m != 0 {
			st.InDuplicates++
			return
		}
		r.seen[w] |= m
		st.InOutOfOrder++
		if st.InLost > 0 {
			st.InLost-- // a late packet fills a gap counted earlier
		}
	}
}

// jitterUpdate folds one audio packet into the RFC 3550 estimate:
// J += (|D| - J) / 16, D the change in transit time (arrival minus RTP
// timestamp, both in samples) between consecutive packets.
func (r *recvState) jitterUpdate(st *Stats, rate int, ts uint32, now time.Time) {
	if rate == 0 {
		return
	}
	arrival := float64(now.UnixNano()) * float64(rate) / 1e9
	transit := arrival - float64(ts)
	if r.haveTransit {
		d := transit - r.transit
		if d < 0 {
			d = -d
		}
		r.jitter += (d - r.jitter) / 16
		st.Jitter = r.jitter * 1000 / float64(rate)
		r.samples++
		if r.samples == jitterSettle {
			st.JitterMin, st.JitterMax = st.Jitter, st.Jitter
		} else if r.samples > jitterSettle {
			st.JitterMin = min(st.JitterMin, st.Jitter)
			st.JitterMax = max(st.JitterMax, st.Jitter)
		}
	}
	r.transit, r.haveTransit = transit, true
}

// packetKind is what a received RTP packet carries.
type packetKind int

const (
	packetOther packetKind = iota // a payload type not negotiated
	packetAudio                   // the negotiated codec
	packetEvent                   // an RFC 4733 telephone-event
)

// count folds one received packet into the statistics and reports the
// negotiated codec and what the packet carries.
func (s *Session) count(h *rtp.Header, raw int, now time.Time) (codec Codec, kind packetKind) {
	s.mu.Lock()
	defer s.mu.Unlock()
	codec = s.codec
	st := &s.in
	st.InRawBytes += uint64(raw)
	switch {
	case h.PayloadType == s.teRecv || h.PayloadType == s.teSend:
		kind = packetEvent
		st.InPackets++
		st.InDTMFPackets++
	case h.PayloadType == codec.PayloadType:
		kind = packetAudio
		st.InPackets++
		st.InMediaPackets++
		st.InMediaBytes += uint64(raw)
		if st.FirstIn.IsZero() {
			st.FirstIn = now
		}
		st.LastIn = now
		s.rx.jitterUpdate(st, codec.ClockRate, h.Timestamp, now)
	default:
		st.InPackets++ // FreeSWITCH counts every RTP packet here
		st.InInvalid++
		return codec, packetOther
	}
	s.rx.sequence(st, h.SequenceNumber)
	return codec, kind
}
