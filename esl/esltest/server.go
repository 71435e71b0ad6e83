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

func (s *Server) runAPI(name, args string) string {
	s.mu.Lock()
	fn := s.api[name]
	s.mu.Unlock()
	if fn == nil {
		return "-ERR " + name + " Command not found!\n"
	}
	return fn(args)
}
