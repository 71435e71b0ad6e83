package agent

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callplan/callplan/esl"
)

const (
	// authTimeout: FreeSWITCH drops a connection that sends no complete
	// frame within 25 s of connecting (2.1).
	authTimeout = 25 * time.Second
	// maxConsecutiveDrops: after more than this many events dropped in a
	// row, FreeSWITCH kills the listener (2.9).
	maxConsecutiveDrops = 500
	lostEventsNotice    = "killed listener because of lost events\n"
	shutdownNotice      = "The system is being shut down.\n"
)

// dropCounter counts what slow ESL clients cost: events dropped because a
// connection's queue was full, and connections killed for it.
type dropCounter struct {
	events  atomic.Uint64
	killed  atomic.Uint64
	clients atomic.Int64
}

// DroppedEvents is the number of events dropped on full client queues.
func (a *Agent) DroppedEvents() uint64 { return a.dropped.events.Load() }

// KilledListeners is the number of ESL connections closed for lost events.
func (a *Agent) KilledListeners() uint64 { return a.dropped.killed.Load() }

func (a *Agent) acceptLoop(ln net.Listener) {
	for {
		nc, err := ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				a.log.Warn("esl accept", "err", err)
			}
			return
		}
		c := newESLConn(a, nc)
		a.conns.Store(c, struct{}{})
		a.dropped.clients.Add(1)
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			defer a.conns.Delete(c)
			defer a.dropped.clients.Add(-1)
			c.serve()
		}()
	}
}

// eslConn is one inbound ESL connection.
type eslConn struct {
	a      *Agent
	nc     net.Conn
	ctx    context.Context
	cancel context.CancelFunc

	writeMu sync.Mutex
	drainMu sync.Mutex // held while taking events from queue and writing them
	wbuf    []byte     // the writer's batch buffer, under drainMu
	replies []byte     // replies waiting for the writer (writeReply), under drainMu
	// state is the format, subscriptions and filters: changed by the
	// command goroutine as a copy (esl.Listener.Clone), read by dispatch.
	state atomic.Pointer[esl.Listener]

	queue       chan *event
	replyReady  chan struct{} // wakes the writer for replies; holds one wake-up
	stopWriter  chan struct{} // closed to make the writer flush and stop
	stopOnce    sync.Once
	writerDone  chan struct{}
	consecutive atomic.Int64
	dying       atomic.Bool
	closeOnce   sync.Once
	closed      chan struct{}

	bindMu  sync.Mutex
	bind    *binding               // myevents, under bindMu
	boundID atomic.Pointer[string] // the bound channel's uuid, for deliver
	bg      sync.WaitGroup         // the bound channel's hangup watcher
}

func newESLConn(a *Agent, nc net.Conn) *eslConn {
	ctx, cancel := context.WithCancel(a.ctx)
	c := &eslConn{a: a, nc: nc, ctx: ctx, cancel: cancel,
		queue: make(chan *event, a.cfg.EventQueue), closed: make(chan struct{}),
		replyReady: make(chan struct{}, 1),
		stopWriter: make(chan struct{}), writerDone: make(chan struct{})}
	c.state.Store(esl.NewListener())
	return c
}

// wants implements subscriber. A connection bound with myevents always
// takes its channel's CHANNEL_HANGUP, which ends or lingers it (2.5).
func (c *eslConn) wants(name, subclass string) bool {
	if name == "CHANNEL_HANGUP" && c.boundID.Load() != nil && !c.dying.Load() {
		return true
	}
	return c.subscribed(name, subclass)
}

// subscribed reports whether the connection's event subscriptions cover
// the event type.
func (c *eslConn) subscribed(name, subclass string) bool {
	return !c.dying.Load() && c.state.Load().Subscribed(name, subclass)
}

// update applies a command to a copy of the connection's state and
// publishes the copy; commands come one at a time from serve.
func (c *eslConn) update(cmd func(l *esl.Listener) string) string {
	l := c.state.Load().Clone()
	reply := cmd(l)
	c.state.Store(l)
	return reply
}

func (c *eslConn) write(f *esl.Frame) error {
	return c.writeBytes(f.AppendTo(nil))
}

func (c *eslConn) writeBytes(b []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_, err := c.nc.Write(b)
	return err
}

// kill sends a disconnect notice and closes the connection.
func (c *eslConn) kill(notice string) {
	_ = c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	_ = c.write(c.notice(notice))
	c.close()
}

func (c *eslConn) close() {
	c.closeOnce.Do(func() {
		c.dying.Store(true)
		c.a.hub.remove(c)
		c.cancel()
		_ = c.nc.Close()
		close(c.closed)
	})
}

// shutdown is the agent going away: the events of the calls it just hung
// up go out first, then the notice.
func (c *eslConn) shutdown() {
	_ = c.nc.SetWriteDeadline(time.Now().Add(2 * time.Second))
	c.stopWriting()
	c.kill(shutdownNotice)
}

// serve runs the connection: a writer goroutine drains the event queue,
// this goroutine reads commands and answers them one at a time, in order.
func (c *eslConn) serve() {
	c.a.hub.add(c)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); c.writeEvents() }()
	defer func() {
		c.close()
		wg.Wait()
		c.bg.Wait()
	}()
	if err := c.write(esl.AuthRequest()); err != nil {
		return
	}
	r := esl.NewReader(c.nc)
	authed := false
	_ = c.nc.SetReadDeadline(time.Now().Add(authTimeout))
	for {
		cmd, err := r.ReadCommand()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && !authed {
				c.kill(esl.DisconnectGoodbye)
			} else if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				c.a.log.Debug("esl read", "err", err)
			}
			return
		}
		word, rest := esl.SplitCommand(cmd.Line)
		if !authed {
			step, reply := esl.Authenticate(word, rest, c.a.cfg.Password)
			switch step {
			case esl.AuthRefused:
				_ = c.write(esl.CommandReply(reply))
				c.kill(esl.DisconnectGoodbye)
				return
			case esl.AuthExit:
				c.exit()
				return
			case esl.AuthAccepted:
				authed = true
				_ = c.nc.SetReadDeadline(time.Time{})
			}
			_ = c.write(esl.CommandReply(reply))
			continue
		}
		if word == "exit" {
			c.exit()
			return
		}
		if err := c.handle(word, rest, cmd); err != nil {
			return
		}
	}
}

func (c *eslConn) exit() {
	// Events queued before exit go out before the reply, as FreeSWITCH's
	// connection thread writes them between commands.
	c.stopWriting()
	_ = c.write(esl.CommandReply(esl.ReplyBye))
	c.kill(esl.DisconnectGoodbye)
}

// handle answers one command after auth. A non-nil error closes the
// connection.
func (c *eslConn) handle(word, rest string, cmd *esl.Command) error {
	reply := func(text string, extra ...esl.Header) error {
		return c.writeReply(esl.CommandReply(text, extra...))
	}
	switch word {
	case "event":
		return reply(c.update(func(l *esl.Listener) string { return l.Event(rest) }))
	case "nixevent":
		return reply(c.update(func(l *esl.Listener) string { return l.NixEvent(rest) }))
	case "noevents":
		r := c.update((*esl.Listener).NoEvents)
		if r == esl.ReplyNoEvents {
			c.drain()
		}
		return reply(r)
	case "filter":
		return reply(c.update(func(l *esl.Listener) string { return l.Filter(rest) }))
	case "api":
		name, args, _ := strings.Cut(rest, " ")
		out, after := c.a.execAPI(c.ctx, name, strings.TrimSpace(args))
		if out == "" {
			out = "-ERR no reply\n"
		}
		err := c.writeReply(esl.APIResponse(out))
		if after != nil {
			after()
		}
		return err
	case "bgapi":
		jobID := esl.JobUUID(cmd, c.a.newUUID)
		if err := reply("+OK Job-UUID: "+jobID, esl.Header{Name: "Job-UUID", Value: jobID}); err != nil {
			return err
		}
		name, args, _ := strings.Cut(rest, " ")
		args = strings.TrimSpace(args)
		if strings.EqualFold(name, "originate") {
			if oc, ok := originateLater(args); ok {
				c.a.originateJob(jobID, name, args, oc)
				return nil
			}
		}
		// Commands that return at once run inline, so their job event
		// directly follows the reply, before the next command is read
		// (captured: 10a).
		c.a.finishJob(jobID, name, args)
		return nil
	case "sendmsg":
		return reply(c.a.sendmsg(rest, cmd))
	case "myevents":
		return reply(c.myevents(rest))
	case "linger", "nolinger":
		return reply(c.linger(word, rest))
	}
	return reply(esl.ReplyCommandNotFound)
}

// finishJob runs a job's command and fires its BACKGROUND_JOB.
func (a *Agent) finishJob(jobID, cmd, args string) {
	out, after := a.execAPI(a.ctx, cmd, args)
	a.fireJob(jobID, cmd, args, out)
	if after != nil {
		after()
	}
}

// fireJob fires a job's BACKGROUND_JOB with its output.
func (a *Agent) fireJob(jobID, cmd, args, out string) {
	a.hub.fire("BACKGROUND_JOB", "", func(e *event) {
		e.Headers = append(e.Headers,
			header{"Job-UUID", jobID},
			header{"Job-Command", cmd})
		e.add("Job-Command-Arg", args)
		e.Body = out
	})
}
