package media

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// ErrClosed is returned by a Session's methods after Close.
var ErrClosed = errors.New("rtp session closed")

// ErrNotStarted is returned by the write methods before Start gave the
// session a remote address and codec.
var ErrNotStarted = errors.New("rtp session not started")

// Tap sees one received RTP packet. It runs on the session's receiver,
// which serves many sessions: it must not block, and payload is only valid during the call
// (copy it to keep it).
type Tap func(h *rtp.Header, payload []byte)

// Session is one call leg's RTP socket. Its methods are safe for concurrent
// use. The zero value is not usable: get one from Ports.Open.
type Session struct {
	ports *Ports
	port  int
	sock  *udpSocket
	local netip.AddrPort
	rcv   *receiver // reads the socket once started (receiver_linux.go)
	// handling is held while a received packet is handled, so Close
	// returns only after the last Tap, Sink or OnDTMF call; rxStopped,
	// under it, says Close has run and no packet is handled any more.
	handling  sync.Mutex
	rxStopped bool

	mu      sync.Mutex
	remote  netip.AddrPort
	codec   Codec
	started bool
	closed  bool
	ssrc    uint32
	seq     uint16
	ts      uint32
	in      Stats
	out     Stats
	rx      recvState // sequence and jitter tracking (stats.go)
	startAt time.Time // when Start first ran: the media's start

	// send side (send.go, source.go): what the scheduler reads, and the
	// numbering state it carries between packets
	src       Source
	play      *Play
	onWheel   bool      // on a scheduler slot
	newStream bool      // the next audio packet starts a new source: marker
	sending   bool      // the previous tick sent audio: no gap
	lastSend  time.Time // when the last audio packet left
	dtmf      dtmfSender
	teSend    uint8 // telephone-event payload type we send
	teRecv    uint8 // telephone-event payload type we accept
	// buffers owned by the scheduler's tick
	outq   []outPacket
	imp    impairState
	pcmOut []int16
	rawOut []byte

	writeAdj Adjust // uuid_audio write side, applied to every frame sent

	echo    atomic.Bool
	readAdj atomic.Pointer[Adjust]
	tap     atomic.Pointer[Tap]
	sinkMu  sync.Mutex // serialises AddSink's copy-on-write updates
	sinks   atomic.Pointer[[]*sinkEntry]
	onDTMF  atomic.Pointer[func(Digit)]
	// owned by whoever handles received packets (one at a time)
	pcmIn   []int16
	pcmEcho []int16
	ebuf    []byte
	echoImp impairState
	dtmfIn  dtmfReceiver
	digits  []Digit

	once sync.Once
}

func newSession(p *Ports, local netip.AddrPort, sock *udpSocket) *Session {
	s := &Session{
		ports:  p,
		port:   int(local.Port()),
		teSend: TelephoneEvent,
		teRecv: TelephoneEvent,
		sock:   sock,
		local:  local,
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	s.ssrc = binary.BigEndian.Uint32(b[0:4])
	s.seq = binary.BigEndian.Uint16(b[4:6])
	s.ts = uint32(binary.BigEndian.Uint16(b[6:8])) << 8
	return s
}

// LocalAddr is the bound address, the one to put in SDP.
func (s *Session) LocalAddr() netip.AddrPort { return s.local }

// Start sets where media goes and which codec it uses, and starts receiving.
// Calling it again (a 200 OK after a 183, or a re-INVITE) only updates the
// remote address and codec.
func (s *Session) Start(remote netip.AddrPort, codec Codec) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.remote = remote
	s.codec = codec
	if !s.started {
		if err := s.ports.recv.add(s); err != nil {
			return fmt.Errorf("receiving rtp on %s: %w", s.local, err)
		}
		s.started = true
		s.startAt = time.Now()
	}
	return nil
}

// Started reports whether Start was called.
func (s *Session) Started() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started
}

// Remote is the address media is sent to (from the peer's SDP).
func (s *Session) Remote() netip.AddrPort {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remote
}

// Codec is the negotiated codec.
func (s *Session) Codec() Codec {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.codec
}

// SetTap installs (or with nil removes) the function that sees every
// received packet.
func (s *Session) SetTap(t Tap) {
	if t == nil {
		s.tap.Store(nil)
		return
	}
	s.tap.Store(&t)
}

// Write sends one frame of the negotiated codec (160 bytes = 20 ms for
// G.711) as one RTP packet; the timestamp advances by len(frame) samples.
// It implements io.Writer so a player can copy encoded audio into it, but
// pacing (one frame per 20 ms) is the caller's job.
func (s *Session) Write(frame []byte) (int, error) {
	s.mu.Lock()
	pt := s.codec.PayloadType
	s.mu.Unlock()
	if err := s.WritePacket(pt, false, uint32(len(frame)), frame); err != nil {
		return 0, err
	}
	return len(frame), nil
}

// WritePacket sends one RTP packet with this session's SSRC and the next
// sequence number. The packet carries the current timestamp, which then
// advances by samples: RFC 2833 events send several packets with the same
// timestamp (samples 0) and advance it with the last one.
func (s *Session) WritePacket(payloadType uint8, marker bool, samples uint32, payload []byte) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if !s.started || !s.remote.IsValid() {
		s.mu.Unlock()
		return ErrNotStarted
	}
	h := rtp.Header{
		Version:        2,
		Marker:         marker,
		PayloadType:    payloadType,
		SequenceNumber: s.seq,
		Timestamp:      s.ts,
		SSRC:           s.ssrc,
	}
	s.seq++
	s.ts += samples
	remote := s.remote
	s.countOutLocked(payloadType, h.MarshalSize()+len(payload), len(payload))
	s.mu.Unlock()

	buf, err := marshal(nil, &h, payload)
	if err != nil {
		return err
	}
	if err := s.sock.writeTo(buf, remote); err != nil {
		return fmt.Errorf("sending rtp to %s: %w", remote, err)
	}
	return nil
}

// Close stops receiving, closes the socket and returns the port to the
// range. It is idempotent.
func (s *Session) Close() error {
	var err error
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		play, rc := s.play, s.rcv
		s.clearSourceLocked()
		s.mu.Unlock()
		if play != nil {
			play.finish(ErrClosed)
		}
		err = s.stopReceiving(rc)
		s.ports.release(s.port)
	})
	if err != nil {
		return fmt.Errorf("closing rtp socket %s: %w", s.local, err)
	}
	return nil
}

// handlePacket counts one received datagram and gives it to the tap, the
// sinks, the echo or the DTMF receiver. Packets of one session are handled
// one at a time (by its receiver), which owns pkt and data only during the
// call, so a Tap must copy.
func (s *Session) handlePacket(data []byte, pkt *rtp.Packet, now time.Time) {
	if err := pkt.Unmarshal(data); err != nil || pkt.Version != 2 {
		s.mu.Lock()
		s.in.InRawBytes += uint64(len(data))
		s.in.InInvalid++
		s.mu.Unlock()
		return
	}
	codec, kind := s.count(&pkt.Header, len(data), now)
	if t := s.tap.Load(); t != nil {
		(*t)(&pkt.Header, pkt.Payload)
	}
	switch kind {
	case packetAudio:
		s.adjustRead(codec, pkt.Payload)
		s.feedSinks(&pkt.Header, pkt.Payload, codec)
		if s.echo.Load() {
			s.reflect(pkt.Payload, now)
		}
	case packetEvent:
		s.receiveEvent(pkt.Timestamp, pkt.Payload)
	}
}
