package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/callplan/callplan/esl"
)

// eslConn is the runner's Event Socket connection to one node: one TCP
// connection carrying commands and events, replies matched to commands
// strictly in order (api/response and command/reply share one FIFO,
// esl-reference 7.4), events queued without bound so the reader never
// blocks, and reconnection with backoff when the connection drops.
//
// It is deliberately small: the runner needs api, bgapi with a chosen
// Job-UUID, one event subscription and reconnects.
type eslConn struct {
	addr, password string
	events         []string

	mu      sync.Mutex
	nc      net.Conn
	waiters []chan reply // FIFO of commands awaiting their reply
	closed  bool
	wmu     sync.Mutex // serialises writes with waiter registration

	out    chan ConnEvent
	queue  []ConnEvent
	qcond  *sync.Cond
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type reply struct {
	f   *esl.Frame
	err error
}

var errConnDown = errors.New("esl connection down")

// DialESL connects and authenticates to a node's Event Socket at addr,
// subscribes to the events the runner needs, and keeps the connection up
// (reconnecting with backoff) until Close.
func DialESL(ctx context.Context, addr, password string) (Conn, error) {
	c := &eslConn{addr: addr, password: password, events: SubscribedEvents, out: make(chan ConnEvent)}
	c.qcond = sync.NewCond(&c.mu)
	nc, r, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	c.ctx, c.cancel = context.WithCancel(context.WithoutCancel(ctx))
	c.nc = nc
	c.wg.Add(2)
	go c.deliver()
	go c.serve(nc, r)
	return c, nil
}

// connect dials, authenticates and subscribes; it returns a connection
// ready for commands. The reader is not running yet, so it reads inline.
func (c *eslConn) connect(ctx context.Context) (net.Conn, *esl.Reader, error) {
	d := net.Dialer{Timeout: 5 * time.Second, KeepAlive: 15 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return nil, nil, fmt.Errorf("connecting to %s: %w", c.addr, err)
	}
	fail := func(err error) (net.Conn, *esl.Reader, error) {
		nc.Close()
		return nil, nil, err
	}
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	r := esl.NewReader(nc)
	f, err := r.ReadFrame()
	if err != nil {
		return fail(fmt.Errorf("reading auth request from %s: %w", c.addr, err))
	}
	if f.ContentType() != esl.ContentAuthRequest {
		return fail(fmt.Errorf("%s did not ask for auth (got %q)", c.addr, f.ContentType()))
	}
	// The password is never logged or put in an error.
	if err := writeCommand(nc, "auth "+c.password); err != nil {
		return fail(fmt.Errorf("authenticating to %s: %w", c.addr, err))
	}
	f, err = r.ReadFrame()
	if err != nil {
		return fail(fmt.Errorf("authenticating to %s: %w", c.addr, err))
	}
	if !strings.HasPrefix(f.ReplyText(), "+OK") {
		return fail(fmt.Errorf("authenticating to %s: rejected (%s)", c.addr, strings.TrimSpace(f.ReplyText())))
	}
	if err := writeCommand(nc, "event plain "+strings.Join(c.events, " ")); err != nil {
		return fail(fmt.Errorf("subscribing on %s: %w", c.addr, err))
	}
	for {
		f, err = r.ReadFrame()
		if err != nil {
			return fail(fmt.Errorf("subscribing on %s: %w", c.addr, err))
		}
		if f.ContentType() == esl.ContentCommandReply {
			break
		}
	}
	if !strings.HasPrefix(f.ReplyText(), "+OK") {
		return fail(fmt.Errorf("subscribing on %s: %s", c.addr, f.ReplyText()))
	}
	_ = nc.SetDeadline(time.Time{})
	return nc, r, nil
}

func writeCommand(nc net.Conn, line string, headers ...string) error {
	var b bytes.Buffer
	b.WriteString(line)
	b.WriteString("\n")
	for _, h := range headers {
		b.WriteString(h)
		b.WriteString("\n")
	}
	b.WriteString("\n")
	_ = nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := nc.Write(b.Bytes())
	return err
}

// serve reads one connection until it fails, then reconnects.
func (c *eslConn) serve(nc net.Conn, r *esl.Reader) {
	defer c.wg.Done()
	for {
		err := c.read(nc, r)
		c.mu.Lock()
		c.nc = nil
		ws := c.waiters
		c.waiters = nil
		closed := c.closed
		c.mu.Unlock()
		for _, w := range ws {
			w <- reply{err: errConnDown}
		}
		if closed {
			return
		}
		c.emit(ConnEvent{Down: true, Err: err})
		nc, r = c.reconnect()
		if nc == nil {
			return
		}
		c.mu.Lock()
		c.nc = nc
		c.mu.Unlock()
		c.emit(ConnEvent{Up: true})
	}
}

// reconnect retries with exponential backoff (100 ms doubling to 5 s)
// until it succeeds or the connection is closed.
func (c *eslConn) reconnect() (net.Conn, *esl.Reader) {
	backoff := 100 * time.Millisecond
	for {
		t := time.NewTimer(backoff)
		select {
		case <-c.ctx.Done():
			t.Stop()
			return nil, nil
		case <-t.C:
		}
		nc, r, err := c.connect(c.ctx)
		if err == nil {
			return nc, r
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func (c *eslConn) read(nc net.Conn, r *esl.Reader) error {
	for {
		f, err := r.ReadFrame()
		if err != nil {
			return err
		}
		switch ct := f.ContentType(); {
		case esl.IsEvent(ct):
			ev, err := esl.DecodeEvent(f)
			if err == nil {
				c.emit(ConnEvent{Event: ev})
			}
		case ct == esl.ContentCommandReply || ct == esl.ContentAPIResponse:
			c.mu.Lock()
			var w chan reply
			if len(c.waiters) > 0 {
				w = c.waiters[0]
				c.waiters = c.waiters[1:]
			}
			c.mu.Unlock()
			if w != nil {
				w <- reply{f: f}
			}
		case ct == esl.ContentDisconnectNotice:
			nc.Close()
			return errors.New("disconnect notice")
		}
	}
}

// emit queues an event for delivery without ever blocking the reader.
func (c *eslConn) emit(ev ConnEvent) {
	c.mu.Lock()
	c.queue = append(c.queue, ev)
	c.mu.Unlock()
	c.qcond.Signal()
}

// deliver hands queued events to Events() in order.
func (c *eslConn) deliver() {
	defer c.wg.Done()
	defer close(c.out)
	for {
		c.mu.Lock()
		for len(c.queue) == 0 && !c.closed {
			c.qcond.Wait()
		}
		if c.closed {
			c.mu.Unlock()
			return
		}
		ev := c.queue[0]
		c.queue[0] = ConnEvent{}
		c.queue = c.queue[1:]
		c.mu.Unlock()
		select {
		case c.out <- ev:
		case <-c.ctx.Done():
			return
		}
	}
}

// Events implements Conn.
func (c *eslConn) Events() <-chan ConnEvent { return c.out }

// send writes a command and waits for its reply.
func (c *eslConn) send(ctx context.Context, line string, headers ...string) (*esl.Frame, error) {
	if strings.ContainsAny(line, "\r\n") {
		return nil, fmt.Errorf("command %q: %w", firstWord(line), esl.ErrUnsafe)
	}
	w := make(chan reply, 1)
	c.wmu.Lock()
	c.mu.Lock()
	nc := c.nc
	if nc == nil || c.closed {
		c.mu.Unlock()
		c.wmu.Unlock()
		return nil, errConnDown
	}
	c.waiters = append(c.waiters, w)
	c.mu.Unlock()
	err := writeCommand(nc, line, headers...)
	c.wmu.Unlock()
	if err != nil {
		nc.Close() // the reader fails the waiters
	}
	select {
	case r := <-w:
		return r.f, r.err
	case <-ctx.Done():
		// The reply will still come and be matched to this waiter (its
		// channel is buffered), keeping the FIFO in step.
		return nil, ctx.Err()
	}
}

// API implements Conn.
func (c *eslConn) API(ctx context.Context, cmd string) (string, error) {
	f, err := c.send(ctx, "api "+cmd)
	if err != nil {
		return "", err
	}
	return string(f.Body), nil
}

// BgAPI implements Conn.
func (c *eslConn) BgAPI(ctx context.Context, cmd, jobUUID string) error {
	f, err := c.send(ctx, "bgapi "+cmd, "Job-UUID: "+jobUUID)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(f.ReplyText(), "+OK") {
		return fmt.Errorf("bgapi %s: %s", firstWord(cmd), strings.TrimSpace(f.ReplyText()))
	}
	return nil
}

// Close implements Conn.
func (c *eslConn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	nc := c.nc
	c.mu.Unlock()
	c.qcond.Broadcast()
	c.cancel()
	if nc != nil {
		nc.Close()
	}
	c.wg.Wait()
	return nil
}
