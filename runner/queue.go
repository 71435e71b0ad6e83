package runner

import "sync"

// eventQueue hands a driver's events to the engine in order without ever
// blocking the driver's reader: pushes append to an unbounded slice, and
// one goroutine feeds the channel. Close stops it and closes the channel.
type eventQueue struct {
	mu     sync.Mutex
	queue  []LegEvent
	wake   chan struct{}
	out    chan LegEvent
	closed chan struct{}
	once   sync.Once
	done   chan struct{}
}

func newEventQueue() *eventQueue {
	q := &eventQueue{
		wake: make(chan struct{}, 1), out: make(chan LegEvent),
		closed: make(chan struct{}), done: make(chan struct{}),
	}
	go q.deliver()
	return q
}

// push queues ev.
func (q *eventQueue) push(ev LegEvent) {
	q.mu.Lock()
	q.queue = append(q.queue, ev)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// events is the receiving end.
func (q *eventQueue) events() <-chan LegEvent { return q.out }

// close stops delivery (what is queued is dropped) and waits for it.
func (q *eventQueue) close() {
	q.once.Do(func() { close(q.closed) })
	<-q.done
}

func (q *eventQueue) deliver() {
	defer close(q.done)
	defer close(q.out)
	for {
		q.mu.Lock()
		if len(q.queue) == 0 {
			q.mu.Unlock()
			select {
			case <-q.wake:
				continue
			case <-q.closed:
				return
			}
		}
		ev := q.queue[0]
		q.queue[0] = LegEvent{}
		q.queue = q.queue[1:]
		q.mu.Unlock()
		select {
		case q.out <- ev:
		case <-q.closed:
			return
		}
	}
}
