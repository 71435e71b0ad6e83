package esl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/callplan/callplan/internal/queue"
	"github.com/google/uuid"
)

// Client errors; test with errors.Is. Dial's errors say why a node could
// not be used: nothing listening, a wrong password, an ACL refusal, or a
// peer that does not speak ESL.
var (
	ErrRefused  = errors.New("esl connection refused")
	ErrAuth     = errors.New("esl authentication failed")
	ErrRejected = errors.New("esl connection rejected by acl")
	ErrNotESL   = errors.New("peer does not speak esl")
	// ErrClosed is returned after Close, and by a closed Subscription.
	ErrClosed = errors.New("esl connection closed")
	// ErrDisconnected means the connection was lost: the command may or
	// may not have run, a job's result will not come.
	ErrDisconnected = errors.New("esl connection lost")
	// ErrProtocol means FreeSWITCH sent a reply nobody asked for; the
	// connection is dropped because replies can no longer be matched.
	ErrProtocol = errors.New("esl protocol error")
)

// CommandError is a command FreeSWITCH refused: a command/reply whose
// Reply-Text is not +OK, or an api/bgapi result starting with -ERR or
// -USAGE (texts differ by command: "-ERR No such channel!", "-ERROR",
// "-USAGE: ...").
type CommandError struct {
	Command string // the command line, e.g. "api uuid_kill <uuid>"
	Reply   string // FreeSWITCH's text, trailing newline removed
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("%s: %s", e.Command, e.Reply)
}

// Cause is the reply without its "-ERR " prefix: the hangup cause for a
// failed originate (NO_ANSWER, USER_BUSY, ...).
func (e *CommandError) Cause() string {
	r := e.Reply
	for _, p := range []string{"-ERR ", "-USAGE: ", "-ERR", "-USAGE"} {
		if strings.HasPrefix(r, p) {
			return strings.TrimSpace(r[len(p):])
		}
	}
	return r
}

// isErrorReply reports whether an api/bgapi body or Reply-Text is a
// failure.
func isErrorReply(s string) bool {
	return strings.HasPrefix(s, "-ERR") || strings.HasPrefix(s, "-USAGE")
}

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

// API runs "api <cmd>" and returns its output. An output starting with
// -ERR or -USAGE is returned with a *CommandError.
func (c *Conn) API(ctx context.Context, cmd string) (string, error) {
	line := "api " + cmd
	f, err := c.roundTrip(ctx, &Command{Line: line})
	if err != nil {
		return "", err
	}
	body := string(f.Body)
	if f.ContentType() != ContentAPIResponse {
		// FreeSWITCH answers api before auth with a command/reply.
		if r := f.ReplyText(); isErrorReply(r) {
			return "", &CommandError{Command: line, Reply: r}
		}
	}
	if isErrorReply(body) {
		return body, &CommandError{Command: line, Reply: strings.TrimRight(body, "\n")}
	}
	return body, nil
}

// Send writes any command and returns its reply frame. A command/reply
// whose Reply-Text is not +OK is returned with a *CommandError.
func (c *Conn) Send(ctx context.Context, cmd Command) (*Frame, error) {
	f, err := c.roundTrip(ctx, &cmd)
	if err != nil {
		return nil, err
	}
	if f.ContentType() == ContentCommandReply {
		if r := f.ReplyText(); !strings.HasPrefix(r, "+OK") {
			return f, &CommandError{Command: cmd.Line, Reply: r}
		}
	}
	return f, nil
}

// SendMsg sends "sendmsg <uuid>" with the given headers (call-command,
// execute-app-name, ...) and optional body.
func (c *Conn) SendMsg(ctx context.Context, uuid string, msg Headers, body []byte) error {
	_, err := c.Send(ctx, Command{Line: "sendmsg " + uuid, Headers: msg, Body: body})
	return err
}

// Execute runs app with arg on channel uuid (sendmsg call-command
// execute). With lock, further messages wait until this app returns
// (event-lock), instead of running nested inside it.
func (c *Conn) Execute(ctx context.Context, uuid, app, arg string, lock bool) error {
	h := Headers{{"call-command", "execute"}, {"execute-app-name", app}}
	if arg != "" {
		h = append(h, Header{"execute-app-arg", arg})
	}
	if lock {
		h = append(h, Header{"event-lock", "true"})
	}
	return c.SendMsg(ctx, uuid, h, nil)
}

// Hangup hangs channel uuid up with cause (sendmsg call-command hangup);
// an empty cause is NORMAL_CLEARING.
func (c *Conn) Hangup(ctx context.Context, uuid, cause string) error {
	h := Headers{{"call-command", "hangup"}}
	if cause != "" {
		h = append(h, Header{"hangup-cause", cause})
	}
	return c.SendMsg(ctx, uuid, h, nil)
}

// Subscribe asks the node for events ("event <format> <names>"). Event
// names and CUSTOM subclasses may be mixed: subclasses (names with "::")
// are sent after CUSTOM, as FreeSWITCH requires. Subscriptions add up and
// are replayed after a reconnect.
func (c *Conn) Subscribe(ctx context.Context, names ...string) error {
	line, err := eventLine("event "+string(c.opts.format), names)
	if err != nil {
		return err
	}
	if _, err := c.Send(ctx, Command{Line: line}); err != nil {
		return err
	}
	c.mu.Lock()
	for _, n := range names {
		c.events[n] = true
	}
	c.mu.Unlock()
	return nil
}

// NixEvent unsubscribes names ("nixevent <names>").
func (c *Conn) NixEvent(ctx context.Context, names ...string) error {
	line, err := eventLine("nixevent", names)
	if err != nil {
		return err
	}
	if _, err := c.Send(ctx, Command{Line: line}); err != nil {
		return err
	}
	c.mu.Lock()
	for _, n := range names {
		delete(c.events, n)
		if strings.EqualFold(n, "ALL") {
			clear(c.events)
		}
	}
	c.mu.Unlock()
	return nil
}

// NoEvents drops every subscription ("noevents"); filters stay.
func (c *Conn) NoEvents(ctx context.Context) error {
	if _, err := c.Send(ctx, Command{Line: "noevents"}); err != nil {
		return err
	}
	c.mu.Lock()
	clear(c.events)
	c.mu.Unlock()
	return nil
}

// Filter adds "filter <header> <value>": once any filter exists the node
// sends only events matching one. Events without the header are dropped,
// so a Unique-ID filter hides BACKGROUND_JOB and HEARTBEAT unless they are
// filtered in too. Filters are replayed after a reconnect.
func (c *Conn) Filter(ctx context.Context, header, value string) error {
	if err := checkToken("filter header", header); err != nil {
		return err
	}
	if _, err := c.Send(ctx, Command{Line: "filter " + header + " " + value}); err != nil {
		return err
	}
	c.mu.Lock()
	c.filters = append(c.filters, Header{header, value})
	c.mu.Unlock()
	return nil
}

// FilterDelete removes filters: one (header and value), all on a header
// (value ""), or all ("all", "").
func (c *Conn) FilterDelete(ctx context.Context, header, value string) error {
	if err := checkToken("filter header", header); err != nil {
		return err
	}
	line := "filter delete " + header
	if value != "" {
		line += " " + value
	}
	if _, err := c.Send(ctx, Command{Line: line}); err != nil {
		return err
	}
	c.mu.Lock()
	kept := c.filters[:0]
	for _, f := range c.filters {
		all := strings.EqualFold(header, "all") && value == ""
		if all || strings.EqualFold(f.Name, header) && (value == "" || f.Value == value) {
			continue
		}
		kept = append(kept, f)
	}
	c.filters = kept
	c.mu.Unlock()
	return nil
}

func checkToken(what, s string) error {
	if s == "" || strings.ContainsAny(s, " \t\r\n\x00") {
		return fmt.Errorf("%s %q: want one word: %w", what, s, ErrUnsafe)
	}
	return nil
}

// eventLine orders names as FreeSWITCH wants: plain names, then CUSTOM
// and its subclasses last (every word after CUSTOM is a subclass).
func eventLine(prefix string, names []string) (string, error) {
	if len(names) == 0 {
		return "", fmt.Errorf("%s: no event names: %w", prefix, ErrUnsafe)
	}
	var plain, subs []string
	custom := false
	for _, n := range names {
		if err := checkToken("event name", n); err != nil {
			return "", err
		}
		switch {
		case strings.Contains(n, "::"):
			subs = append(subs, n)
		case strings.EqualFold(n, "CUSTOM"):
			custom = true
		default:
			plain = append(plain, n)
		}
	}
	parts := append([]string{prefix}, plain...)
	if custom || len(subs) > 0 {
		parts = append(parts, "CUSTOM")
		parts = append(parts, subs...)
	}
	return strings.Join(parts, " "), nil
}

// Job is a bgapi job; its result arrives with the BACKGROUND_JOB event
// carrying its Job-UUID.
type Job struct {
	UUID    string
	Command string

	done chan struct{}
	body string
	err  error
}

// Done is closed when the result (or a failure) is in.
func (j *Job) Done() <-chan struct{} { return j.done }

// Result returns the job's output once Done is closed: "+OK <uuid>\n" for
// an originate, or a *CommandError for "-ERR <CAUSE>", or ErrDisconnected
// / ErrClosed when the connection went away first.
func (j *Job) Result() (string, error) {
	select {
	case <-j.done:
		return j.body, j.err
	default:
		return "", errors.New("job result not in yet")
	}
}

// Wait waits for the result until ctx ends.
func (j *Job) Wait(ctx context.Context) (string, error) {
	select {
	case <-j.done:
		return j.body, j.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (j *Job) finish(body string, err error) {
	j.body, j.err = body, err
	close(j.done)
}

// BgAPI runs "bgapi <cmd>" with a Job-UUID chosen here and registered
// before the command is written, so the result cannot race the reply. It
// subscribes the node to BACKGROUND_JOB first if nothing covers it yet.
func (c *Conn) BgAPI(ctx context.Context, cmd string) (*Job, error) {
	if err := c.ensureBackgroundJob(ctx); err != nil {
		return nil, err
	}
	j := &Job{UUID: uuid.NewString(), Command: cmd, done: make(chan struct{})}
	c.mu.Lock()
	c.jobs[j.UUID] = j
	c.mu.Unlock()
	line := "bgapi " + cmd
	_, err := c.Send(ctx, Command{Line: line, Headers: Headers{{"Job-UUID", j.UUID}}})
	if err != nil {
		c.mu.Lock()
		delete(c.jobs, j.UUID)
		c.mu.Unlock()
		return nil, err
	}
	return j, nil
}

func (c *Conn) ensureBackgroundJob(ctx context.Context) error {
	c.mu.Lock()
	covered := false
	for n := range c.events {
		if strings.EqualFold(n, "ALL") || strings.EqualFold(n, "BACKGROUND_JOB") {
			covered = true
		}
	}
	c.mu.Unlock()
	if covered {
		return nil
	}
	return c.Subscribe(ctx, "BACKGROUND_JOB")
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

// supervise owns the Conn's lifetime: it waits for the session to die or
// Close, reports state changes, fails jobs in flight, and reconnects.
func (c *Conn) supervise(s *session) {
	defer close(c.done)
	c.notify(StateChange{State: StateConnected})
	for {
		select {
		case <-s.dead:
		case <-c.closing:
			s.fail(ErrClosed)
		}
		<-s.readerDone
		closing := false
		select {
		case <-c.closing:
			closing = true
		default:
		}
		cause := s.cause()
		if closing {
			cause = ErrClosed
		}
		c.mu.Lock()
		c.sess = nil
		c.state = StateDisconnected
		jobs := c.jobs
		c.jobs = map[string]*Job{}
		c.mu.Unlock()
		jobErr := fmt.Errorf("job result lost: %w", ErrDisconnected)
		if closing {
			jobErr = ErrClosed
		}
		for _, j := range jobs {
			j.finish("", jobErr)
		}
		if closing || !c.opts.reconnect {
			c.stop(cause)
			return
		}
		c.notify(StateChange{State: StateDisconnected, Err: cause})
		ns, ok := c.reconnect()
		if !ok {
			c.stop(ErrClosed)
			return
		}
		s = ns
	}
}

func (c *Conn) stop(cause error) {
	c.mu.Lock()
	c.state = StateClosed
	c.closeErr = cause
	c.mu.Unlock()
	c.router.closeAll(cause)
	c.notify(StateChange{State: StateClosed, Err: cause})
}

// notify queues sc for the state handler. The handler runs on a goroutine
// of its own, so it may call anything on the Conn, Close included, without
// stalling the supervisor.
func (c *Conn) notify(sc StateChange) {
	if c.opts.onState == nil {
		return
	}
	c.stateQ.Push(sc)
}

// notifyLoop delivers state changes in order and ends after StateClosed.
func (c *Conn) notifyLoop() {
	for {
		// The queue is never closed, so Pop only returns a change.
		sc, _ := c.stateQ.Pop(context.Background())
		c.opts.onState(sc)
		if sc.State == StateClosed {
			return
		}
	}
}

// reconnect dials with exponential backoff and jitter until it succeeds
// or Close is called, then replays subscriptions and filters.
func (c *Conn) reconnect() (*session, bool) {
	delay := c.opts.backoffMin
	if delay <= 0 {
		delay = 100 * time.Millisecond
	}
	maxDelay := max(c.opts.backoffMax, delay)
	for attempt := 1; ; attempt++ {
		// Full jitter in [delay/2, delay): nodes restarted together are not
		// hammered in lockstep.
		wait := delay/2 + rand.N(delay/2+1)
		t := time.NewTimer(wait)
		select {
		case <-c.closing:
			t.Stop()
			return nil, false
		case <-t.C:
		}
		delay = min(delay*2, maxDelay)
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			select {
			case <-c.closing:
				cancel()
			case <-ctx.Done():
			}
		}()
		s, err := c.connect(ctx)
		if err == nil {
			c.mu.Lock()
			c.sess, c.state = s, StateConnected
			c.mu.Unlock()
			err = c.replay(ctx)
			if err != nil {
				c.mu.Lock()
				c.sess, c.state = nil, StateDisconnected
				c.mu.Unlock()
				s.fail(err)
				<-s.readerDone
			}
		}
		cancel()
		if err == nil {
			c.notify(StateChange{State: StateConnected, Attempt: attempt})
			return s, true
		}
		c.notify(StateChange{State: StateDisconnected, Err: err, Attempt: attempt})
	}
}

// replay restores subscriptions and filters on a new session.
func (c *Conn) replay(ctx context.Context) error {
	c.mu.Lock()
	names := make([]string, 0, len(c.events))
	for n := range c.events {
		names = append(names, n)
	}
	filters := append([]Header(nil), c.filters...)
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, c.opts.dialTimeout)
	defer cancel()
	if len(names) > 0 {
		line, err := eventLine("event "+string(c.opts.format), names)
		if err != nil {
			return err
		}
		if _, err := c.Send(ctx, Command{Line: line}); err != nil {
			return fmt.Errorf("re-subscribing: %w", err)
		}
	}
	for _, f := range filters {
		if _, err := c.Send(ctx, Command{Line: "filter " + f.Name + " " + f.Value}); err != nil {
			return fmt.Errorf("re-adding filter: %w", err)
		}
	}
	return nil
}

// connect dials and authenticates one session and starts its reader.
func (c *Conn) connect(ctx context.Context) (*session, error) {
	if _, ok := ctx.Deadline(); !ok && c.opts.dialTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opts.dialTimeout)
		defer cancel()
	}
	nc, err := c.opts.dialer.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("dialing %s: %w: %w", c.addr, ErrRefused, err)
		}
		return nil, fmt.Errorf("dialing %s: %w", c.addr, err)
	}
	// The handshake obeys ctx: cancelling it unblocks reads and writes.
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	r := NewReader(nc)
	r.MaxBody = c.opts.maxBody
	fail := func(err error) (*session, error) {
		stop()
		_ = nc.Close()
		if ctx.Err() != nil && !errors.Is(err, ErrAuth) && !errors.Is(err, ErrRejected) {
			return nil, fmt.Errorf("esl handshake with %s: %w (%w)", c.addr, ctx.Err(), err)
		}
		return nil, fmt.Errorf("esl handshake with %s: %w", c.addr, err)
	}
	f, err := r.ReadFrame()
	if err != nil {
		if errors.Is(err, ErrMalformed) || errors.Is(err, ErrTooLarge) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fail(fmt.Errorf("waiting for auth/request: %w: %w", ErrNotESL, err))
		}
		return fail(fmt.Errorf("waiting for auth/request: %w", err))
	}
	switch ct := f.ContentType(); ct {
	case ContentAuthRequest:
	case ContentRudeRejection:
		return fail(fmt.Errorf("%w: %s", ErrRejected, strings.TrimSpace(string(f.Body))))
	default:
		return fail(fmt.Errorf("first frame %q, want auth/request: %w", ct, ErrNotESL))
	}
	if err := checkLine(c.password); err != nil {
		return fail(fmt.Errorf("password: %w", ErrUnsafe))
	}
	if _, err := nc.Write([]byte("auth " + c.password + "\n\n")); err != nil {
		return fail(fmt.Errorf("sending auth: %w", err))
	}
	f, err = r.ReadFrame()
	if err != nil {
		return fail(fmt.Errorf("waiting for the auth reply: %w", err))
	}
	if f.ContentType() != ContentCommandReply {
		return fail(fmt.Errorf("auth reply of type %q: %w", f.ContentType(), ErrNotESL))
	}
	if reply := f.ReplyText(); reply != "+OK accepted" {
		// The password is never part of an error.
		return fail(fmt.Errorf("%w: %s", ErrAuth, reply))
	}
	if !stop() {
		// ctx ended just now and may have set a past deadline.
		_ = nc.Close()
		return nil, fmt.Errorf("esl handshake with %s: %w", c.addr, ctx.Err())
	}
	_ = nc.SetDeadline(time.Time{})
	s := newSession(nc, r)
	go s.readLoop(c)
	if c.opts.hbTimeout > 0 {
		go s.watchdog(c.opts.hbTimeout)
	}
	return s, nil
}

// session is one TCP connection: one reader goroutine, writes serialised
// by wmu, and a FIFO of requests waiting for their replies. The FIFO is
// appended under the same lock as the write, so its order is the order of
// the bytes on the wire, which is the order FreeSWITCH replies in.
type session struct {
	nc net.Conn
	r  *Reader

	wmu     sync.Mutex
	pmu     sync.Mutex
	pending []*request

	lastFrame atomic.Int64 // unix nanos of the last frame read
	sawHB     atomic.Bool

	dead       chan struct{}
	readerDone chan struct{}
	failOnce   sync.Once
	err        error
}

type request struct {
	reply chan result // buffered: the reader never waits for an abandoned caller
}

type result struct {
	f   *Frame
	err error
}

func newSession(nc net.Conn, r *Reader) *session {
	s := &session{nc: nc, r: r, dead: make(chan struct{}), readerDone: make(chan struct{})}
	s.lastFrame.Store(time.Now().UnixNano())
	return s
}

func (s *session) cause() error {
	<-s.dead
	return s.err
}

// fail ends the session once: the socket is closed (which stops the
// reader) and every waiting request gets err.
func (s *session) fail(err error) {
	s.failOnce.Do(func() {
		s.err = err
		close(s.dead)
		_ = s.nc.Close()
		s.pmu.Lock()
		pending := s.pending
		s.pending = nil
		s.pmu.Unlock()
		for _, r := range pending {
			r.reply <- result{err: err}
		}
	})
}

func (s *session) roundTrip(ctx context.Context, cmd *Command, writeTimeout time.Duration) (*Frame, error) {
	b, err := cmd.AppendTo(nil)
	if err != nil {
		return nil, err
	}
	req := &request{reply: make(chan result, 1)}
	s.wmu.Lock()
	select {
	case <-s.dead:
		s.wmu.Unlock()
		return nil, fmt.Errorf("%s: %w", firstWord(cmd.Line), s.err)
	default:
	}
	s.pmu.Lock()
	s.pending = append(s.pending, req)
	s.pmu.Unlock()
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(writeTimeout)
	}
	_ = s.nc.SetWriteDeadline(deadline)
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = s.nc.SetWriteDeadline(time.Unix(1, 0))
		close(fired)
	})
	_, werr := s.nc.Write(b)
	if !stop() {
		// The cancel callback is running: let it finish before the next
		// writer sets its own deadline, or it would clobber it.
		<-fired
	}
	s.wmu.Unlock()
	if werr != nil {
		// A partial write leaves the peer mid-command: the session cannot
		// be trusted any more.
		s.fail(fmt.Errorf("writing %s: %w: %w", firstWord(cmd.Line), ErrDisconnected, werr))
	}
	select {
	case res := <-req.reply:
		if res.err != nil {
			return nil, fmt.Errorf("%s: %w", firstWord(cmd.Line), res.err)
		}
		return res.f, nil
	case <-ctx.Done():
		// The request keeps its place in the FIFO; its late reply is
		// dropped there instead of being handed to the next caller.
		return nil, fmt.Errorf("%s: %w", firstWord(cmd.Line), ctx.Err())
	}
}

// firstWord names a command in errors without its arguments, which may
// hold secrets (auth) or be long.
func firstWord(line string) string {
	if i := strings.IndexByte(line, ' '); i >= 0 {
		return line[:i]
	}
	return line
}

func (s *session) readLoop(c *Conn) {
	defer close(s.readerDone)
	for {
		ct, f, e, decodeErr, err := s.r.next()
		if err != nil {
			select {
			case <-s.dead:
			default:
				if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
					s.fail(fmt.Errorf("%w: %w", ErrDisconnected, err))
				} else {
					s.fail(fmt.Errorf("reading from %s: %w: %w", c.addr, ErrDisconnected, err))
				}
			}
			return
		}
		s.lastFrame.Store(time.Now().UnixNano())
		switch ct {
		case ContentCommandReply, ContentAPIResponse:
			s.pmu.Lock()
			var req *request
			if len(s.pending) > 0 {
				req = s.pending[0]
				s.pending[0] = nil
				s.pending = s.pending[1:]
			}
			s.pmu.Unlock()
			if req == nil {
				s.fail(fmt.Errorf("%s %q with no command waiting: %w", f.ContentType(), f.ReplyText(), ErrProtocol))
				return
			}
			req.reply <- result{f: f}
		case ContentEventPlain, ContentEventJSON:
			if decodeErr != nil {
				c.badEvents.Add(1)
				continue
			}
			if e.Name() == "HEARTBEAT" {
				s.sawHB.Store(true)
			}
			c.dispatch(e)
		case ContentRudeRejection:
			s.fail(fmt.Errorf("%w: %s", ErrRejected, strings.TrimSpace(string(f.Body))))
			return
		case ContentDisconnectNotice:
			// FreeSWITCH closes right after (unless lingering); the EOF
			// that follows ends the session. Nothing to do here.
			c.ignored.Add(1)
		default:
			// log/data, text/event-xml, anything new: skipped, never fatal.
			c.ignored.Add(1)
		}
	}
}

// watchdog drops a session that heartbeated once and then went silent.
func (s *session) watchdog(timeout time.Duration) {
	t := time.NewTicker(timeout / 4)
	defer t.Stop()
	for {
		select {
		case <-s.dead:
			return
		case <-t.C:
			if !s.sawHB.Load() {
				continue
			}
			idle := time.Since(time.Unix(0, s.lastFrame.Load()))
			if idle > timeout {
				s.fail(fmt.Errorf("no frame for %s after heartbeats: %w", idle.Round(time.Millisecond), ErrDisconnected))
				return
			}
		}
	}
}
