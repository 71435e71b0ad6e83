package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callplan/callplan/agent/media"
	"github.com/callplan/callplan/agent/sip"
	"github.com/callplan/callplan/internal/hangup"
	sipmsg "github.com/emiago/sipgo/sip"
)

// This file adapts agent/sip (one sofia-like profile) and agent/media to the
// channel model's signalling interfaces.

// answerAckWait bounds how long uuid_answer waits for the ACK of its 200;
// past it the leg stays answered (the SIP layer keeps retransmitting).
const answerAckWait = 2 * time.Second

// startSIP starts the external profile with its RTP port range.
func (a *Agent) startSIP(ctx context.Context) (signalling, string, func(), error) {
	lo, hi := a.cfg.RTPPortMin, a.cfg.RTPPortMax
	if lo == 0 && hi == 0 {
		var err error
		if lo, hi, err = media.ParsePortRange(media.DefaultPortRange); err != nil {
			return nil, "", nil, err
		}
	}
	ports, err := media.NewPorts(lo, hi)
	if err != nil {
		return nil, "", nil, err
	}
	if err := ports.SetImpairment(a.cfg.Impair); err != nil {
		return nil, "", nil, fmt.Errorf("rtp impairment: %w", err)
	}
	a.rtpPorts = ports
	// sipgo logs through its own package-wide logger (harmless warnings
	// such as "TCP ref went negative" would reach stderr); point it at the
	// first agent's logger, which discards unless the caller gave one.
	sipgoLoggerOnce.Do(func() { sipmsg.SetDefaultLogger(a.log) })
	cfg := sip.Config{
		Name:  "external",
		Addr:  a.cfg.SIPAddr,
		Media: ports,
		OnInvite: func(in *sip.Inbound) {
			a.handleInvite(&inboundLeg{in: in, a: a})
		},
		Logger: a.log,
	}
	prof, err := sip.Start(ctx, cfg)
	if err != nil {
		return nil, "", nil, err
	}
	// A fault's start opens the profile again on the address it got.
	cfg.Addr = prof.Addr()
	s := &sipSignalling{cfg: cfg}
	s.prof.Store(prof)
	closeFn := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.stop(ctx); err != nil {
			a.log.Debug("closing sip profile", "err", err)
		}
	}
	return s, prof.Addr(), closeFn, nil
}

var sipgoLoggerOnce sync.Once

type sipSignalling struct {
	// prof is nil while a fault has the profile stopped (faults.go).
	prof  atomic.Pointer[sip.Profile]
	cfg   sip.Config // to start the profile again on its address
	mu    sync.Mutex // serialises stop, start and fault changes
	fault sip.Fault
}

func (s *sipSignalling) Dial(ctx context.Context, req dialRequest, ev legEvents) (sipLeg, error) {
	target := req.User + "@" + req.Host
	if req.Transport == "tcp" {
		target += ";transport=tcp"
	}
	proxy := ""
	if req.Proxy != "" {
		proxy = "sip:" + req.Proxy
		if req.Transport == "tcp" {
			proxy += ";transport=tcp"
		}
	}
	offer := sip.Offer{Target: target, Proxy: proxy, FromUser: req.CallerIDNumber,
		FromName: req.CallerIDName, Codecs: req.Codecs}
	for _, h := range req.Headers {
		offer.Headers = append(offer.Headers, sip.Header{Name: h.Name, Value: h.Value})
	}
	prof := s.prof.Load()
	if prof == nil {
		return nil, errProfileStopped
	}
	out, err := prof.Dial(ctx, offer)
	if err != nil {
		var de *sip.DialError
		if errors.As(err, &de) {
			return nil, &dialError{cause: de.Cause, err: err}
		}
		return nil, err
	}
	leg := &outboundLeg{out: out, req: req}
	bindDTMF(out.Media(), ev)
	go pumpEvents(out.Events(), ev, true)
	return leg, nil
}

// pumpEvents forwards a call's events to the channel; it ends when the SIP
// layer closes the events channel after the hangup.
func pumpEvents(events <-chan sip.Event, ev legEvents, outbound bool) {
	for e := range events {
		switch e.Kind {
		case sip.EventRinging:
			if outbound {
				ev.Ringing()
			}
		case sip.EventEarlyMedia:
			if outbound {
				ev.EarlyMedia()
			}
		case sip.EventAnswered:
			if outbound {
				ev.Answered()
			}
		case sip.EventHangup:
			if e.End != nil {
				ev.Ended(legEnd{Cause: e.End.Cause, Disposition: e.End.Disposition,
					TermStatus: e.End.TermStatus, FailStatus: e.End.FailureStatus,
					FailPhrase: e.End.FailurePhrase, Reason: e.End.Reason})
			}
		}
	}
}

func mediaOf(s *media.Session, codec media.Codec) mediaInfo {
	if s == nil {
		return mediaInfo{}
	}
	local := s.LocalAddr()
	m := mediaInfo{LocalIP: local.Addr().String(), LocalPort: int(local.Port()),
		Codec: codec.Name, PT: int(codec.PayloadType)}
	if r := s.Remote(); r.IsValid() {
		m.RemoteIP, m.RemotePort = r.Addr().String(), int(r.Port())
	}
	m.Stats = s.Stats()
	return m
}

type outboundLeg struct {
	out *sip.Outbound
	req dialRequest
}

func (l *outboundLeg) Ring() error      { return errors.New("not an inbound leg") }
func (l *outboundLeg) PreAnswer() error { return errors.New("not an inbound leg") }
func (l *outboundLeg) Answer() error    { return errors.New("not an inbound leg") }
func (l *outboundLeg) Reject(int, string, hangup.Cause) error {
	return errors.New("not an inbound leg")
}
func (l *outboundLeg) Hangup(cause hangup.Cause) error { return l.out.Hangup(cause) }
func (l *outboundLeg) Media() mediaInfo                { return mediaOf(l.out.Media(), l.out.Codec()) }
func (l *outboundLeg) StartEcho() error                { return startEcho(l.out.Media()) }
func (l *outboundLeg) Info() legInfo {
	host, port := splitHostPortLoose(l.req.Host)
	return legInfo{CallID: l.out.CallID(), ToUser: l.req.User, ToHost: host, ReqUser: l.req.User,
		ReqHost: host, ReqPort: port, NetworkIP: host, NetPort: port, Transport: l.req.Transport}
}

// dtmfReceiver is implemented by the channel: digits the peer sends.
type dtmfReceiver interface {
	ReceivedDTMF(d media.Digit)
}

// bindDTMF hands the digits s receives to the channel. Binding twice is
// harmless (the same function is stored again).
func bindDTMF(s *media.Session, ev legEvents) {
	if r, ok := ev.(dtmfReceiver); ok && s != nil {
		s.OnDTMF(r.ReceivedDTMF)
	}
}

func startEcho(s *media.Session) error {
	if s == nil {
		return errors.New("no media session")
	}
	s.SetEcho(true)
	return nil
}

type inboundLeg struct {
	in *sip.Inbound
	a  *Agent
	ev legEvents // set by Bind, before any answer
}

func (l *inboundLeg) Bind(ev legEvents) {
	// No session yet: PreAnswer or Answer opens it and binds DTMF. (Asking
	// the call for it here would wait on a call an INVITE fault holds.)
	l.ev = ev
	go pumpEvents(l.in.Events(), ev, false)
}
func (l *inboundLeg) Ring() error { return l.in.Ringing() }
func (l *inboundLeg) PreAnswer() error {
	err := l.in.PreAnswer()
	bindDTMF(l.in.Media(), l.ev)
	return err
}
func (l *inboundLeg) Answer() error {
	ctx, cancel := context.WithTimeout(l.a.ctx, answerAckWait)
	defer cancel()
	err := l.in.Answer(ctx)
	bindDTMF(l.in.Media(), l.ev)
	if errors.Is(err, context.DeadlineExceeded) {
		// No ACK yet: the leg is answered all the same.
		return nil
	}
	return err
}
func (l *inboundLeg) Reject(code int, phrase string, cause hangup.Cause) error {
	return l.in.Reject(code, phrase, cause)
}
func (l *inboundLeg) Hangup(cause hangup.Cause) error { return l.in.Hangup(cause) }
func (l *inboundLeg) Media() mediaInfo {
	m := mediaOf(l.in.Media(), l.in.Codec())
	m.RemoteSDP = l.in.RemoteSDP()
	return m
}
func (l *inboundLeg) StartEcho() error { return startEcho(l.in.Media()) }

func (l *inboundLeg) Info() legInfo {
	host, port := splitHostPortLoose(l.in.RemoteAddr())
	localHost, localPort := splitHostPortLoose(l.a.sipAddrOrDefault())
	info := legInfo{CallID: l.in.CallID(), FromUser: l.in.FromUser(), FromHost: host,
		ToUser: l.in.ToUser(), ToHost: localHost, ReqUser: l.in.RequestUser(), ReqHost: localHost,
		ReqPort: localPort, NetworkIP: host, NetPort: port, Transport: l.in.Transport()}
	for _, h := range l.in.Headers() {
		info.Headers = append(info.Headers, header{h.Name, h.Value})
	}
	return info
}

// splitHostPortLoose splits host:port, accepting a bare host.
func splitHostPortLoose(s string) (host, port string) {
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		return s, ""
	}
	return h, p
}
