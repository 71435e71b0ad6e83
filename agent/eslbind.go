package agent

import (
	"strconv"
	"strings"
	"time"

	"github.com/callplan/callplan/esl"
)

// myeventsNames is the fixed set `myevents` subscribes to (2.5): every
// CHANNEL_* event except CALLSTATE, HOLD and UNHOLD, plus DTMF, TALK,
// NOTALK and DETECTED_SPEECH.
var myeventsNames = func() []string {
	out := []string{"DTMF", "TALK", "NOTALK", "DETECTED_SPEECH"}
	for _, n := range esl.EventNames() {
		switch n {
		case "CHANNEL_CALLSTATE", "CHANNEL_HOLD", "CHANNEL_UNHOLD":
			continue
		}
		if strings.HasPrefix(n, "CHANNEL_") {
			out = append(out, n)
		}
	}
	return out
}()

// binding is a connection's `myevents` channel and its linger setting
// (2.5), guarded by eslConn.bindMu.
type binding struct {
	ch         *channel
	linger     bool
	lingerSecs int           // lingerForever: until exit
	disco      chan struct{} // closed when the channel's hangup was handled
}

// lingerForever is Linger-Time for a bare `linger`.
const lingerForever = -1

// myevents binds the connection to one channel: `myevents <uuid> [fmt]`.
// The trailing format word is ignored on an inbound connection (2.5); the
// format is the one chosen with `event`.
func (c *eslConn) myevents(args string) string {
	c.bindMu.Lock()
	defer c.bindMu.Unlock()
	if c.bind != nil {
		return "-ERR aready enabled." // sic (2.2)
	}
	id, _, _ := strings.Cut(strings.TrimSpace(args), " ")
	ch := c.a.channel(id)
	if id == "" || ch == nil {
		return "-ERR invalid uuid"
	}
	b := &binding{ch: ch, disco: make(chan struct{})}
	c.bind = b
	c.update(func(l *esl.Listener) string { l.Subscribe(myeventsNames...); return "" })
	c.boundID.Store(&ch.uuid)
	// A channel already hanging up fired its CHANNEL_HANGUP before the
	// binding could see it.
	already := ch.isHungup()
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		if already {
			c.boundHangup(b)
		}
		c.watchBound(b)
	}()
	return "+OK Events Enabled"
}

// ownEvent is myevents' test: the bound channel's events, and background
// jobs it owns.
func ownEvent(e *event, id string) bool {
	if v, ok := e.Get("Unique-ID"); ok && v == id {
		return true
	}
	v, ok := e.Get("Job-Owner-UUID")
	return ok && v == id
}

// linger handles `linger [seconds]` and `nolinger`.
func (c *eslConn) linger(word, args string) string {
	c.bindMu.Lock()
	defer c.bindMu.Unlock()
	if c.bind == nil {
		return "-ERR not controlling a session"
	}
	if word == "nolinger" {
		c.bind.linger = false
		return "+OK will not linger"
	}
	c.bind.linger = true
	if args == "" {
		c.bind.lingerSecs = lingerForever
		return "+OK will linger"
	}
	// atoi semantics: leading digits, anything else is 0.
	n := 0
	for _, r := range args {
		if r < '0' || r > '9' || n > 1<<20 {
			break
		}
		n = n*10 + int(r-'0')
	}
	c.bind.lingerSecs = n
	return "+OK will linger " + strconv.Itoa(n) + " seconds"
}

// boundHangup runs on the channel goroutine right after the bound
// channel's CHANNEL_HANGUP was queued (or not wanted), so what it queues
// lands exactly after that event. Without linger the connection takes no
// further events and watchBound closes it; with linger the `Content-Disposition:
// linger` notice is queued and the leg's remaining events follow it (2.5).
func (c *eslConn) boundHangup(b *binding) {
	c.bindMu.Lock()
	defer c.bindMu.Unlock()
	select {
	case <-b.disco:
		return
	default:
	}
	if !b.linger {
		c.dying.Store(true)
		close(b.disco)
		return
	}
	notice := &esl.Frame{Headers: esl.Headers{
		{Name: "Content-Type", Value: esl.ContentDisconnectNotice},
		{Name: "Controlled-Session-UUID", Value: b.ch.uuid},
		{Name: "Content-Disposition", Value: "linger"},
		{Name: "Channel-Name", Value: b.ch.name},
		{Name: "Linger-Time", Value: strconv.Itoa(b.lingerSecs)},
		{Name: "Content-Length", Value: "0"},
	}}
	select {
	case c.queue <- &event{raw: notice.AppendTo(nil)}:
	default:
		// A full queue loses the notice like any event (2.9).
		c.a.dropped.events.Add(1)
	}
	close(b.disco)
}

// watchBound waits for the bound channel's hangup, then closes the
// connection at once (no linger) or after the linger time; a bare linger
// leaves it open until exit.
func (c *eslConn) watchBound(b *binding) {
	select {
	case <-b.disco:
	case <-c.closed:
		return
	}
	c.bindMu.Lock()
	lingering, secs := b.linger, b.lingerSecs
	c.bindMu.Unlock()
	if lingering {
		if secs == lingerForever {
			return
		}
		t := time.NewTimer(time.Duration(secs) * time.Second)
		defer t.Stop()
		select {
		case <-t.C:
		case <-c.closed:
			return
		}
	}
	// The events queued before (CHANNEL_HANGUP, or the lingered ones) go
	// out before the notice.
	c.stopWriting()
	c.kill(esl.DisconnectGoodbye)
}

// notice is the disconnect notice with body; a connection bound to a
// channel names it, as FreeSWITCH's send_disconnect does.
func (c *eslConn) notice(body string) *esl.Frame {
	c.bindMu.Lock()
	b := c.bind
	c.bindMu.Unlock()
	if b == nil {
		return esl.DisconnectNotice(body)
	}
	return &esl.Frame{Headers: esl.Headers{
		{Name: "Content-Type", Value: esl.ContentDisconnectNotice},
		{Name: "Controlled-Session-UUID", Value: b.ch.uuid},
		{Name: "Content-Disposition", Value: "disconnect"},
		{Name: "Content-Length", Value: strconv.Itoa(len(body))},
	}, Body: []byte(body)}
}
