package esltest

import (
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/callplan/callplan/esl"
)

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
