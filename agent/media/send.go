package media

import (
	"container/heap"
	"fmt"
	"net/netip"
	"time"

	"github.com/pion/rtp"
)

// outPacket is one packet a tick sends: an audio frame (payload, in the
// tick's buffer) or a telephone-event (its 4 bytes in buf).
type outPacket struct {
	h       rtp.Header
	payload []byte
	buf     [4]byte
	n       int
}

func (p *outPacket) body() []byte {
	if p.payload != nil {
		return p.payload
	}
	return p.buf[:p.n]
}

// tick makes the session's packets for one 20 ms interval, its source's
// frame or the DTMF packets that hold the audio back, and adds them to the
// slot's batch (or, when an impairment delays them, to the delay queue). Only the scheduler
// calls it, from one shard goroutine at a time (a session is on one slot),
// so it owns the session's send buffers. keep=false takes the session off
// the wheel: it has nothing more to send (no source, no digits, closed).
func (s *Session) tick(now time.Time, later *delayQueue, batch *sendBatch) (keep, sent bool) {
	s.mu.Lock()
	if !s.activeLocked() {
		s.onWheel, s.sending = false, false
		s.mu.Unlock()
		return false, false
	}
	src, play, codec := s.src, s.play, s.codec
	s.mu.Unlock()

	// Read outside the lock: a source may be slow to fill a frame, and
	// SetSource from an app must not wait for it. The frame is read even
	// when a digit holds the audio back, so a playback keeps its time.
	var payload []byte
	ok := true
	if src != nil {
		payload, ok = s.readFrame(src, codec)
	}

	s.mu.Lock()
	var ended *Play
	switch {
	case src != nil && s.src != src:
		// Replaced while reading; the new source goes out next tick.
		payload = nil
	case src != nil && !ok:
		s.clearSourceLocked()
		s.sending = false
		ended, payload = play, nil
	}
	out, busy := s.dtmfTickLocked(s.outq[:0], now)
	if busy {
		payload = nil
	}
	if payload != nil && s.started && s.remote.IsValid() {
		if !s.writeAdj.identity() {
			s.pcmOut = s.writeAdj.apply(codec, payload, s.pcmOut)
		}
		h := s.audioHeaderLocked(codec, now)
		s.countOutLocked(h.PayloadType, h.MarshalSize()+len(payload), len(payload))
		out = append(out, outPacket{h: h, payload: payload})
	} else if payload == nil && !busy {
		s.sending = false
	}
	if !s.started || !s.remote.IsValid() {
		out = out[:0] // nowhere to send yet: read and dropped
	}
	remote := s.remote
	keep = s.activeLocked()
	s.onWheel = keep
	// Once off the wheel the session may be put back on another shard at
	// once (a digit sent, a new source), whose tick reuses outq: keep the
	// buffer only while this shard still owns the session, and decide it
	// under the lock (a data race seen in clean-clone CI otherwise).
	if keep {
		s.outq = out
	} else {
		s.outq = nil
	}
	s.mu.Unlock()

	if ended != nil {
		ended.finish(nil)
	}
	im := s.ports.impair.Load()
	for i := range out {
		if im != nil {
			drop, d := s.imp.fate(im)
			if drop {
				continue
			}
			if d > 0 {
				buf, err := marshal(nil, &out[i].h, out[i].body())
				if err == nil {
					heap.Push(later, delayed{at: now.Add(d), s: s, buf: buf, remote: remote})
				}
				continue
			}
		}
		// Sent with the slot's other packets (sendBatch.flush).
		_ = batch.add(s.sock, remote, &out[i].h, out[i].body())
	}
	return keep, len(out) > 0
}

// readFrame gets one frame from src as the codec's payload, in the tick's
// buffers. A RawSource is asked first: filled means the payload is the
// frame as it goes on the wire (the BERT pattern); not filled but ok means
// "not for this codec", so its Read gives audio; !ok means it ended.
func (s *Session) readFrame(src Source, codec Codec) ([]byte, bool) {
	if cap(s.rawOut) < FrameSamples {
		s.rawOut = make([]byte, FrameSamples)
		s.pcmOut = make([]int16, FrameSamples)
	}
	if rs, isRaw := src.(RawSource); isRaw {
		payload := s.rawOut[:FrameSamples]
		filled, ok := rs.ReadRaw(codec, payload)
		if !ok {
			return nil, false
		}
		if filled {
			return payload, true
		}
	}
	pcm := s.pcmOut[:FrameSamples]
	clear(pcm)
	if !src.Read(pcm) {
		return nil, false
	}
	return codec.Encode(s.rawOut[:0], pcm), true
}

// audioHeaderLocked numbers the next audio packet. Timestamps follow the
// clock as FreeSWITCH's soft timer does: a stream that stopped and starts
// again (a new playback after a pause, ../shared/fixtures/rtp/tone-stream.pcap)
// jumps its timestamp by the time it was silent and sets the marker bit, as
// does the first packet of every new source. s.mu is held.
func (s *Session) audioHeaderLocked(codec Codec, now time.Time) rtp.Header {
	marker := s.newStream || !s.sending
	if !s.sending && !s.lastSend.IsZero() {
		if gap := (now.Sub(s.lastSend) + frameInterval/2) / frameInterval; gap > 1 {
			s.ts += uint32(gap-1) * FrameSamples
		}
	}
	h := rtp.Header{
		Version:        2,
		Marker:         marker,
		PayloadType:    codec.PayloadType,
		SequenceNumber: s.seq,
		Timestamp:      s.ts,
		SSRC:           s.ssrc,
	}
	s.seq++
	s.ts += FrameSamples
	s.newStream, s.sending = false, true
	s.lastSend = now
	return h
}

// countOutLocked counts one sent packet of raw bytes with a payload of
// payload bytes. s.mu is held.
// FreeSWITCH's rtp_audio_out_packet_count leaves telephone-events out
// (fixture 07: 75 DTMF packets sent, packet count 0, raw bytes 75 x 16).
func (s *Session) countOutLocked(pt uint8, raw, payload int) {
	s.out.OutRawBytes += uint64(raw)
	switch pt {
	case s.codec.PayloadType:
		s.out.OutPackets++
		s.out.OutMediaPackets++
		s.out.OutMediaBytes += uint64(raw) // the whole packet, as FreeSWITCH counts
	case s.teSend:
		s.out.OutDTMFPackets++
	default:
		s.out.OutPackets++
	}
}

// sendBuf marshals one packet into *b (the caller goroutine's buffer) and
// writes it.
func (s *Session) sendBuf(b *[]byte, h *rtp.Header, payload []byte, remote netip.AddrPort) error {
	buf, err := marshal(*b, h, payload)
	if err != nil {
		return err
	}
	*b = buf
	if err := s.sock.writeTo(buf, remote); err != nil {
		return fmt.Errorf("sending rtp to %s: %w", remote, err)
	}
	return nil
}

// marshal writes one packet into b's storage (grown when too small) and
// returns it.
func marshal(b []byte, h *rtp.Header, payload []byte) ([]byte, error) {
	n := h.MarshalSize() + len(payload)
	if cap(b) < n {
		b = make([]byte, n)
	}
	b = b[:n]
	hn, err := h.MarshalTo(b)
	if err != nil {
		return nil, fmt.Errorf("marshalling rtp header: %w", err)
	}
	copy(b[hn:], payload)
	return b, nil
}
