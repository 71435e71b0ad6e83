package esl

import (
	"context"
	"net"
	"time"
)

type options struct {
	format       EventFormat
	dialTimeout  time.Duration
	writeTimeout time.Duration
	reconnect    bool
	backoffMin   time.Duration
	backoffMax   time.Duration
	onState      func(StateChange)
	hbTimeout    time.Duration
	maxBody      int
	keep         func(name string) bool
	dialer       net.Dialer
	dial         func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Option configures Dial.
type Option func(*options)

// WithEventFormat sets the format Subscribe asks for (default plain; both
// decode to the same Event).
func WithEventFormat(f EventFormat) Option { return func(o *options) { o.format = f } }

// WithDialTimeout bounds connect plus authentication when the context has
// no deadline (default 10 s).
func WithDialTimeout(d time.Duration) Option { return func(o *options) { o.dialTimeout = d } }

// WithWriteTimeout bounds one command write when the context has no
// deadline (default 10 s), so a stalled peer cannot block a writer forever.
func WithWriteTimeout(d time.Duration) Option { return func(o *options) { o.writeTimeout = d } }

// WithReconnect makes a lost connection reconnect with exponential backoff
// between min and max (with jitter), re-authenticate, re-subscribe and
// re-add filters.
func WithReconnect(min, max time.Duration) Option {
	return func(o *options) { o.reconnect, o.backoffMin, o.backoffMax = true, min, max }
}

// WithStateHandler is called, in order, on every state change, from a
// goroutine of the Conn's own (never the reader), which ends after
// StateClosed. The handler may call the Conn, Close included.
func WithStateHandler(fn func(StateChange)) Option { return func(o *options) { o.onState = fn } }

// WithHeartbeatTimeout drops the connection (and reconnects, if enabled)
// when no frame arrived for d after the first HEARTBEAT was seen: a node
// that stopped heartbeating is dead even if TCP says otherwise. Subscribe
// to HEARTBEAT for it to apply.
func WithHeartbeatTimeout(d time.Duration) Option { return func(o *options) { o.hbTimeout = d } }

// WithMaxBody bounds a frame body (default DefaultMaxBody).
func WithMaxBody(n int) Option { return func(o *options) { o.maxBody = n } }

// WithEventHeaders decodes plain events with only the headers keep
// accepts, as well as those the Conn reads itself (Event-Name,
// Event-Subclass, Unique-ID, Job-UUID, Event-Date-Timestamp and a
// HEARTBEAT's figures); every other header is skipped before it is copied
// or decoded, so Get, Var and Headers do not see it. For a reader that
// needs a few of the ~150 headers of a channel event (FreeSWITCH sends
// every variable and has no way to send fewer). keep is called on the
// reader goroutine with the exact header name, which points into the read
// buffer: it must not retain it and must be fast. JSON events are decoded
// whole.
func WithEventHeaders(keep func(name string) bool) Option {
	return func(o *options) { o.keep = keep }
}

// WithDialer makes the Conn reach its node through dial instead of a TCP
// connection to the address (every reconnect too); the ESL that flows over
// it is the same. For a node in the same process, such as the embedded
// agent of `callplan run` on an in-memory connection (internal/memconn):
// no socket, so no system call per read or write. An error wrapping
// syscall.ECONNREFUSED is reported as ErrRefused, as over TCP.
func WithDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) Option {
	return func(o *options) { o.dial = dial }
}
