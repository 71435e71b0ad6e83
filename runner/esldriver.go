package runner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/callplan/callplan/esl"
)

// ESLDriver is the Driver of a node that speaks FreeSWITCH's Event Socket
// (FreeSWITCH itself, or a callplan agent), on the esl package's client:
// FIFO replies, unbounded event queues, reconnect with backoff, heartbeat
// liveness. Its command text lives in eslcommands.go and its reading of
// events in eslevents.go.
type ESLDriver struct {
	c    *esl.Conn
	sub  *esl.Subscription
	orig ESLOriginate
	dial func(ctx context.Context, network, addr string) (net.Conn, error)

	q *eventQueue

	mu     sync.Mutex
	down   bool // the link is down (reported, not yet back)
	health Health
	hbAt   time.Time // when the last heartbeat arrived

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

var _ Driver = (*ESLDriver)(nil)

// ESLOption configures DialESL.
type ESLOption func(*ESLDriver)

// WithOriginate sets how the node places calls (profile, gateway, ...).
func WithOriginate(o ESLOriginate) ESLOption { return func(d *ESLDriver) { d.orig = o } }

// WithDialer reaches the node through dial instead of TCP (esl.WithDialer):
// the embedded agent in the runner's own process, over an in-memory
// connection that carries the same Event Socket bytes.
func WithDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) ESLOption {
	return func(d *ESLDriver) { d.dial = dial }
}

// DialESL connects and authenticates to a node's Event Socket at addr,
// subscribes to the events the runner needs, and keeps the connection up
// (reconnecting with backoff, dropping it when heartbeats stop) until
// Close. The password is never logged or put in an error.
func DialESL(ctx context.Context, addr, password string, opts ...ESLOption) (*ESLDriver, error) {
	d := &ESLDriver{
		orig:   ESLOriginate{Profile: "external"},
		health: UnknownHealth(),
		q:      newEventQueue(),
	}
	for _, o := range opts {
		o(d)
	}
	d.ctx, d.cancel = context.WithCancel(context.WithoutCancel(ctx))
	eopts := []esl.Option{
		esl.WithReconnect(100*time.Millisecond, 5*time.Second),
		// FreeSWITCH heartbeats every 20 s by default: three missed and
		// the node is taken for dead even if TCP has not noticed.
		esl.WithHeartbeatTimeout(65 * time.Second),
		esl.WithEventHeaders(keepHeader),
		esl.WithStateHandler(d.state),
	}
	if d.dial != nil {
		eopts = append(eopts, esl.WithDialer(d.dial))
	}
	c, err := esl.Dial(ctx, addr, password, eopts...)
	if err != nil {
		d.cancel()
		d.q.close()
		return nil, fmt.Errorf("connecting to %s: %w", addr, err)
	}
	d.c = c
	names := subscribedEvents()
	d.sub = c.Events(names...)
	if err := c.Subscribe(ctx, names...); err != nil {
		d.cancel()
		d.q.close()
		_ = c.Close()
		return nil, fmt.Errorf("subscribing on %s: %w", addr, err)
	}
	d.wg.Add(2)
	go d.pump()
	go d.pollStatus()
	return d, nil
}

// Originate implements Driver: "bgapi originate ..." with the call id as
// its Job-UUID, so the BACKGROUND_JOB names the call (eslevents.go). The
// Job-UUID is registered before sending, so the result cannot race the
// reply.
func (d *ESLDriver) Originate(ctx context.Context, o Origination) error {
	if err := safeArg(o.CallID); err != nil {
		return fmt.Errorf("%w: call id: %w", ErrBadOrigination, err)
	}
	cmd, err := originateCommand(o, d.orig)
	if err != nil {
		return err
	}
	_, err = d.c.Send(ctx, esl.Command{Line: "bgapi " + cmd, Headers: esl.Headers{{Name: "Job-UUID", Value: o.CallID}}})
	return err
}

// CallerParks implements CallerParker: a caller leg originated with
// &park() (the default) takes commands once its park starts, which it
// reports as CHANNEL_PARK (EventParked; the CHANNEL_EXECUTE of park comes
// just before it, in the same tick in esl/testdata/fixtures/01, so the
// driver does not subscribe to every leg's CHANNEL_EXECUTE for it). A
// plan's other originate app never parks the leg: no wait then.
func (d *ESLDriver) CallerParks() bool { return d.orig.App == "" || d.orig.App == "park" }

// Act implements Driver: an api command per action (uuid_answer,
// uuid_kill, uuid_broadcast, ...), or sendmsg execute for ActExecute.
func (d *ESLDriver) Act(ctx context.Context, legID string, a Action) error {
	if a.Kind == ActExecute {
		if err := safeArg(legID); err != nil {
			return err
		}
		h, err := executeMessage(a)
		if err != nil {
			return err
		}
		if err := d.c.SendMsg(ctx, legID, h, nil); err != nil {
			return fmt.Errorf("execute %s: %w", a.App, err)
		}
		return nil
	}
	cmd, err := actionCommand(legID, a)
	if err != nil {
		return err
	}
	_, err = d.API(ctx, cmd)
	return err
}

// EndRun implements Driver with hupall filtered on the run's variable.
func (d *ESLDriver) EndRun(ctx context.Context, runID, cause string) (string, error) {
	if err := safeArg(runID); err != nil {
		return "", err
	}
	if err := safeArg(cause); err != nil {
		return "", err
	}
	return d.API(ctx, hupallCommand(cause, runID))
}

// API runs an api command and checks its reply: a refusal (-ERR ...)
// is an error wrapping ErrRefused that quotes it. For FreeSWITCH-only
// tools (preflight, hangup --all); the engine uses the Driver methods.
func (d *ESLDriver) API(ctx context.Context, cmd string) (string, error) {
	body, err := d.c.API(ctx, cmd)
	var ce *esl.CommandError
	if errors.As(err, &ce) {
		body, err = ce.Reply, nil
	}
	return checkReply(cmd, body, err)
}

// Health implements Driver.
func (d *ESLDriver) Health() Health {
	d.mu.Lock()
	defer d.mu.Unlock()
	h := d.health
	if !d.hbAt.IsZero() {
		h.HeartbeatAge = time.Since(d.hbAt)
	}
	return h
}

// Events implements Driver.
func (d *ESLDriver) Events() <-chan LegEvent { return d.q.events() }

// Close implements Driver.
func (d *ESLDriver) Close() error {
	err := d.c.Close()
	d.cancel()
	d.wg.Wait()
	d.q.close()
	return err
}

func (d *ESLDriver) state(s esl.StateChange) {
	d.mu.Lock()
	wasDown := d.down
	d.down = s.State != esl.StateConnected
	d.mu.Unlock()
	switch {
	case s.State == esl.StateDisconnected && !wasDown:
		d.emit(LegEvent{Kind: EventNodeDown, Err: s.Err, Received: time.Now()})
	case s.State == esl.StateConnected && wasDown:
		// The first connect is reported too; only a reconnect is news.
		d.emit(LegEvent{Kind: EventNodeUp, Received: time.Now()})
	}
}

// pump translates the subscription's events into the queue.
func (d *ESLDriver) pump() {
	defer d.wg.Done()
	for {
		ev, err := d.sub.Next(d.ctx)
		if err != nil {
			if !errors.Is(err, context.Canceled) && !errors.Is(err, esl.ErrClosed) {
				d.emit(LegEvent{Kind: EventNodeDown, Err: err, Received: time.Now()})
			}
			return
		}
		le, ok := translate(ev, time.Now())
		if !ok {
			continue
		}
		if le.Kind == EventHeartbeat {
			d.mu.Lock()
			d.health, d.hbAt = le.Health, le.Received
			d.mu.Unlock()
		}
		d.emit(le)
	}
}

// emit queues an event without ever blocking the caller.
func (d *ESLDriver) emit(ev LegEvent) { d.q.push(ev) }
