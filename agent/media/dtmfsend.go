package media

import (
	"time"

	"github.com/pion/rtp"
)

// RFC 4733 sending as FreeSWITCH's switch_rtp.c do_2833 does it, checked
// packet by packet against testdata/rtp/dtmf-rfc2833.pcap:
//   - a digit's packets all carry its start timestamp; the first has the
//     marker bit and duration 160;
//   - do_2833 runs twice per 20 ms (from the read and the write path), so
//     two packets leave per tick, the duration growing by 160 each;
//   - once the duration reaches the digit's length the end bit is set and
//     that packet goes three times (a 250 ms digit ends at 2080, 200 ms at
//     1600, 100 ms at 800);
//   - 400 ms of nothing follow before the next digit; 'w'/'W' wait 500 ms
//     / 1 s more;
//   - the next digit starts at the previous start + final duration + 160;
//   - audio is held back while a digit plays and the next audio packet
//     carries the marker (need_mark).
const (
	dtmfVolume         = 13 // FreeSWITCH's volume field (captured)
	dtmfStepsPerTick   = 2
	dtmfEndRepeats     = 3
	interDigitTicks    = 20 // 400 ms
	shortPauseTicks    = 25 // 'w', 500 ms
	longPauseTicks     = 50 // 'W', 1 s
	maxEventDurationTS = 0xFFFF
)

// dtmfSender is a session's RFC 4733 state, guarded by the session's mu.
type dtmfSender struct {
	queue     []Digit
	cur       bool   // a digit is being sent
	code      uint8  // its event
	dur       uint32 // its length in samples
	sofar     uint32 // samples covered so far
	sub       uint32 // the duration field (wraps past 0xFFFF for long digits)
	startTS   uint32 // the timestamp all its packets carry
	holdTicks int    // ticks to wait before the next digit
}

// SendDTMF queues digits (from ParseDTMF) to go out as RFC 4733 events on
// the telephone-event payload type, paced by the scheduler; it returns at
// once. Digits the codec map cannot name are skipped.
func (s *Session) SendDTMF(digits []Digit) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.dtmf.queue = append(s.dtmf.queue, digits...)
	add := s.activeLocked() && !s.onWheel
	if add {
		s.onWheel = true
	}
	s.mu.Unlock()
	if add {
		s.ports.sched.add(s)
	}
	return nil
}

// SetTelephoneEvent sets the payload types of RFC 4733 events: send is the
// one the peer's SDP gave (FreeSWITCH's rtp_2833_send_payload), recv the
// one our SDP offered (rtp_2833_recv_payload). Both default to 101.
func (s *Session) SetTelephoneEvent(send, recv uint8) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.teSend, s.teRecv = send, recv
}

func (d *dtmfSender) active() bool { return d.cur || len(d.queue) > 0 || d.holdTicks > 0 }

// dtmfTickLocked runs one tick of the sender and appends the packets it
// sends to out. busy reports that audio must be held back this tick.
// s.mu is held.
func (s *Session) dtmfTickLocked(out []outPacket, now time.Time) (_ []outPacket, busy bool) {
	d := &s.dtmf
	if d.holdTicks > 0 {
		d.holdTicks--
	}
	for range dtmfStepsPerTick {
		switch {
		case d.cur:
			busy = true
			d.sofar += FrameSamples
			d.sub += FrameSamples
			if d.sub > maxEventDurationTS {
				d.sub = FrameSamples
				d.startTS += maxEventDurationTS
			}
			end := d.sofar >= d.dur
			n := 1
			if end {
				n = dtmfEndRepeats
			}
			for range n {
				out = s.appendEventLocked(out, false, end)
			}
			if end {
				d.cur = false
				d.holdTicks = interDigitTicks
				s.ts = d.startTS + d.sub + FrameSamples
				s.newStream, s.sending = true, false
				s.lastSend = now // the digit's time is in s.ts already
				return out, true
			}
		case len(d.queue) > 0 && d.holdTicks == 0:
			next := d.queue[0]
			d.queue = d.queue[1:]
			switch next.Digit {
			case 'w':
				d.holdTicks = shortPauseTicks
				s.ts += shortPauseTicks * FrameSamples
				continue
			case 'W':
				d.holdTicks = longPauseTicks
				s.ts += longPauseTicks * FrameSamples
				continue
			}
			code, ok := EventCode(next.Digit)
			if !ok {
				continue
			}
			busy = true
			*d = dtmfSender{queue: d.queue, cur: true, code: code, dur: max(next.Duration, FrameSamples),
				sofar: FrameSamples, sub: FrameSamples, startTS: s.ts}
			out = s.appendEventLocked(out, true, false)
		}
	}
	return out, busy
}

// appendEventLocked numbers one telephone-event packet of the current
// digit. s.mu is held.
func (s *Session) appendEventLocked(out []outPacket, marker, end bool) []outPacket {
	d := &s.dtmf
	p := outPacket{h: rtp.Header{
		Version:        2,
		Marker:         marker,
		PayloadType:    s.teSend,
		SequenceNumber: s.seq,
		Timestamp:      d.startTS,
		SSRC:           s.ssrc,
	}}
	s.seq++
	ev := TelephoneEventPayload{Event: d.code, End: end, Volume: dtmfVolume, Duration: uint16(d.sub)}
	p.n = len(ev.Marshal(p.buf[:0]))
	s.countOutLocked(p.h.PayloadType, p.h.MarshalSize()+p.n, p.n)
	return append(out, p)
}
