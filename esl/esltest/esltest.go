package esltest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callplan/callplan/esl"
	"github.com/google/uuid"
)

// APIFunc answers one api or bgapi command; args is the text after the
// command name. Its return value is the body, verbatim.
type APIFunc func(args string) string

// HandlerFunc sees every command of an authenticated connection before the
// built-in handling; returning true means it has replied itself.
type HandlerFunc func(c *Conn, cmd *esl.Command) bool

// Server is a fake FreeSWITCH Event Socket.
type Server struct {
	// Addr is host:port, for esl.Dial.
	Addr string

	ln      net.Listener
	wg      sync.WaitGroup
	closing chan struct{}
	seq     atomic.Uint64
	coreID  string

	mu       sync.Mutex
	password string
	rude     bool
	replay   []*esl.Frame
	api      map[string]APIFunc
	handler  HandlerFunc
	conns    []*Conn
	accepted chan *Conn
}

// Option configures NewServer.
type Option func(*Server)

// WithPassword sets the password (default "ClueCon").
func WithPassword(pw string) Option { return func(s *Server) { s.password = pw } }

// WithRudeRejection makes the server refuse every peer as FreeSWITCH's
// apply-inbound-acl does: text/rude-rejection instead of auth/request,
// then close.
func WithRudeRejection() Option { return func(s *Server) { s.rude = true } }

// WithReplay makes each connection replay a recorded transcript (the bytes
// FreeSWITCH sent, e.g. testdata/fixtures/01-...txt): auth/request at once,
// then every frame in order, where each command/reply or api/response
// waits for the client's next command and events flow freely. The
// connection closes after the last frame.
func WithReplay(transcript []byte) Option {
	return func(s *Server) {
		r := esl.NewReader(bufioReader(transcript))
		for {
			f, err := r.ReadFrame()
			if err != nil {
				break
			}
			s.replay = append(s.replay, f)
		}
	}
}

func bufioReader(b []byte) *bufio.Reader {
	return bufio.NewReaderSize(strings.NewReader(string(b)), 1<<20)
}

// NewServer starts a server on 127.0.0.1:0. Close it when done.
func NewServer(opts ...Option) *Server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("esltest: listening: %v", err))
	}
	s := &Server{
		Addr:     ln.Addr().String(),
		ln:       ln,
		closing:  make(chan struct{}),
		coreID:   uuid.NewString(),
		password: "ClueCon",
		api:      map[string]APIFunc{},
		accepted: make(chan *Conn, 64),
	}
	for _, o := range opts {
		o(s)
	}
	s.wg.Add(1)
	go s.acceptLoop()
	return s
}

// Close stops accepting, closes every connection and waits for their
// goroutines.
func (s *Server) Close() {
	select {
	case <-s.closing:
		return
	default:
	}
	close(s.closing)
	_ = s.ln.Close()
	s.mu.Lock()
	conns := append([]*Conn(nil), s.conns...)
	s.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
	s.wg.Wait()
}

// SetPassword changes the password for later connections.
func (s *Server) SetPassword(pw string) {
	s.mu.Lock()
	s.password = pw
	s.mu.Unlock()
}

// SetAPI scripts the api and bgapi command cmd (its first word).
func (s *Server) SetAPI(cmd string, fn APIFunc) {
	s.mu.Lock()
	s.api[cmd] = fn
	s.mu.Unlock()
}

// Handle installs a hook that sees every authenticated command first.
func (s *Server) Handle(fn HandlerFunc) {
	s.mu.Lock()
	s.handler = fn
	s.mu.Unlock()
}

// NextConn waits for the next accepted connection.
func (s *Server) NextConn(ctx context.Context) (*Conn, error) {
	select {
	case c := <-s.accepted:
		return c, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for a connection: %w", ctx.Err())
	}
}

// Conns returns the connections accepted so far.
func (s *Server) Conns() []*Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Conn(nil), s.conns...)
}

// Emit sends e to every authenticated connection subscribed to it.
func (s *Server) Emit(e *esl.Event) {
	for _, c := range s.Conns() {
		_ = c.Emit(e)
	}
}

// NewEvent builds an event with FreeSWITCH's core headers (Event-Name,
// Core-UUID, FreeSWITCH-Hostname, Event-Date-Timestamp in µs,
// Event-Sequence) followed by headers.
func (s *Server) NewEvent(name string, headers ...esl.Header) *esl.Event {
	now := time.Now()
	hs := esl.Headers{
		{Name: "Event-Name", Value: name},
		{Name: "Core-UUID", Value: s.coreID},
		{Name: "FreeSWITCH-Hostname", Value: "esltest"},
		{Name: "FreeSWITCH-Switchname", Value: "esltest"},
		{Name: "Event-Date-Local", Value: now.Format("2006-01-02 15:04:05")},
		{Name: "Event-Date-Timestamp", Value: strconv.FormatInt(now.UnixMicro(), 10)},
		{Name: "Event-Sequence", Value: strconv.FormatUint(s.seq.Add(1), 10)},
	}
	return esl.NewEvent(append(hs, headers...), "")
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		c := &Conn{srv: s, nc: nc, l: esl.NewListener(), resume: make(chan struct{})}
		close(c.resume)
		s.mu.Lock()
		s.conns = append(s.conns, c)
		rude, replay := s.rude, s.replay
		s.mu.Unlock()
		select {
		case s.accepted <- c:
		default:
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			switch {
			case rude:
				_ = c.Write(esl.RudeRejection())
			case replay != nil:
				c.serveReplay(replay)
			default:
				c.serve()
			}
		}()
	}
}

// Conn is the server side of one client connection.
type Conn struct {
	srv *Server
	nc  net.Conn
	wmu sync.Mutex

	mu       sync.Mutex
	authed   bool
	l        *esl.Listener // format, subscriptions, filters: the agent's grammar
	commands []string
	resume   chan struct{} // closed unless stalled
	closed   bool
}

// Commands returns the command lines received so far (auth redacted).
func (c *Conn) Commands() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.commands...)
}

// Write writes one frame.
func (c *Conn) Write(f *esl.Frame) error { return c.WriteRaw(f.AppendTo(nil)) }

// WriteRaw writes bytes as they are (garbage, half frames...).
func (c *Conn) WriteRaw(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := c.nc.Write(b)
	return err
}

// Emit sends e if the connection subscribed to it and its filters pass it.
func (c *Conn) Emit(e *esl.Event) error {
	c.mu.Lock()
	ok := c.authed && c.l.Subscribed(e.Name(), e.Subclass()) && c.l.Passes(e.Lookup)
	format := c.l.Format()
	c.mu.Unlock()
	if !ok {
		return nil
	}
	return c.Write(esl.EventFrame(e, format))
}

// EmitAlways sends e whatever the subscriptions.
func (c *Conn) EmitAlways(e *esl.Event) error {
	c.mu.Lock()
	format := c.l.Format()
	c.mu.Unlock()
	return c.Write(esl.EventFrame(e, format))
}

// Close closes the connection.
func (c *Conn) Close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
	}
	c.mu.Unlock()
	_ = c.nc.Close()
}

// CloseMidFrame writes the first half of an event frame and closes.
func (c *Conn) CloseMidFrame() {
	b := esl.EventFrame(c.srv.NewEvent("HEARTBEAT"), esl.FormatPlain).AppendTo(nil)
	_ = c.WriteRaw(b[:len(b)/2])
	c.Close()
}

// Garbage writes bytes that are not an ESL frame.
func (c *Conn) Garbage() {
	_ = c.WriteRaw([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
}

// HugeBody announces a body of n bytes and sends only a few.
func (c *Conn) HugeBody(n int64) {
	_ = c.WriteRaw([]byte("Content-Type: api/response\nContent-Length: " + strconv.FormatInt(n, 10) + "\n\nfirst bytes"))
}

// Disconnect sends FreeSWITCH's disconnect notice and closes.
func (c *Conn) Disconnect() {
	_ = c.Write(esl.DisconnectNotice(esl.DisconnectGoodbye))
	c.Close()
}

// Stall stops answering commands until Resume (they are read and queued).
func (c *Conn) Stall() {
	c.mu.Lock()
	select {
	case <-c.resume:
		c.resume = make(chan struct{})
	default:
	}
	c.mu.Unlock()
}

// Resume undoes Stall.
func (c *Conn) Resume() {
	c.mu.Lock()
	select {
	case <-c.resume:
	default:
		close(c.resume)
	}
	c.mu.Unlock()
}

func (c *Conn) waitResume() bool {
	c.mu.Lock()
	ch := c.resume
	c.mu.Unlock()
	select {
	case <-ch:
		return true
	case <-c.srv.closing:
		return false
	}
}

func (c *Conn) serve() {
	if c.Write(esl.AuthRequest()) != nil {
		return
	}
	r := esl.NewReader(c.nc)
	for {
		cmd, err := r.ReadCommand()
		if err != nil {
			return
		}
		line := cmd.Line
		if strings.HasPrefix(line, "auth ") {
			line = "auth <redacted>"
		}
		c.mu.Lock()
		c.commands = append(c.commands, line)
		c.mu.Unlock()
		if !c.waitResume() {
			return
		}
		if !c.handle(cmd) {
			return
		}
	}
}

// handle answers one command; false means the connection is over.
func (c *Conn) handle(cmd *esl.Command) bool {
	word, rest := esl.SplitCommand(cmd.Line)
	c.mu.Lock()
	authed := c.authed
	c.mu.Unlock()
	if !authed {
		c.srv.mu.Lock()
		pw := c.srv.password
		c.srv.mu.Unlock()
		step, text := esl.Authenticate(word, rest, pw)
		switch step {
		case esl.AuthRefused:
			_ = c.Write(esl.CommandReply(text))
			_ = c.Write(esl.DisconnectNotice(esl.DisconnectGoodbye))
			return false
		case esl.AuthExit:
			return c.exit()
		case esl.AuthAccepted:
			c.mu.Lock()
			c.authed = true
			c.mu.Unlock()
		}
		return c.Write(esl.CommandReply(text)) == nil
	}
	c.srv.mu.Lock()
	h := c.srv.handler
	c.srv.mu.Unlock()
	if h != nil && h(c, cmd) {
		return true
	}
	var reply *esl.Frame
	switch word {
	case "exit":
		return c.exit()
	case "event":
		reply = c.listen((*esl.Listener).Event, rest)
	case "nixevent":
		reply = c.listen((*esl.Listener).NixEvent, rest)
	case "noevents":
		reply = c.listen(func(l *esl.Listener, _ string) string { return l.NoEvents() }, rest)
	case "filter":
		reply = c.listen((*esl.Listener).Filter, rest)
	case "api":
		name, args, _ := strings.Cut(rest, " ")
		reply = esl.APIResponse(c.srv.runAPI(name, args))
	case "bgapi":
		id := esl.JobUUID(cmd, uuid.NewString)
		if err := c.Write(esl.CommandReply("+OK Job-UUID: "+id, esl.Header{Name: "Job-UUID", Value: id})); err != nil {
			return false
		}
		name, args, _ := strings.Cut(rest, " ")
		c.srv.wg.Add(1)
		go func() {
			defer c.srv.wg.Done()
			body := c.srv.runAPI(name, args)
			hs := []esl.Header{{Name: "Job-UUID", Value: id}, {Name: "Job-Command", Value: name}}
			if args != "" {
				hs = append(hs, esl.Header{Name: "Job-Command-Arg", Value: args})
			}
			e := c.srv.NewEvent("BACKGROUND_JOB", hs...)
			e.Body = body
			_ = c.Emit(e)
		}()
		return true
	case "sendmsg":
		reply = esl.CommandReply("+OK")
	default:
		reply = esl.CommandReply(esl.ReplyCommandNotFound)
	}
	return c.Write(reply) == nil
}

// listen applies an event, nixevent, noevents or filter command to the
// connection's state through the esl package's server grammar, the one the
// agent answers with.
func (c *Conn) listen(cmd func(l *esl.Listener, args string) string, args string) *esl.Frame {
	c.mu.Lock()
	defer c.mu.Unlock()
	return esl.CommandReply(cmd(c.l, args))
}

func (c *Conn) exit() bool {
	_ = c.Write(esl.CommandReply(esl.ReplyBye))
	_ = c.Write(esl.DisconnectNotice(esl.DisconnectGoodbye))
	return false
}

func (s *Server) runAPI(name, args string) string {
	s.mu.Lock()
	fn := s.api[name]
	s.mu.Unlock()
	if fn == nil {
		return "-ERR " + name + " Command not found!\n"
	}
	return fn(args)
}

// Filters returns the filters the client set.
func (c *Conn) Filters() []esl.Header {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.l.Filters()
}

// Subscribed reports whether the connection asked for event name.
func (c *Conn) Subscribed(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.l.Subscribed(strings.ToUpper(name), "") || c.l.Subscribed("CUSTOM", name)
}

// serveReplay plays a transcript: replies wait for a command each.
func (c *Conn) serveReplay(frames []*esl.Frame) {
	cmds := make(chan struct{}, 1024)
	c.srv.wg.Add(1)
	go func() {
		defer c.srv.wg.Done()
		defer close(cmds)
		r := esl.NewReader(c.nc)
		for {
			cmd, err := r.ReadCommand()
			if err != nil {
				return
			}
			c.mu.Lock()
			c.commands = append(c.commands, cmd.Line)
			c.mu.Unlock()
			select {
			case cmds <- struct{}{}:
			case <-c.srv.closing:
				return
			}
		}
	}()
	// Frames are written in batches so a replay is fast enough to
	// benchmark a client through it.
	w := bufio.NewWriterSize(writerFunc(c.WriteRaw), 64<<10)
	for _, f := range frames {
		switch f.ContentType() {
		case esl.ContentCommandReply, esl.ContentAPIResponse:
			if err := w.Flush(); err != nil {
				return
			}
			if _, ok := <-cmds; !ok {
				return
			}
		}
		if _, err := w.Write(f.AppendTo(nil)); err != nil {
			return
		}
	}
	_ = w.Flush()
}

type writerFunc func([]byte) error

func (f writerFunc) Write(b []byte) (int, error) {
	if err := f(b); err != nil {
		return 0, err
	}
	return len(b), nil
}
