package media

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
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

// Tap sees one received RTP packet. It runs on the session's receive
// goroutine: it must not block, and payload is only valid during the call
// (copy it to keep it).
type Tap func(h *rtp.Header, payload []byte)

// Session is one call leg's RTP socket. Its methods are safe for concurrent
// use. The zero value is not usable: get one from Ports.Open.
type Session struct {
	ports *Ports
	port  int
	conn  *net.UDPConn
	local netip.AddrPort

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
	wbuf   []byte

	writeAdj Adjust // uuid_audio write side, applied to every frame sent

	echo    atomic.Bool
	readAdj atomic.Pointer[Adjust]
	tap     atomic.Pointer[Tap]
	sinkMu  sync.Mutex // serialises AddSink's copy-on-write updates
	sinks   atomic.Pointer[[]*sinkEntry]
	onDTMF  atomic.Pointer[func(Digit)]
	// owned by the receive goroutine
	pcmIn   []int16
	pcmEcho []int16
	ebuf    []byte
	echoImp impairState
	dtmfIn  dtmfReceiver
	digits  []Digit

	done chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

func newSession(p *Ports, port int, conn *net.UDPConn) *Session {
	s := &Session{
		ports:  p,
		port:   port,
		teSend: TelephoneEvent,
		teRecv: TelephoneEvent,
		conn:   conn,
		local:  conn.LocalAddr().(*net.UDPAddr).AddrPort(),
		done:   make(chan struct{}),
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
		s.started = true
		s.startAt = time.Now()
		s.wg.Add(1)
		go s.receive()
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

	buf := make([]byte, h.MarshalSize()+len(payload))
	n, err := h.MarshalTo(buf)
	if err != nil {
		return fmt.Errorf("marshalling rtp header: %w", err)
	}
	copy(buf[n:], payload)
	if _, err := s.conn.WriteToUDPAddrPort(buf, remote); err != nil {
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
		play := s.play
		s.clearSourceLocked()
		s.mu.Unlock()
		if play != nil {
			play.finish(ErrClosed)
		}
		close(s.done)
		err = s.conn.Close()
		s.wg.Wait()
		s.ports.release(s.port)
	})
	if err != nil {
		return fmt.Errorf("closing rtp socket %s: %w", s.local, err)
	}
	return nil
}

// receive reads until Close. It owns the packet buffer, so a Tap must copy.
func (s *Session) receive() {
	defer s.wg.Done()
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	for {
		n, _, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			select {
			case <-s.done:
				return
			default:
			}
			// A transient error (an ICMP port unreachable for echoed packets
			// surfaces here on some systems): keep receiving.
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		now := time.Now()
		if err := pkt.Unmarshal(buf[:n]); err != nil || pkt.Version != 2 {
			s.mu.Lock()
			s.in.InRawBytes += uint64(n)
			s.in.InInvalid++
			s.mu.Unlock()
			continue
		}
		codec, kind := s.count(&pkt.Header, n, now)
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
}
