package queue

import (
	"context"
	"errors"
	"sync"
)

// ErrClosed is what Pop returns from a queue closed with a nil error.
var ErrClosed = errors.New("queue closed")

// compactAfter is how many taken slots may sit at the front of the backing
// array before they are reclaimed: taking is O(1), and a queue that never
// drains completely still does not grow without bound.
const compactAfter = 1024

// Queue is an unbounded FIFO queue of T. The zero value is an empty, open
// queue ready to use; a Queue must not be copied after first use.
type Queue[T any] struct {
	mu     sync.Mutex
	items  []T
	head   int // items[head:] are queued
	maxLen int
	closed bool
	err    error
	ready  chan struct{} // holds a token while something may be waiting
}

// readyLocked returns the ready channel, making it on first use.
// q.mu must be held.
func (q *Queue[T]) readyLocked() chan struct{} {
	if q.ready == nil {
		q.ready = make(chan struct{}, 1)
	}
	return q.ready
}

// signal leaves a token in ready unless one is already there, so a waiting
// consumer wakes without the producer ever blocking.
func signal(ready chan struct{}) {
	select {
	case ready <- struct{}{}:
	default:
	}
}

// Push queues v at the back. It never blocks. After Close it drops v and
// returns false.
func (q *Queue[T]) Push(v T) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, v)
	if n := len(q.items) - q.head; n > q.maxLen {
		q.maxLen = n
	}
	ready := q.readyLocked()
	q.mu.Unlock()
	signal(ready)
	return true
}

// PushFront queues vs ahead of everything queued, in their order, so that
// they are taken next. After Close it drops them and returns false.
func (q *Queue[T]) PushFront(vs ...T) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	rest := q.items[q.head:]
	items := make([]T, 0, len(vs)+len(rest))
	q.items, q.head = append(append(items, vs...), rest...), 0
	if n := len(q.items); n > q.maxLen {
		q.maxLen = n
	}
	ready := q.readyLocked()
	q.mu.Unlock()
	signal(ready)
	return true
}

// TryPop takes the front item without waiting; ok is false when the queue
// is empty.
func (q *Queue[T]) TryPop() (v T, ok bool) {
	q.mu.Lock()
	v, ok = q.popLocked()
	q.mu.Unlock()
	return v, ok
}

func (q *Queue[T]) popLocked() (v T, ok bool) {
	if q.head == len(q.items) {
		return v, false
	}
	v = q.items[q.head]
	var zero T
	q.items[q.head] = zero // let the garbage collector have it
	q.head++
	switch {
	case q.head == len(q.items):
		// Drained: reuse the array from the start.
		q.items, q.head = q.items[:0], 0
	case q.head > compactAfter && q.head*2 > len(q.items):
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	return v, true
}

// Drain takes everything queued, in order; nil when the queue is empty.
func (q *Queue[T]) Drain() []T {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.head == len(q.items) {
		return nil
	}
	// Hand the array over rather than copy it: the queue starts a new one.
	vs := q.items[q.head:]
	q.items, q.head = nil, 0
	return vs
}

// Pop takes the front item, waiting for one until ctx ends. Once the queue
// is closed and empty it returns the error given to Close.
func (q *Queue[T]) Pop(ctx context.Context) (T, error) {
	for {
		q.mu.Lock()
		v, ok := q.popLocked()
		closed, err := q.closed, q.err
		ready := q.readyLocked()
		q.mu.Unlock()
		if ok {
			return v, nil
		}
		if closed {
			return v, err
		}
		select {
		case <-ready:
		case <-ctx.Done():
			return v, ctx.Err()
		}
	}
}

// Ready delivers a token after a Push, PushFront or Close, for consumers
// that select on it alongside other channels. One token may stand for many
// pushes, so after receiving it take everything (Drain, or TryPop until it
// fails) before waiting again.
func (q *Queue[T]) Ready() <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.readyLocked()
}

// Close ends the queue: later pushes are dropped, and Pop returns err (or
// ErrClosed when err is nil) once the items already queued are taken. Only
// the first Close counts.
func (q *Queue[T]) Close(err error) {
	if err == nil {
		err = ErrClosed
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.closed, q.err = true, err
	ready := q.readyLocked()
	q.mu.Unlock()
	signal(ready)
}

// Len is the number of items queued and not yet taken.
func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) - q.head
}

// MaxLen is the most items the queue has held at once: how far its
// consumer has lagged behind.
func (q *Queue[T]) MaxLen() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.maxLen
}
