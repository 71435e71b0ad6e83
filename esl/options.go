package esl

import (
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
	dialer       net.Dialer
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
