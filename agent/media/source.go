package media

import "github.com/pion/rtp"

// SetSource makes src what the session sends from the next scheduler tick
// on: one 20 ms frame per tick, encoded with the negotiated codec (or taken
// unchanged from a RawSource when it fills the codec's payload), until Read
// returns false. It replaces, and ends with ErrStopped, whatever was set
// before; nil sends nothing (a parked leg). The first packet of a new source
// carries the RTP marker bit, as FreeSWITCH's first packet of a stream does.
//
// Frames read before Start gave the session a remote address are read and
// dropped, so a playback keeps its pace on a leg without media yet. It
// returns the Play that tells the app when src is over; nil for a nil src,
// and a Play already over (ErrClosed) on a closed session.
func (s *Session) SetSource(src Source) *Play {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		if src == nil {
			return nil
		}
		p := newPlay(s, src)
		p.finish(ErrClosed)
		return p
	}
	old := s.play
	s.clearSourceLocked()
	var p *Play
	if src != nil {
		p = newPlay(s, src)
		s.src, s.play = src, p
		s.newStream = true
	}
	add := s.activeLocked() && !s.onWheel
	if add {
		s.onWheel = true
	}
	s.mu.Unlock()
	if old != nil {
		old.finish(ErrStopped)
	}
	if add {
		s.ports.sched.add(s)
	}
	return p
}

// Source is the source set now, nil when the session sends nothing. A mixer
// (uuid_displace) wraps it and sets the result.
func (s *Session) Source() Source {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.src
}

// clearSourceLocked forgets the current source; the caller finishes its
// Play after releasing s.mu. s.mu is held.
func (s *Session) clearSourceLocked() {
	s.src, s.play = nil, nil
}

// activeLocked reports whether the session has something to send on the
// next tick. s.mu is held.
func (s *Session) activeLocked() bool {
	return !s.closed && (s.src != nil || s.dtmf.active())
}

// AddSink makes k see every audio frame the session receives from now on
// and returns the function that removes it again (safe to call more than
// once). Sinks run on the session's receiver in the order they were added.
func (s *Session) AddSink(k Sink) (remove func()) {
	e := &sinkEntry{k: k}
	s.sinkMu.Lock()
	next := append(append([]*sinkEntry(nil), s.loadSinks()...), e)
	s.sinks.Store(&next)
	s.sinkMu.Unlock()
	return func() {
		s.sinkMu.Lock()
		defer s.sinkMu.Unlock()
		cur := s.loadSinks()
		next := make([]*sinkEntry, 0, len(cur))
		for _, x := range cur {
			if x != e {
				next = append(next, x)
			}
		}
		s.sinks.Store(&next)
	}
}

// sinkEntry gives each AddSink its own identity, so the same Sink added
// twice is removed once per remove call.
type sinkEntry struct{ k Sink }

func (s *Session) loadSinks() []*sinkEntry {
	if p := s.sinks.Load(); p != nil {
		return *p
	}
	return nil
}

// feedSinks decodes one received audio payload and hands it to every sink;
// it runs on the session's receiver, which owns s.pcmIn.
func (s *Session) feedSinks(h *rtp.Header, payload []byte, codec Codec) {
	sinks := s.loadSinks()
	if len(sinks) == 0 {
		return
	}
	s.pcmIn = codec.Decode(s.pcmIn[:0], payload)
	for _, e := range sinks {
		e.k.Write(h, s.pcmIn)
	}
}
