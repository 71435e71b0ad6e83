package media

// dtmfReceiver turns received RFC 4733 packets into digits as FreeSWITCH's
// handle_rfc2833 (switch_rtp.c) does: one event per start timestamp,
// reported when its first end packet arrives, with that packet's duration
// (fixture 07: DTMF-Duration 2080 for a 250 ms digit); the repeated end
// packets are ignored. A new event that starts before the previous one
// ended (its end packets lost) reports the previous one with the last
// duration seen, so a lossy path loses no digit. Owned by the session's
// receiver.
type dtmfReceiver struct {
	have  bool
	ts    uint32
	code  uint8
	dur   uint16
	ended bool
}

// packet folds one event packet in and appends the digits it completes.
func (r *dtmfReceiver) packet(out []Digit, ts uint32, ev TelephoneEventPayload) []Digit {
	if r.have && ts == r.ts && ev.Event == r.code {
		if r.ended {
			return out // an end repeat
		}
		r.dur = max(r.dur, ev.Duration)
		if ev.End {
			r.ended = true
			out = r.emit(out)
		}
		return out
	}
	if r.have && !r.ended {
		out = r.emit(out)
	}
	*r = dtmfReceiver{have: true, ts: ts, code: ev.Event, dur: ev.Duration, ended: ev.End}
	if ev.End {
		out = r.emit(out)
	}
	return out
}

func (r *dtmfReceiver) emit(out []Digit) []Digit {
	if d, ok := EventDigit(r.code); ok {
		out = append(out, Digit{Digit: d, Duration: uint32(r.dur)})
	}
	return out
}

// OnDTMF sets the function that gets every digit received as RFC 4733
// events (nil: none). It runs on the session's receiver, which serves many sessions: it must not block.
func (s *Session) OnDTMF(f func(Digit)) {
	if f == nil {
		s.onDTMF.Store(nil)
		return
	}
	s.onDTMF.Store(&f)
}

// receiveEvent decodes one telephone-event payload and reports the digits
// it completes. It runs on the session's receiver.
func (s *Session) receiveEvent(ts uint32, payload []byte) {
	ev, err := ParseTelephoneEvent(payload)
	if err != nil {
		return
	}
	s.digits = s.dtmfIn.packet(s.digits[:0], ts, ev)
	if len(s.digits) == 0 {
		return
	}
	if f := s.onDTMF.Load(); f != nil {
		for _, d := range s.digits {
			(*f)(d)
		}
	}
}
