package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callplan/callplan/agent/media"
	"github.com/callplan/callplan/internal/hangup"
	"github.com/callplan/callplan/internal/workers"
	"github.com/google/uuid"
)

// Defaults, as FreeSWITCH's where it has one.
const (
	DefaultESLAddr     = "127.0.0.1:8021"
	DefaultSIPAddr     = "127.0.0.1:5080"
	DefaultPassword    = "ClueCon"
	DefaultHeartbeat   = 20 * time.Second
	DefaultMaxSessions = 1000
	DefaultSPS         = 30
	// DefaultEventQueue is FreeSWITCH's per-connection event queue length (2.9).
	DefaultEventQueue = 100000
	// defaultOriginateTimeout is originate's default (4.1).
	defaultOriginateTimeout = 60 * time.Second
)

// Sentinel errors.
var (
	// ErrNoPassword: the ESL address is not loopback and no password was given.
	ErrNoPassword = errors.New("an ESL password is required when not listening on loopback")
	errNoChannel  = errors.New("no such channel")
)

// Config configures an Agent. Zero values take the defaults.
type Config struct {
	// ESLAddr is the Event Socket listen address (port 0 picks a free port).
	ESLAddr string
	// ESLListener, when set, is where ESL clients come from instead of a
	// TCP listener on ESLAddr (which then only decides whether a password
	// is needed): `callplan run` hands its embedded agent an in-process
	// listener (internal/memconn), so the runner's ESL needs no socket.
	// The agent closes it when it stops.
	ESLListener net.Listener
	// Password for `auth`. Empty means ClueCon, allowed only on loopback.
	Password string
	// SIPAddr is the external profile's listen address (UDP and TCP).
	SIPAddr string
	// RTPPortMin and RTPPortMax bound the RTP ports (0 = signalling's default).
	RTPPortMin, RTPPortMax int
	// Impair damages the RTP the agent sends (loss, bursts, delay, jitter),
	// so tests can prove quality figures see damage; zero sends it intact.
	Impair media.Impairment
	// MaxSessions and SPS are FreeSWITCH's max_sessions and sps limits.
	MaxSessions int
	SPS         int
	// Heartbeat is the HEARTBEAT interval.
	Heartbeat time.Duration
	// EventQueue is the per-connection event queue length.
	EventQueue int
	// EventClockStep stamps events from a clock that moves in steps of
	// this size, as FreeSWITCH's does without 1ms-timer (20 ms by
	// default); 0 stamps with the time now (clockstep.go).
	EventClockStep time.Duration
	// Capacity makes the agent report its idle CPU as if each channel took
	// 1/Capacity of the machine (capacity.go); 0 reports the host's.
	Capacity int
	// Hostname is FreeSWITCH-Hostname (default: os.Hostname).
	Hostname string
	// Logger receives the agent's logs (default: discard).
	Logger *slog.Logger

	// signalling replaces the SIP stack (tests).
	signalling signalling
}

// Agent is one embedded FreeSWITCH-compatible node.
type Agent struct {
	cfg     Config
	log     *slog.Logger
	id      identity
	hub     *hub
	sig     signalling
	started time.Time

	mu       sync.Mutex
	channels map[string]*channel
	stats    sessionStats

	rtpPorts *media.Ports // the RTP range and send scheduler (nil on fake signalling)

	ln net.Listener
	// sipAddr is the profile's bound address, known once sip.Start returns;
	// INVITEs may already be arriving then, hence atomic.
	sipAddr atomic.Pointer[string]
	closeFn []func()
	wg      sync.WaitGroup
	cancel  context.CancelFunc
	ctx     context.Context
	stopped chan struct{}
	once    sync.Once

	conns   sync.Map // *eslConn -> struct{}
	dropped dropCounter
	jobs    sync.WaitGroup
	cpu     *cpuSampler

	callsIn, failedIn, callsOut, failedOut atomic.Uint64

	files audioFiles // decoded audio files, shared by playbacks (app_media.go)

	varNames varNames      // "variable_<name>" header names, shared by channels
	work     *workers.Pool // runs channel goroutines and bgapi jobs on kept goroutines (internal/workers)
}

// maxIdleWorkers bounds the goroutines kept waiting for the next leg or
// job: a few hundred calls in flight turn over that many a second, and an
// idle one costs its stack (2-16 kB), shrunk by the collector over time.
const maxIdleWorkers = 1024

// New validates cfg and builds an agent; Start makes it listen.
func New(cfg Config) (*Agent, error) {
	if cfg.ESLAddr == "" {
		cfg.ESLAddr = DefaultESLAddr
	}
	if cfg.SIPAddr == "" {
		cfg.SIPAddr = DefaultSIPAddr
	}
	if cfg.Password == "" {
		host, _, err := net.SplitHostPort(cfg.ESLAddr)
		if err != nil {
			return nil, fmt.Errorf("esl address %q: %w", cfg.ESLAddr, err)
		}
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, ErrNoPassword
		}
		cfg.Password = DefaultPassword
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	if cfg.SPS <= 0 {
		cfg.SPS = DefaultSPS
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	if cfg.EventQueue <= 0 {
		cfg.EventQueue = DefaultEventQueue
	}
	if cfg.RTPPortMin < 0 || cfg.RTPPortMax < cfg.RTPPortMin || cfg.RTPPortMax > 65535 {
		return nil, fmt.Errorf("rtp port range %d-%d is not valid", cfg.RTPPortMin, cfg.RTPPortMax)
	}
	if err := cfg.Impair.Validate(); err != nil {
		return nil, fmt.Errorf("rtp impairment: %w", err)
	}
	if cfg.Hostname == "" {
		h, err := os.Hostname()
		if err != nil {
			h = "callplan-agent"
		}
		cfg.Hostname = h
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	a := &Agent{
		cfg:      cfg,
		log:      cfg.Logger,
		channels: make(map[string]*channel),
		stopped:  make(chan struct{}),
		work:     workers.New(maxIdleWorkers),
	}
	a.id = identity{
		coreUUID:   uuid.NewString(),
		hostname:   cfg.Hostname,
		switchname: cfg.Hostname,
		ipv4:       hostIPv4(),
		ipv6:       hostIPv6(),
		step:       cfg.EventClockStep,
	}
	a.hub = newHub(&a.id)
	a.cpu = newCPUSampler()
	a.stats.init(cfg.MaxSessions, cfg.SPS)
	a.sig = cfg.signalling
	return a, nil
}

// Start listens for ESL clients and SIP, and starts the heartbeat. The
// agent runs until ctx is cancelled or Close is called.
func (a *Agent) Start(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	a.ctx, a.cancel = ctx, cancel
	a.started = time.Now()
	if a.sig == nil {
		sig, addr, closeFn, err := a.startSIP(ctx)
		if err != nil {
			cancel()
			return fmt.Errorf("starting sip: %w", err)
		}
		a.sig = sig
		a.sipAddr.Store(&addr)
		a.closeFn = append(a.closeFn, closeFn)
	}
	ln, err := a.cfg.ESLListener, error(nil)
	if ln == nil {
		ln, err = net.Listen("tcp", a.cfg.ESLAddr)
	}
	if err != nil {
		cancel()
		for _, f := range a.closeFn {
			f()
		}
		return fmt.Errorf("listening for esl on %s: %w", a.cfg.ESLAddr, err)
	}
	a.ln = ln
	a.wg.Add(3)
	go func() { defer a.wg.Done(); a.acceptLoop(ln) }()
	go func() { defer a.wg.Done(); a.housekeeping(ctx) }()
	go func() {
		defer a.wg.Done()
		<-ctx.Done()
		a.shutdown()
	}()
	a.log.Info("agent started", "esl", ln.Addr().String(), "sip", a.SIPAddr())
	return nil
}

// Addr is the ESL listen address.
func (a *Agent) Addr() string {
	if a.ln == nil {
		return ""
	}
	return a.ln.Addr().String()
}

// SIPAddr is the external profile's SIP address.
func (a *Agent) SIPAddr() string {
	if p := a.sipAddr.Load(); p != nil {
		return *p
	}
	return ""
}

// Close hangs up every call, disconnects ESL clients and stops the agent.
// It waits for the agent's goroutines.
func (a *Agent) Close() error {
	if a.cancel != nil {
		a.cancel()
	}
	a.wg.Wait()
	return nil
}

// Done is closed when the agent has stopped.
func (a *Agent) Done() <-chan struct{} { return a.stopped }

// shutdown hangs up all calls (cleanly: BYE/CANCEL), waits a little for
// them to end, then closes ESL clients and SIP.
func (a *Agent) shutdown() {
	a.once.Do(func() {
		chans := a.allChannels()
		h := hangupInfo{cause: hangup.NormalClearing, sendSignal: true}
		for _, c := range chans {
			c.markPending(h)
		}
		for _, c := range chans {
			c.postHangup(h)
		}
		deadline := time.After(5 * time.Second)
		for _, c := range chans {
			select {
			case <-c.done:
			case <-deadline:
			}
		}
		if a.ln != nil {
			_ = a.ln.Close()
		}
		a.conns.Range(func(k, _ any) bool {
			k.(*eslConn).shutdown()
			return true
		})
		a.jobs.Wait()
		for _, f := range a.closeFn {
			f()
		}
		a.work.Close()
		close(a.stopped)
	})
}

// sofiaCounters are sofia status's CALLS-IN, FAILED-CALLS-IN, CALLS-OUT
// and FAILED-CALLS-OUT.
func (a *Agent) sofiaCounters() (in, failedIn, out, failedOut uint64) {
	return a.callsIn.Load(), a.failedIn.Load(), a.callsOut.Load(), a.failedOut.Load()
}

func (a *Agent) newUUID() string { return uuid.NewString() }

func (a *Agent) channel(id string) *channel {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.channels[id]
}

func (a *Agent) allChannels() []*channel {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]*channel, 0, len(a.channels))
	for _, c := range a.channels {
		out = append(out, c)
	}
	return out
}

// addChannel registers a new leg if the limits allow it (max_sessions and
// sps, counted per leg as FreeSWITCH does).
func (a *Agent) addChannel(c *channel) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, dup := a.channels[c.uuid]; dup {
		return errDuplicate
	}
	if err := a.stats.admit(len(a.channels)); err != nil {
		return err
	}
	a.stats.sessionID++
	c.sessID = a.stats.sessionID
	a.channels[c.uuid] = c
	a.stats.created(len(a.channels))
	return nil
}

var errDuplicate = errors.New("duplicate uuid")

func (a *Agent) removeChannel(c *channel) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.channels[c.uuid] == c {
		delete(a.channels, c.uuid)
	}
	failed := c.answered.IsZero()
	switch {
	case c.outbound:
		a.callsOut.Add(1)
		if failed {
			a.failedOut.Add(1)
		}
	default:
		a.callsIn.Add(1)
		if failed {
			a.failedIn.Add(1)
		}
	}
}

// hostIPv4 is the host's own first non-loopback IPv4 address, as
// FreeSWITCH reports it (not the bound one).
func hostIPv4() string {
	addrs, err := net.InterfaceAddrs()
	if err == nil {
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && ipn.IP.To4() != nil {
				return ipn.IP.String()
			}
		}
	}
	return "127.0.0.1"
}

func hostIPv6() string {
	addrs, err := net.InterfaceAddrs()
	if err == nil {
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && ipn.IP.To4() == nil && !ipn.IP.IsLinkLocalUnicast() {
				return ipn.IP.String()
			}
		}
	}
	return "::1"
}
