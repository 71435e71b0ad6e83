package agent

import (
	"net"
	"time"

	"github.com/callplan/callplan/esl"
)

// The event side of an ESL connection: deliver filters and queues what the
// hub fires, the writer goroutine encodes the queue into batched writes.

// deliver implements subscriber: filter, then queue without blocking. An
// event not queued is released at once; a queued one once written.
func (c *eslConn) deliver(e *event) {
	if !c.enqueue(e) {
		e.release()
	}
}

// enqueue filters e, then queues it without blocking, reporting whether it
// did. A full queue drops the event; more than 500 drops in a row kill the
// connection, as FreeSWITCH does (2.9).
func (c *eslConn) enqueue(e *event) bool {
	if id := c.boundID.Load(); id != nil {
		if !ownEvent(e, *id) {
			return false
		}
		if e.Name == "CHANNEL_HANGUP" {
			c.bindMu.Lock()
			b := c.bind
			c.bindMu.Unlock()
			// Queued after the event itself, whether or not it is.
			defer c.boundHangup(b)
			if !c.subscribed(e.Name, e.Subclass) {
				return false
			}
		}
	}
	if !c.state.Load().Passes(e.Get) {
		return false
	}
	select {
	case c.queue <- e:
		c.consecutive.Store(0)
		return true
	default:
		c.a.dropped.events.Add(1)
		if c.consecutive.Add(1) > maxConsecutiveDrops && c.dying.CompareAndSwap(false, true) {
			c.a.dropped.killed.Add(1)
			c.a.log.Warn("killing esl listener because of lost events", "remote", c.nc.RemoteAddr().String())
			go c.kill(lostEventsNotice)
		}
	}
	return false
}

// writeEvents drains the queue in the connection's current format,
// batching whatever is queued into one write. Asked to stop (exit,
// shutdown), it writes what is still queued first, so those events precede
// the final reply and notice.
func (c *eslConn) writeEvents() {
	defer close(c.writerDone)
	for {
		select {
		case <-c.closed:
			return
		case <-c.stopWriter:
			_ = c.writeQueued(nil)
			return
		case <-c.replyReady:
			if err := c.writeQueued(nil); err != nil {
				c.close()
				return
			}
		case e := <-c.queue:
			if err := c.writeQueued(e); err != nil {
				c.close()
				return
			}
		}
	}
}

// stopWriting makes the writer flush the queue and stop, and waits for it
// (bounded: a client that does not read must not hold up a shutdown).
func (c *eslConn) stopWriting() {
	c.stopOnce.Do(func() { close(c.stopWriter) })
	select {
	case <-c.writerDone:
	case <-time.After(2 * time.Second):
	}
}

// writeReply hands a command's reply to the writer, which writes it with
// the events queued by then in one write. FreeSWITCH's connection thread
// writes a reply as soon as the command has run and its queued events only
// while it waits for the next command (mod_event_socket.c, read_packet), so
// there too events queued before a reply went out may follow it; replies
// keep their order. A loop call's three bgapi replies were three of the
// agent's ESL writes, each a system call and a wake-up of the client.
func (c *eslConn) writeReply(f *esl.Frame) error {
	select {
	case <-c.closed:
		return net.ErrClosed
	default:
	}
	c.drainMu.Lock()
	c.replies = f.AppendTo(c.replies)
	c.drainMu.Unlock()
	select {
	case c.replyReady <- struct{}{}:
	default: // the writer has a wake-up pending: it takes this reply too
	}
	return nil
}

// writeQueued writes the waiting replies, first (when not nil) and
// everything queued after them, in batches. Only the writer goroutine
// takes events off the queue, so they go out in queue order.
func (c *eslConn) writeQueued(first *event) error {
	const batch = 256 << 10
	c.drainMu.Lock()
	defer c.drainMu.Unlock()
	f := c.state.Load().Format()
	buf := append(c.wbuf[:0], c.replies...)
	if cap(c.replies) <= batch {
		c.replies = c.replies[:0]
	} else {
		c.replies = nil
	}
	if first != nil {
		buf = first.appendFrame(buf, f)
		first.release()
	}
	for {
		for len(buf) < batch {
			select {
			case e := <-c.queue:
				buf = e.appendFrame(buf, f)
				e.release()
				continue
			default:
			}
			break
		}
		if len(buf) == 0 {
			break
		}
		if err := c.writeBytes(buf); err != nil {
			return err
		}
		full := len(buf) >= batch
		buf = buf[:0]
		if !full {
			break
		}
	}
	if cap(buf) <= 4*batch {
		c.wbuf = buf
	} else {
		c.wbuf = nil
	}
	return nil
}

func (c *eslConn) drain() {
	for {
		select {
		case e := <-c.queue:
			e.release()
		default:
			return
		}
	}
}
