package esl

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callplan/callplan/internal/queue"
)

// State is the state of a Conn's link to its node.
type State int

// Connection states.
const (
	StateConnected State = iota + 1
	StateDisconnected
	StateClosed
)

func (s State) String() string {
	switch s {
	case StateConnected:
		return "connected"
	case StateDisconnected:
		return "disconnected"
	case StateClosed:
		return "closed"
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// StateChange is reported to the WithStateHandler function. On
// StateDisconnected every job in flight has failed with ErrDisconnected
// and the calls they were about are of unknown fate; on StateConnected
// after a reconnect the subscriptions and filters are in place again.
type StateChange struct {
	State   State
	Err     error // why the connection was lost (StateDisconnected, StateClosed)
	Attempt int   // reconnect attempts so far in this outage
}

// Heartbeat holds the figures of a node's latest HEARTBEAT (reference 3.6).
type Heartbeat struct {
	SessionCount      int           // legs up now
	MaxSessions       int           // the node's limit (fsctl max_sessions)
	SessionPerSec     int           // creation budget left in this second (not a rate)
	SessionPerSecLast int           // legs created in the last whole second
	IdleCPU           float64       // percent
	Uptime            time.Duration // from Uptime-msec
	Time              time.Time     // Event-Date-Timestamp
	Received          time.Time     // local clock when it arrived
}

// Conn is a client connection to one FreeSWITCH node (or callplan agent).
// It is safe for concurrent use: commands from any goroutine are written
// by one writer at a time and matched to replies strictly in order.
type Conn struct {
	addr     string
	password string
	opts     options

	router router

	mu      sync.Mutex
	sess    *session
	state   State
	events  map[string]bool // subscribed names, replayed after reconnect
	filters []Header        // filters in order, replayed after reconnect
	jobs    map[string]*Job

	// State changes wait here for the state handler's goroutine.
	stateQ queue.Queue[StateChange]

	hb       atomic.Pointer[Heartbeat]
	closing  chan struct{}
	closeErr error
	done     chan struct{}
	once     sync.Once

	// Counters for frames the client does not act on (log/data, xml, ...)
	// and events it could not decode; they never kill the connection.
	ignored     atomic.Int64
	badEvents   atomic.Int64
	eventsCount atomic.Int64
}

// Dial connects to addr, waits for auth/request and authenticates. The
// error says which way it failed: ErrRefused, ErrAuth (FreeSWITCH answers
// -ERR invalid then disconnects), ErrRejected (text/rude-rejection from
// apply-inbound-acl), ErrNotESL, or the context's error.
func Dial(ctx context.Context, addr, password string, opts ...Option) (*Conn, error) {
	o := options{
		format:       FormatPlain,
		dialTimeout:  10 * time.Second,
		writeTimeout: 10 * time.Second,
		maxBody:      DefaultMaxBody,
	}
	for _, opt := range opts {
		opt(&o)
	}
	if o.format != FormatPlain && o.format != FormatJSON {
		return nil, fmt.Errorf("event format %q: want plain or json", o.format)
	}
	c := &Conn{
		addr:     addr,
		password: password,
		opts:     o,
		events:   map[string]bool{},
		jobs:     map[string]*Job{},
		closing:  make(chan struct{}),
		done:     make(chan struct{}),
	}
	s, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	c.sess, c.state = s, StateConnected
	if o.onState != nil {
		go c.notifyLoop()
	}
	go c.supervise(s)
	return c, nil
}

// Addr is the node's address as given to Dial.
func (c *Conn) Addr() string { return c.addr }

// State is the current state of the link.
func (c *Conn) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Done is closed when the Conn has stopped for good (Close, or a lost
// connection without reconnect); Err then says why.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err is why the Conn stopped, nil while it runs.
func (c *Conn) Err() error {
	select {
	case <-c.done:
		return c.closeErr
	default:
		return nil
	}
}

// Close stops the Conn: the socket is closed, waiting commands and jobs
// fail with ErrClosed, and subscriptions end after their queued events.
// It waits for the Conn's goroutines to exit.
func (c *Conn) Close() error {
	c.once.Do(func() { close(c.closing) })
	<-c.done
	return nil
}

// Heartbeat returns the latest HEARTBEAT figures, if one has arrived.
func (c *Conn) Heartbeat() (Heartbeat, bool) {
	if hb := c.hb.Load(); hb != nil {
		return *hb, true
	}
	return Heartbeat{}, false
}

// Stats are counters about what the reader saw.
type Stats struct {
	Events        int64 // events decoded and routed
	BadEvents     int64 // event frames that did not decode (skipped)
	IgnoredFrames int64 // frames of other content types (log/data, xml...)
}

// Stats returns the reader's counters.
func (c *Conn) Stats() Stats {
	return Stats{Events: c.eventsCount.Load(), BadEvents: c.badEvents.Load(), IgnoredFrames: c.ignored.Load()}
}

// Events subscribes (client side) to events by name: event names such as
// "CHANNEL_ANSWER" (any case) or CUSTOM subclasses such as
// "mod_bert::in_sync"; no names means every event. Events matching several
// of the names arrive once, in order. It only routes what the node sends:
// ask the node with Subscribe too.
func (c *Conn) Events(names ...string) *Subscription {
	keys := make([]subKey, 0, len(names))
	for _, n := range names {
		if strings.Contains(n, "::") {
			keys = append(keys, subKey{subSubclass, n})
		} else {
			keys = append(keys, subKey{subName, upperASCII(n)})
		}
	}
	if len(keys) == 0 {
		keys = append(keys, subKey{subAll, ""})
	}
	s := newSubscription(c, keys...)
	c.router.add(s)
	return s
}

// ChannelEvents routes every event whose Unique-ID is uuid, in order.
// Register it before the command that creates the channel (an originate
// with origination_uuid) so no event is missed.
func (c *Conn) ChannelEvents(uuid string) *Subscription {
	s := newSubscription(c, subKey{subUniqueID, uuid})
	c.router.add(s)
	return s
}

// roundTrip sends cmd on the current session and waits for its reply.
func (c *Conn) roundTrip(ctx context.Context, cmd *Command) (*Frame, error) {
	c.mu.Lock()
	s := c.sess
	state := c.state
	c.mu.Unlock()
	if s == nil {
		if state == StateClosed {
			return nil, ErrClosed
		}
		return nil, fmt.Errorf("%s: not connected: %w", cmd.Line, ErrDisconnected)
	}
	return s.roundTrip(ctx, cmd, c.opts.writeTimeout)
}

// dispatch handles one event on the reader goroutine: job results,
// heartbeats, then routing. It never blocks.
func (c *Conn) dispatch(e *Event) {
	c.eventsCount.Add(1)
	switch e.Name() {
	case "BACKGROUND_JOB":
		if id := e.JobUUID(); id != "" {
			c.mu.Lock()
			j := c.jobs[id]
			delete(c.jobs, id)
			c.mu.Unlock()
			if j != nil {
				var err error
				if isErrorReply(e.Body) {
					err = &CommandError{Command: "bgapi " + j.Command, Reply: strings.TrimRight(e.Body, "\n")}
				}
				j.finish(e.Body, err)
			}
		}
	case "HEARTBEAT":
		c.hb.Store(parseHeartbeat(e))
	}
	c.router.route(e)
}

func parseHeartbeat(e *Event) *Heartbeat {
	atoi := func(name string) int {
		n, _ := strconv.Atoi(e.Get(name))
		return n
	}
	idle, _ := strconv.ParseFloat(e.Get("Idle-CPU"), 64)
	ms, _ := strconv.ParseInt(e.Get("Uptime-msec"), 10, 64)
	return &Heartbeat{
		SessionCount:      atoi("Session-Count"),
		MaxSessions:       atoi("Max-Sessions"),
		SessionPerSec:     atoi("Session-Per-Sec"),
		SessionPerSecLast: atoi("Session-Per-Sec-Last"),
		IdleCPU:           idle,
		Uptime:            time.Duration(ms) * time.Millisecond,
		Time:              e.Time(),
		Received:          time.Now(),
	}
}
