package sip

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callplan/callplan/agent/media"
	"github.com/callplan/callplan/internal/hangup"
	"github.com/emiago/sipgo"
	sipmsg "github.com/emiago/sipgo/sip"
)

// Config configures one profile.
type Config struct {
	// Name is the profile name used in dial strings (sofia/<name>/...), e.g.
	// "external".
	Name string
	// Addr is host:port to listen on, UDP and TCP on the same port. Port 0
	// picks a free port (tests); Addr() tells which.
	Addr string
	// MediaIP is the address RTP sockets bind to and SDP advertises. Empty
	// means Addr's host, or 127.0.0.1 when that is unspecified (0.0.0.0).
	MediaIP string
	// Media hands out RTP ports. Required.
	Media *media.Ports
	// Codecs is the preference list for inbound calls and the default offer
	// for outbound ones (FreeSWITCH's inbound/outbound-codec-prefs). Empty
	// means PCMU, PCMA.
	Codecs []string
	// UserAgent is the User-Agent header value. Empty means "callplan-agent".
	UserAgent string
	// OnInvite receives every new inbound call, already answered with
	// 100 Trying. It runs on the goroutine that read the INVITE, so it must
	// return quickly (register the call, then drive it from elsewhere). Nil
	// means every INVITE is refused with 480 (NORMAL_CLEARING's code).
	OnInvite func(*Inbound)
	// Logger gets protocol errors and oddities; nil discards them.
	Logger *slog.Logger
}

// dialogKey finds a call from a request inside its dialog: Call-ID plus our
// own tag. Both legs of a loop call share a Call-ID in one profile; the tag
// tells them apart.
type dialogKey struct{ callID, tag string }

// Profile is one SIP listener with its calls, like a sofia profile.
type Profile struct {
	cfg     Config
	log     *slog.Logger
	host    string
	port    int
	ip      netip.Addr
	mediaIP netip.Addr
	codecs  []media.Codec
	ua      *sipgo.UserAgent
	srv     *sipgo.Server
	cli     *sipgo.Client
	udp     *net.UDPConn
	tcp     net.Listener

	// ctx ends at Close; background work (BYE/CANCEL transactions, probes,
	// outbound pumps) watches it, and bg counts it.
	ctx    context.Context
	cancel context.CancelFunc
	// probeCtx ends first in Close: probes are only useful to live calls.
	probeCtx    context.Context
	probeCancel context.CancelFunc
	// cancelWait bounds how long a cancelled INVITE waits for its final
	// response: 64*T1 (tests shorten it).
	cancelWait time.Duration
	bg         sync.WaitGroup
	serve      sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	dialogs  map[dialogKey]*call
	inbound  map[*call]*Inbound
	outbound map[*call]*Outbound
	alive    map[netip.AddrPort]time.Time // destinations that answered lately: no probe needed

	// faultMode is an injected fault (gate.go); nil is normal service.
	faultMode atomic.Pointer[Fault]
}

// Start binds the profile's UDP and TCP listeners and starts serving. The
// context only bounds start-up; stop the profile with Close.
func Start(ctx context.Context, cfg Config) (*Profile, error) {
	if cfg.Media == nil {
		return nil, errors.New("starting sip profile: Config.Media is required")
	}
	if cfg.Name == "" {
		cfg.Name = "external"
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "callplan-agent"
	}
	if len(cfg.Codecs) == 0 {
		cfg.Codecs = []string{"PCMU", "PCMA"}
	}
	codecs, err := parseCodecs(cfg.Codecs)
	if err != nil {
		return nil, fmt.Errorf("starting sip profile %s: %w", cfg.Name, err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	log = log.With("profile", cfg.Name)

	udp, tcp, err := listenPair(ctx, cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("starting sip profile %s: %w", cfg.Name, err)
	}
	// Bursts of thousands of requests a second overflow the default socket
	// buffer (about 200 kB) while the reader is busy parsing; a drop costs a
	// 500 ms retransmission, or, when SIPp takes a retransmitted 200 for the
	// answer to its BYE, a call left up until Timer H. The kernel caps the
	// request at net.core.rmem_max.
	if err := udp.SetReadBuffer(udpBuffer); err != nil {
		log.Debug("enlarging udp receive buffer", "error", err)
	}
	if err := udp.SetWriteBuffer(udpBuffer); err != nil {
		log.Debug("enlarging udp send buffer", "error", err)
	}
	la := udp.LocalAddr().(*net.UDPAddr).AddrPort()
	ip := la.Addr().Unmap()
	mediaIP := ip
	if ip.IsUnspecified() {
		mediaIP = netip.MustParseAddr("127.0.0.1")
	}
	if cfg.MediaIP != "" {
		if mediaIP, err = netip.ParseAddr(cfg.MediaIP); err != nil {
			udp.Close()
			tcp.Close()
			return nil, fmt.Errorf("starting sip profile %s: media ip: %w", cfg.Name, err)
		}
	}
	host := mediaIP.String() // the address we put in Via, Contact and From

	p := &Profile{
		cfg:      cfg,
		log:      log,
		host:     host,
		port:     int(la.Port()),
		ip:       ip,
		mediaIP:  mediaIP,
		codecs:   codecs,
		udp:      udp,
		tcp:      tcp,
		dialogs:  map[dialogKey]*call{},
		inbound:  map[*call]*Inbound{},
		outbound: map[*call]*Outbound{},
		alive:    map[netip.AddrPort]time.Time{},
		// 64*T1 as RFC 3261 9.1 says.
		cancelWait: 64 * sipmsg.T1,
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.probeCtx, p.probeCancel = context.WithCancel(p.ctx)

	p.ua, err = sipgo.NewUA(
		sipgo.WithUserAgent(cfg.UserAgent),
		sipgo.WithUserAgentHostname(host),
		sipgo.WithUserAgentTransactionLayerOptions(
			sipmsg.WithTransactionLayerLogger(log),
			sipmsg.WithTransactionLayerUnhandledResponseHandler(p.onStrayResponse),
		),
		sipgo.WithUserAgentTransportLayerOptions(sipmsg.WithTransportLayerLogger(log)),
	)
	if err != nil {
		udp.Close()
		tcp.Close()
		return nil, fmt.Errorf("starting sip profile %s: %w", cfg.Name, err)
	}
	p.srv, err = sipgo.NewServer(p.ua, sipgo.WithServerLogger(log))
	if err == nil {
		p.cli, err = sipgo.NewClient(p.ua, sipgo.WithClientLogger(log),
			sipgo.WithClientHostname(host), sipgo.WithClientPort(p.port))
	}
	if err != nil {
		p.ua.Close()
		udp.Close()
		tcp.Close()
		return nil, fmt.Errorf("starting sip profile %s: %w", cfg.Name, err)
	}
	p.ua.TransportLayer().OnMessage(p.onWire)
	p.srv.OnInvite(p.onInvite)
	p.srv.OnAck(p.onAck)
	p.srv.OnBye(p.onBye)
	p.srv.OnCancel(p.onCancel)
	p.srv.OnOptions(p.onOptions)

	p.serve.Add(2)
	go func() {
		defer p.serve.Done()
		if err := p.srv.ServeUDP(newQueuedConn(udp)); err != nil && !errors.Is(err, net.ErrClosed) {
			p.log.Debug("udp listener stopped", "error", err)
		}
	}()
	go func() {
		defer p.serve.Done()
		if err := p.srv.ServeTCP(tcp); !errors.Is(err, net.ErrClosed) {
			p.log.Debug("tcp listener stopped", "error", err)
		}
	}()
	// Requests leave from the UDP listener, which sipgo only knows once its
	// serve loop registered it; dialling before that would try to bind the
	// port a second time.
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		if _, err := p.ua.TransportLayer().GetConnection("udp", la.String()); err == nil {
			return p, nil
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			_ = p.Close(context.Background())
			return nil, fmt.Errorf("starting sip profile %s: %w", cfg.Name, ctx.Err())
		}
	}
}

// listenPair binds UDP and TCP on the same port. With port 0 the UDP port
// is chosen first and TCP tries to follow; a taken TCP port means another
// try.
func listenPair(ctx context.Context, addr string) (*net.UDPConn, net.Listener, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen address %q: %w", addr, err)
	}
	var lc net.ListenConfig
	tries := 1
	if port == 0 {
		tries = 20
	}
	for range tries {
		pc, err := lc.ListenPacket(ctx, "udp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return nil, nil, fmt.Errorf("listening udp %s: %w", addr, err)
		}
		udp := pc.(*net.UDPConn)
		got := udp.LocalAddr().(*net.UDPAddr).Port
		tcp, err := lc.Listen(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(got)))
		if err == nil {
			return udp, tcp, nil
		}
		udp.Close()
		if port != 0 {
			return nil, nil, fmt.Errorf("listening tcp %s: %w", addr, err)
		}
	}
	return nil, nil, fmt.Errorf("listening on %s: no port free for both udp and tcp", addr)
}

// Name is the profile's name.
func (p *Profile) Name() string { return p.cfg.Name }

// Addr is the bound host:port (the same for UDP and TCP).
func (p *Profile) Addr() string {
	return net.JoinHostPort(p.ip.String(), strconv.Itoa(p.port))
}

// URL is the profile's SIP URL as `sofia status` shows it,
// "sip:mod_sofia@127.0.0.1:5080".
func (p *Profile) URL() string {
	return "sip:mod_sofia@" + net.JoinHostPort(p.host, strconv.Itoa(p.port))
}

// Calls counts the live calls of each direction.
func (p *Profile) Calls() (inbound, outbound int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.inbound), len(p.outbound)
}

// Close hangs up every live call with SYSTEM_SHUTDOWN (BYE, CANCEL or 503),
// waits up to ctx for those transactions, then closes the listeners. It is
// idempotent.
func (p *Profile) Close(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.probeCancel()
	var ins []*Inbound
	var outs []*Outbound
	for _, in := range p.inbound {
		ins = append(ins, in)
	}
	for _, out := range p.outbound {
		outs = append(outs, out)
	}
	p.mu.Unlock()
	for _, in := range ins {
		_ = in.Hangup(hangup.SystemShutdown)
	}
	for _, out := range outs {
		_ = out.Hangup(hangup.SystemShutdown)
	}
	waited := make(chan struct{})
	go func() {
		p.bg.Wait()
		close(waited)
	}()
	select {
	case <-waited:
	case <-ctx.Done():
		// Give up on the peers: cancelling p.ctx ends every background
		// transaction wait, so bg drains promptly.
	}
	p.cancel()
	<-waited
	err := p.ua.Close()
	p.udp.Close()
	p.tcp.Close()
	p.serve.Wait()
	if err != nil {
		return fmt.Errorf("closing sip profile %s: %w", p.cfg.Name, err)
	}
	return nil
}

func (p *Profile) register(c *call, in *Inbound, out *Outbound) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	p.dialogs[c.key()] = c
	if in != nil {
		p.inbound[c] = in
	}
	if out != nil {
		p.outbound[c] = out
	}
	return nil
}

func (p *Profile) forget(c *call) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dialogs[c.key()] == c {
		delete(p.dialogs, c.key())
	}
	delete(p.inbound, c)
	delete(p.outbound, c)
}

func (p *Profile) lookup(callID, tag string) *call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dialogs[dialogKey{callID: callID, tag: tag}]
}

// inboundOf and outboundOf find the call of dialog (callID, our tag) and
// its inbound or outbound side in one look; nil when the dialog is unknown
// or is the other side.
func (p *Profile) inboundOf(callID, tag string) *Inbound {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inbound[p.dialogs[dialogKey{callID: callID, tag: tag}]]
}

func (p *Profile) outboundOf(callID, tag string) *Outbound {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.outbound[p.dialogs[dialogKey{callID: callID, tag: tag}]]
}

// prepare fills what every request we originate needs: User-Agent, and for
// UDP the listener as the source socket, so the peer sees (and answers to)
// the profile's port as FreeSWITCH's peers do.
func (p *Profile) prepare(req *sipmsg.Request) {
	req.AppendHeader(sipmsg.NewHeader("User-Agent", p.cfg.UserAgent))
	if req.Transport() == "UDP" {
		req.Laddr = sipmsg.Addr{IP: net.IP(p.ip.AsSlice()), Port: p.port}
	}
}

// request sends a non-INVITE request (BYE, CANCEL) and drains its
// transaction in the background: sipgo's transaction blocks delivering
// responses until someone reads them.
func (p *Profile) request(req *sipmsg.Request, opts ...sipgo.ClientRequestOption) {
	p.prepare(req)
	if req.ContentLength() == nil {
		req.SetBody(nil)
	}
	ctx, cancel := context.WithTimeout(p.ctx, sipmsg.Timer_F)
	tx, err := p.cli.TransactionRequest(ctx, req, opts...)
	if err != nil {
		cancel()
		p.log.Debug("sending request failed", "method", req.Method, "call_id", headerValue(req, "Call-ID"), "error", err)
		return
	}
	p.bg.Add(1)
	go func() {
		defer p.bg.Done()
		defer cancel()
		defer tx.Terminate()
		for {
			select {
			case res := <-tx.Responses():
				if res.IsProvisional() {
					continue
				}
				return
			case <-tx.Done():
				return
			case <-ctx.Done():
				return
			}
		}
	}()
}

// onOptions answers keep-alive pings (SIPp, Kamailio dispatcher) with 200.
func (p *Profile) onOptions(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	if !p.gateOptions() {
		return
	}
	res := sipmsg.NewResponseFromRequest(req, 200, "OK", nil)
	res.AppendHeader(sipmsg.NewHeader("Allow", allowHeader))
	if err := tx.Respond(res); err != nil {
		p.log.Debug("answering OPTIONS", "error", err)
	}
}

// onCancel sees only CANCELs that matched no INVITE transaction (the others
// are handled by the transaction layer and Inbound's OnCancel hook).
func (p *Profile) onCancel(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	res := sipmsg.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil)
	if err := tx.Respond(res); err != nil {
		p.log.Debug("answering stray CANCEL", "error", err)
	}
}

// onAck completes an inbound answer (the ACK to our 200). ACKs to error
// responses never get here: the INVITE transaction absorbs them.
func (p *Profile) onAck(req *sipmsg.Request, _ sipmsg.ServerTransaction) {
	tag, _ := req.To().Params.Get("tag")
	if in := p.inboundOf(req.CallID().Value(), tag); in != nil {
		in.acked(req.Body())
	}
}

// onBye ends a dialog from the far side. The cause comes from a Q.850
// Reason header, else NORMAL_CLEARING (esl-reference 5.5).
func (p *Profile) onBye(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	tag, _ := req.To().Params.Get("tag")
	c := p.lookup(req.CallID().Value(), tag)
	if c == nil {
		if err := tx.Respond(sipmsg.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil)); err != nil {
			p.log.Debug("answering stray BYE", "error", err)
		}
		return
	}
	if err := tx.Respond(sipmsg.NewResponseFromRequest(req, 200, "OK", nil)); err != nil {
		p.log.Debug("answering BYE", "error", err)
	}
	reason := headerValue(req, "Reason")
	cause, ok := hangup.ParseReason(reason)
	if !ok {
		cause = hangup.NormalClearing
	}
	c.finish(End{Cause: cause, Disposition: DispRecvBye, TermStatus: 200, Reason: reason, Headers: xHeaders(req)})
}

// onWire sees every message on the goroutine that read it, in arrival
// order, right after sipgo's transaction layer dispatched it (on a new
// goroutine). It handles provisional responses to our INVITEs here so that
// their events keep wire order (see Outbound.onProvisional). It must not
// block.
func (p *Profile) onWire(msg sipmsg.Message) {
	res, ok := msg.(*sipmsg.Response)
	if !ok || !res.IsProvisional() {
		return
	}
	cseq, from, cid := res.CSeq(), res.From(), res.CallID()
	if cseq == nil || cseq.MethodName != sipmsg.INVITE || from == nil || cid == nil {
		return
	}
	tag, _ := from.Params.Get("tag")
	if out := p.outboundOf(cid.Value(), tag); out != nil {
		out.onProvisional(res)
	}
}

// onStrayResponse sees responses that match no live transaction. A 200 to
// an INVITE whose transaction is gone still needs an ACK (and, for a call
// we no longer want, a BYE) or the peer retransmits for 32 s.
func (p *Profile) onStrayResponse(res *sipmsg.Response) {
	cseq := res.CSeq()
	if cseq == nil || cseq.MethodName != sipmsg.INVITE || !res.IsSuccess() {
		return
	}
	tag, _ := res.From().Params.Get("tag")
	if out := p.outboundOf(res.CallID().Value(), tag); out != nil {
		out.reAck()
	}
}

// udpBuffer is the socket buffer size asked for the SIP UDP listener.
const udpBuffer = 8 << 20

const allowHeader = "INVITE, ACK, BYE, CANCEL, OPTIONS"

// randomID returns a number for SDP o= lines.
func randomID() uint64 { return rand.Uint64() >> 1 }
