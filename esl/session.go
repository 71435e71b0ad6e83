package esl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callplan/callplan/internal/queue"
)

// session is one TCP connection: one reader goroutine, writes serialised
// by wmu, and a FIFO of requests waiting for their replies. The FIFO is
// appended under the same lock as the write, so its order is the order of
// the bytes on the wire, which is the order FreeSWITCH replies in.
type session struct {
	nc net.Conn
	r  *Reader

	wmu sync.Mutex
	// pending are the requests waiting for their replies, oldest first.
	// A queue rather than a slice re-sliced from the front, which
	// reallocated every few commands as it slid along its array.
	pending queue.Queue[*request]

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

// requests keeps answered requests for the next command: a request and
// its channel were two of the allocations of every api command. Only a
// request whose reply its caller took goes back; one abandoned on its
// context may still get its late reply.
var requests = sync.Pool{New: func() any { return &request{reply: make(chan result, 1)} }}

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
		for _, r := range s.pending.Drain() {
			r.reply <- result{err: err}
		}
	})
}

func (s *session) roundTrip(ctx context.Context, cmd *Command, writeTimeout time.Duration) (*Frame, error) {
	b, err := cmd.AppendTo(nil)
	if err != nil {
		return nil, err
	}
	req := requests.Get().(*request)
	s.wmu.Lock()
	select {
	case <-s.dead:
		s.wmu.Unlock()
		return nil, fmt.Errorf("%s: %w", firstWord(cmd.Line), s.err)
	default:
	}
	s.pending.Push(req)
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
		requests.Put(req)
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
			req, ok := s.pending.TryPop()
			if !ok {
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
