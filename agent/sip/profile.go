package sip

import (
	"context"
	"log/slog"
	"sync"

	"github.com/callplan/callplan/agent/media"
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
	cfg Config
	log *slog.Logger

	mu     sync.Mutex
	closed bool
}

// Start binds the profile's UDP and TCP listeners and starts serving. The
// context only bounds start-up; stop the profile with Close.
func Start(ctx context.Context, cfg Config) (*Profile, error) {
	return nil, errNotImplemented
}

// Name is the profile's name.
func (p *Profile) Name() string { return p.cfg.Name }

// Addr is the bound host:port (the same for UDP and TCP).
func (p *Profile) Addr() string { return "" }

// URL is the profile's SIP URL as `sofia status` shows it,
// "sip:mod_sofia@127.0.0.1:5080".
func (p *Profile) URL() string { return "" }

// Calls counts the live calls of each direction.
func (p *Profile) Calls() (inbound, outbound int) { return 0, 0 }

// Close hangs up every live call with SYSTEM_SHUTDOWN (BYE, CANCEL or 503),
// waits up to ctx for those transactions, then closes the listeners. It is
// idempotent.
func (p *Profile) Close(ctx context.Context) error { return errNotImplemented }
