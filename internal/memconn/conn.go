package memconn

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// MaxBuffered is how many unread bytes one direction holds before a writer
// waits: about what a loopback TCP socket buffers once the kernel has grown
// its buffers.
const MaxBuffered = 4 << 20

// errPeerClosed is a write to a connection whose peer has closed; a TCP
// write then fails with EPIPE or ECONNRESET.
var errPeerClosed = errors.New("memconn: write to a connection closed by its peer")

// Addr names one end of a connection.
type Addr string

// Network implements net.Addr.
func (a Addr) Network() string { return "memconn" }

func (a Addr) String() string { return string(a) }

// pipe is one direction: bytes written by one end, read by the other.
type pipe struct {
	mu         sync.Mutex
	buf        []byte // unread bytes are buf[r:]
	r          int
	readerGone bool          // the reading end closed: writes fail
	writerGone bool          // the writing end closed: reads drain, then EOF
	rdl, wdl   time.Time     // the reading end's read deadline, the writing end's write deadline
	readWait   chan struct{} // closed to wake a waiting reader; nil when none waits
	writeWait  chan struct{} // closed to wake a waiting writer; nil when none waits
}

// wake closes and clears *ch, waking whoever waits on it. Under p.mu.
func wake(ch *chan struct{}) {
	if *ch != nil {
		close(*ch)
		*ch = nil
	}
}

// waitOn returns the channel to wait on, made if none is. Under p.mu.
func waitOn(ch *chan struct{}) chan struct{} {
	if *ch == nil {
		*ch = make(chan struct{})
	}
	return *ch
}

// sleep waits for ch or the deadline dl (none when zero), whichever comes
// first; the caller then re-checks its condition under the lock.
func sleep(ch chan struct{}, dl time.Time) {
	if dl.IsZero() {
		<-ch
		return
	}
	t := time.NewTimer(time.Until(dl))
	select {
	case <-ch:
	case <-t.C:
	}
	t.Stop()
}

func expired(dl time.Time) bool { return !dl.IsZero() && !time.Now().Before(dl) }

func (p *pipe) read(b []byte) (int, error) {
	p.mu.Lock()
	for {
		if p.readerGone {
			p.mu.Unlock()
			return 0, net.ErrClosed
		}
		if p.r < len(p.buf) {
			if len(b) == 0 {
				p.mu.Unlock()
				return 0, nil
			}
			n := copy(b, p.buf[p.r:])
			p.r += n
			if p.r == len(p.buf) {
				p.buf, p.r = p.buf[:0], 0
			}
			wake(&p.writeWait)
			p.mu.Unlock()
			return n, nil
		}
		if p.writerGone {
			p.mu.Unlock()
			return 0, io.EOF
		}
		if expired(p.rdl) {
			p.mu.Unlock()
			return 0, os.ErrDeadlineExceeded
		}
		ch, dl := waitOn(&p.readWait), p.rdl
		p.mu.Unlock()
		sleep(ch, dl)
		p.mu.Lock()
	}
}

func (p *pipe) write(b []byte) (int, error) {
	n := 0
	p.mu.Lock()
	for {
		switch {
		case p.writerGone:
			p.mu.Unlock()
			return n, net.ErrClosed
		case p.readerGone:
			p.mu.Unlock()
			return n, errPeerClosed
		case expired(p.wdl):
			p.mu.Unlock()
			return n, os.ErrDeadlineExceeded
		}
		if free := MaxBuffered - (len(p.buf) - p.r); free > 0 {
			chunk := b[n:]
			if len(chunk) > free {
				chunk = chunk[:free]
			}
			if p.r > 0 && len(p.buf)+len(chunk) > cap(p.buf) {
				// Move the unread bytes to the front before growing.
				p.buf = p.buf[:copy(p.buf, p.buf[p.r:])]
				p.r = 0
			}
			p.buf = append(p.buf, chunk...)
			n += len(chunk)
			wake(&p.readWait)
			if n == len(b) {
				p.mu.Unlock()
				return n, nil
			}
		}
		ch, dl := waitOn(&p.writeWait), p.wdl
		p.mu.Unlock()
		sleep(ch, dl)
		p.mu.Lock()
	}
}

// setReadDeadline and setWriteDeadline wake a waiter so that it sees the
// new deadline (a cancelled handshake sets one in the past to unblock).
func (p *pipe) setReadDeadline(t time.Time) {
	p.mu.Lock()
	p.rdl = t
	wake(&p.readWait)
	p.mu.Unlock()
}

func (p *pipe) setWriteDeadline(t time.Time) {
	p.mu.Lock()
	p.wdl = t
	wake(&p.writeWait)
	p.mu.Unlock()
}

func (p *pipe) closeReader() {
	p.mu.Lock()
	p.readerGone = true
	p.buf, p.r = nil, 0
	wake(&p.readWait)
	wake(&p.writeWait)
	p.mu.Unlock()
}

func (p *pipe) closeWriter() {
	p.mu.Lock()
	p.writerGone = true
	wake(&p.readWait)
	wake(&p.writeWait)
	p.mu.Unlock()
}

// Conn is one end of an in-memory connection. It is safe for concurrent
// use, as a net.Conn is.
type Conn struct {
	in, out       *pipe
	local, remote Addr
	once          sync.Once
}

// Pipe returns the two ends of a new connection: what one writes the other
// reads.
func Pipe(a, b Addr) (*Conn, *Conn) {
	ab, ba := &pipe{}, &pipe{}
	return &Conn{in: ba, out: ab, local: a, remote: b}, &Conn{in: ab, out: ba, local: b, remote: a}
}

// Read implements net.Conn.
func (c *Conn) Read(b []byte) (int, error) { return c.in.read(b) }

// Write implements net.Conn: it returns once all of b is buffered.
func (c *Conn) Write(b []byte) (int, error) { return c.out.write(b) }

// Close implements net.Conn: the peer reads what was written, then io.EOF;
// its writes fail.
func (c *Conn) Close() error {
	c.once.Do(func() {
		c.in.closeReader()
		c.out.closeWriter()
	})
	return nil
}

// LocalAddr implements net.Conn.
func (c *Conn) LocalAddr() net.Addr { return c.local }

// RemoteAddr implements net.Conn.
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

// SetDeadline implements net.Conn.
func (c *Conn) SetDeadline(t time.Time) error {
	c.in.setReadDeadline(t)
	c.out.setWriteDeadline(t)
	return nil
}

// SetReadDeadline implements net.Conn.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.in.setReadDeadline(t)
	return nil
}

// SetWriteDeadline implements net.Conn.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.out.setWriteDeadline(t)
	return nil
}
