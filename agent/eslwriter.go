package agent

import (
	"time"
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

// writeQueued writes first (when not nil) and everything queued after it
// in batches. drainMu keeps batches in queue order when exit flushes the
// queue while the writer goroutine holds an event.
func (c *eslConn) writeQueued(first *event) error {
	const batch = 256 << 10
	c.drainMu.Lock()
	defer c.drainMu.Unlock()
	f := c.state.Load().Format()
	buf := c.wbuf[:0]
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
