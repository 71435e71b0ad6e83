package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/callplan/callplan/esl"
)

// eslClient adapts esl.Conn (the esl package's client: FIFO replies,
// unbounded event queues, Job-UUIDs registered before sending, reconnect
// with backoff, heartbeat liveness) to the runner's Conn.
//
// bgapi is sent with the runner's own Job-UUID header (registered in the
// engine before sending, so the result cannot race the reply); esl.Conn
// routes the BACKGROUND_JOB event to the catch-all subscription like any
// other event.
type eslClient struct {
	c   *esl.Conn
	sub *esl.Subscription

	mu    sync.Mutex
	down  bool // the link is down (reported, not yet back)
	queue []ConnEvent
	wake  chan struct{}
	out   chan ConnEvent

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// DialESL connects and authenticates to a node's Event Socket at addr,
// subscribes to the events the runner needs, and keeps the connection up
// (reconnecting with backoff, dropping it when heartbeats stop) until
// Close. The password is never logged or put in an error.
func DialESL(ctx context.Context, addr, password string) (Conn, error) {
	a := &eslClient{
		wake: make(chan struct{}, 1), out: make(chan ConnEvent),
	}
	a.ctx, a.cancel = context.WithCancel(context.WithoutCancel(ctx))
	c, err := esl.Dial(ctx, addr, password,
		esl.WithReconnect(100*time.Millisecond, 5*time.Second),
		// FreeSWITCH heartbeats every 20 s by default: three missed and
		// the node is taken for dead even if TCP has not noticed.
		esl.WithHeartbeatTimeout(65*time.Second),
		esl.WithStateHandler(a.state))
	if err != nil {
		a.cancel()
		return nil, fmt.Errorf("connecting to %s: %w", addr, err)
	}
	a.c = c
	a.sub = c.Events(SubscribedEvents...)
	if err := c.Subscribe(ctx, SubscribedEvents...); err != nil {
		a.cancel()
		_ = c.Close()
		return nil, fmt.Errorf("subscribing on %s: %w", addr, err)
	}
	a.wg.Add(2)
	go a.pump()
	go a.deliver()
	return a, nil
}

func (a *eslClient) state(s esl.StateChange) {
	a.mu.Lock()
	wasDown := a.down
	a.down = s.State != esl.StateConnected
	a.mu.Unlock()
	switch {
	case s.State == esl.StateDisconnected && !wasDown:
		a.emit(ConnEvent{Down: true, Err: s.Err})
	case s.State == esl.StateConnected && wasDown:
		// The first connect is reported too; only a reconnect is news.
		a.emit(ConnEvent{Up: true})
	}
}

// pump moves the subscription's events into the queue, rewriting job ids.
func (a *eslClient) pump() {
	defer a.wg.Done()
	for {
		ev, err := a.sub.Next(a.ctx)
		if err != nil {
			if !errors.Is(err, context.Canceled) && !errors.Is(err, esl.ErrClosed) {
				a.emit(ConnEvent{Down: true, Err: err})
			}
			return
		}
		a.emit(ConnEvent{Event: ev})
	}
}

// emit queues an event without ever blocking the caller.
func (a *eslClient) emit(ev ConnEvent) {
	a.mu.Lock()
	a.queue = append(a.queue, ev)
	a.mu.Unlock()
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

func (a *eslClient) deliver() {
	defer a.wg.Done()
	defer close(a.out)
	for {
		a.mu.Lock()
		if len(a.queue) == 0 {
			a.mu.Unlock()
			select {
			case <-a.wake:
				continue
			case <-a.ctx.Done():
				return
			}
		}
		ev := a.queue[0]
		a.queue[0] = ConnEvent{}
		a.queue = a.queue[1:]
		a.mu.Unlock()
		select {
		case a.out <- ev:
		case <-a.ctx.Done():
			return
		}
	}
}

// Events implements Conn.
func (a *eslClient) Events() <-chan ConnEvent { return a.out }

// API implements Conn. A refusal (-ERR ...) comes back as the reply body,
// which the runner checks, rather than as an error.
func (a *eslClient) API(ctx context.Context, cmd string) (string, error) {
	body, err := a.c.Api(ctx, cmd)
	var ce *esl.CommandError
	if errors.As(err, &ce) {
		return ce.Reply, nil
	}
	return body, err
}

// BgAPI implements Conn: "bgapi <cmd>" with the runner's Job-UUID.
func (a *eslClient) BgAPI(ctx context.Context, cmd, jobUUID string) error {
	_, err := a.c.Send(ctx, esl.Command{Line: "bgapi " + cmd, Headers: esl.Headers{{Name: "Job-UUID", Value: jobUUID}}})
	return err
}

// Close implements Conn.
func (a *eslClient) Close() error {
	err := a.c.Close()
	a.cancel()
	a.wg.Wait()
	return err
}
