package runner

import (
	"context"

	"github.com/callplan/callplan/internal/queue"
)

// eventQueue hands a driver's events to the engine in order without ever
// blocking the driver's reader: pushes go to an internal/queue (unbounded),
// and one goroutine feeds the channel the engine reads. close stops it and
// closes the channel.
//
// The channel is buffered so that the feeding goroutine and the engine's
// pump do not meet for every event: unbuffered, each of the ten or so
// events of a call parked one goroutine and woke the other
// (BenchmarkEventQueue: 1.1-1.6 µs of CPU per event unbuffered, see
// docs/performance.md for the buffered figure).
type eventQueue struct {
	q      queue.Queue[LegEvent]
	out    chan LegEvent
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

func newEventQueue() *eventQueue {
	ctx, cancel := context.WithCancel(context.Background())
	q := &eventQueue{out: make(chan LegEvent, queueBuffer), ctx: ctx, cancel: cancel, done: make(chan struct{})}
	go q.deliver()
	return q
}

// queueBuffer is how many events may wait in the channel: a burst of a
// few calls' events, not a second queue (the unbounded one is q).
const queueBuffer = 64

// push queues ev; it never blocks.
func (q *eventQueue) push(ev LegEvent) { q.q.Push(ev) }

// events is the receiving end.
func (q *eventQueue) events() <-chan LegEvent { return q.out }

// close stops delivery (what is queued is dropped, but for what already
// sits in the channel's buffer) and waits for it.
func (q *eventQueue) close() {
	q.cancel()
	q.q.Close(nil)
	<-q.done
}

func (q *eventQueue) deliver() {
	defer close(q.done)
	defer close(q.out)
	for {
		ev, err := q.q.Pop(q.ctx)
		if err != nil {
			return
		}
		select {
		case q.out <- ev:
		case <-q.ctx.Done():
			return
		}
	}
}
