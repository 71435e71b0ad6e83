package esl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"syscall"
	"time"
)

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
	dial := c.opts.dialer.DialContext
	if c.opts.dial != nil {
		dial = c.opts.dial
	}
	nc, err := dial(ctx, "tcp", c.addr)
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
	r.keep = c.opts.keep
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
