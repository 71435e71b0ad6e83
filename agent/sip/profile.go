package sip

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
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
	bg         background
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

	udp, rawTCP, err := listenPair(ctx, cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("starting sip profile %s: %w", cfg.Name, err)
	}
	tcp := closeConnsOnClose(rawTCP)
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
