package media

import "time"

// Adjust is what uuid_audio does to one direction of a leg's audio
// (mod_commands session_audio_function, switch_ivr_session_audio): mute
// replaces every frame by silence, Level scales it by FreeSWITCH's
// switch_change_sln_volume steps. Packets keep flowing either way, so a
// muted BERT stream loses sync on the far end (fixture 06: uuid_audio
// <uuid> start write mute -4).
type Adjust struct {
	Mute  bool
	Level int // -4..4, 0 = unchanged
}

// switch_change_sln_volume's factors for levels 1..4 and -1..-4.
var (
	levelUp   = [4]float64{1.3, 2.3, 3.3, 4.3}
	levelDown = [4]float64{0.80, 0.60, 0.40, 0.20}
)

func (a Adjust) identity() bool { return !a.Mute && a.Level == 0 }

// apply changes one encoded frame in place; pcm is scratch space.
func (a Adjust) apply(c Codec, payload []byte, pcm []int16) []int16 {
	switch {
	case a.Mute:
		silence := c.Silence()
		for i := range payload {
			payload[i] = silence
		}
	case a.Level != 0:
		lvl := min(max(a.Level, -4), 4)
		f := levelUp[max(lvl, 1)-1]
		if lvl < 0 {
			f = levelDown[-lvl-1]
		}
		pcm = c.Decode(pcm[:0], payload)
		for i, v := range pcm {
			pcm[i] = int16(min(max(float64(v)*f, -32768), 32767))
		}
		c.Encode(payload[:0], pcm)
	}
	return pcm
}

// SetWriteAdjust changes what the session sends from the next packet on
// (uuid_audio ... start write). The zero Adjust undoes it (stop).
func (s *Session) SetWriteAdjust(a Adjust) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writeAdj = a
}

// SetReadAdjust changes what the session's sinks and echo see of the
// received audio (uuid_audio ... start read); statistics still count the
// packets as they arrived.
func (s *Session) SetReadAdjust(a Adjust) {
	if a.identity() {
		s.readAdj.Store(nil)
		return
	}
	s.readAdj.Store(&a)
}

// SetEcho turns the echo app on or off: every received audio frame goes
// straight back to the peer with this session's SSRC, sequence and
// timestamps, as FreeSWITCH's echo writes each frame it reads
// (testdata/rtp/park-then-echo.pcap: the echo follows the received
// packets, its own first packet marked). A source, or digits being sent,
// take precedence over the echo.
func (s *Session) SetEcho(on bool) { s.echo.Store(on) }

// reflect sends one received audio payload back (echo). It runs where
// received packets are handled, which owns payload, s.pcmEcho and s.ebuf.
func (s *Session) reflect(payload []byte, now time.Time) {
	s.mu.Lock()
	if s.closed || s.src != nil || s.dtmf.active() || !s.started || !s.remote.IsValid() {
		s.mu.Unlock()
		return
	}
	codec := s.codec
	if !s.writeAdj.identity() {
		s.pcmEcho = s.writeAdj.apply(codec, payload, s.pcmEcho)
	}
	// Reflected packets follow arrivals, not ticks: a pause in what
	// arrives is a gap in what is sent.
	if now.Sub(s.lastSend) > 2*frameInterval {
		s.sending = false
	}
	h := s.audioHeaderLocked(codec, now)
	s.countOutLocked(h.PayloadType, h.MarshalSize()+len(payload), len(payload))
	remote := s.remote
	s.mu.Unlock()
	if im := s.ports.impair.Load(); im != nil {
		drop, d := s.echoImp.fate(im)
		if drop {
			return
		}
		if d > 0 {
			// Echo follows arrivals, off the scheduler: a timer per
			// delayed packet, only while an impairment asks for delay.
			if buf, err := marshal(nil, &h, payload); err == nil {
				time.AfterFunc(d, func() { _ = s.sock.writeTo(buf, remote) })
			}
			return
		}
	}
	_ = s.sendBuf(&s.ebuf, &h, payload, remote)
}

// adjustRead applies uuid_audio's read side to a received audio payload
// (the session's receiver).
func (s *Session) adjustRead(codec Codec, payload []byte) {
	if a := s.readAdj.Load(); a != nil {
		s.pcmIn = a.apply(codec, payload, s.pcmIn)
	}
}

// Adjusts returns the current read and write adjustments.
func (s *Session) Adjusts() (read, write Adjust) {
	if a := s.readAdj.Load(); a != nil {
		read = *a
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return read, s.writeAdj
}
