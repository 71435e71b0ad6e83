package esl

import (
	"context"
	"strings"
	"sync"
)

// Subscription is an in-order stream of the events a Conn routes to it
// (by Unique-ID, by event name, or all). Its queue is unbounded so the
// connection's reader never waits for a slow consumer: a blocked reader
// would stall api replies behind unread events (go-eventsocket's 16-slot
// channel does exactly that). Len and MaxLen show how far a consumer lags.
type Subscription struct {
	conn   *Conn
	keys   []subKey
	notify chan struct{}

	// lastRouted is touched only by the routing goroutine: it drops the
	// second copy of an event matching two of keys.
	lastRouted *Event

	mu     sync.Mutex
	queue  []*Event
	head   int
	maxLen int
	err    error // set when no more events will come
}

type subKind int

const (
	subAll subKind = iota
	subName
	subSubclass
	subUniqueID
)

type subKey struct {
	kind subKind
	val  string
}

func newSubscription(c *Conn, keys ...subKey) *Subscription {
	return &Subscription{conn: c, keys: keys, notify: make(chan struct{}, 1)}
}

// push queues e; it never blocks.
func (s *Subscription) push(e *Event) {
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return
	}
	s.queue = append(s.queue, e)
	if n := len(s.queue) - s.head; n > s.maxLen {
		s.maxLen = n
	}
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// end stops the stream after the events already queued.
func (s *Subscription) end(err error) {
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// Next returns the next event, waiting for one until ctx ends. Events
// queued before the connection ended are all returned before the error
// (ErrClosed after Close or Subscription.Close, else the connection's
// error), so none are lost.
func (s *Subscription) Next(ctx context.Context) (*Event, error) {
	for {
		s.mu.Lock()
		if s.head < len(s.queue) {
			e := s.queue[s.head]
			s.queue[s.head] = nil
			s.head++
			if s.head == len(s.queue) {
				// Reuse the array from the start once drained.
				s.queue, s.head = s.queue[:0], 0
			} else if s.head > 1024 && s.head*2 > len(s.queue) {
				n := copy(s.queue, s.queue[s.head:])
				s.queue, s.head = s.queue[:n], 0
			}
			s.mu.Unlock()
			return e, nil
		}
		err := s.err
		s.mu.Unlock()
		if err != nil {
			return nil, err
		}
		select {
		case <-s.notify:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Len is the number of events queued and not yet taken.
func (s *Subscription) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue) - s.head
}

// MaxLen is the longest the queue has been: how far the consumer lagged.
func (s *Subscription) MaxLen() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxLen
}

// Close stops routing to s; Next returns what is queued, then ErrClosed.
func (s *Subscription) Close() {
	s.conn.router.remove(s)
	s.end(ErrClosed)
}

// router fans events out to subscriptions. Lookups are map hits under a
// read lock, so routing costs little per event on the reader goroutine.
type router struct {
	mu     sync.RWMutex
	subs   map[subKey][]*Subscription
	closed error
}

func (r *router) add(s *Subscription) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed != nil {
		s.end(r.closed)
		return
	}
	if r.subs == nil {
		r.subs = map[subKey][]*Subscription{}
	}
	for _, k := range s.keys {
		r.subs[k] = append(r.subs[k], s)
	}
}

func (r *router) remove(s *Subscription) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range s.keys {
		list := r.subs[k]
		for i, x := range list {
			if x == s {
				list = append(list[:i:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(r.subs, k)
		} else {
			r.subs[k] = list
		}
	}
}

// route delivers e to every subscription that wants it, in arrival order.
func (r *router) route(e *Event) {
	name := e.Name()
	r.mu.RLock()
	defer r.mu.RUnlock()
	if len(r.subs) == 0 {
		return
	}
	deliver := func(list []*Subscription) {
		for _, s := range list {
			if s.lastRouted != e {
				s.lastRouted = e
				s.push(e)
			}
		}
	}
	deliver(r.subs[subKey{subAll, ""}])
	deliver(r.subs[subKey{subName, upperASCII(name)}])
	if name == "CUSTOM" {
		deliver(r.subs[subKey{subSubclass, e.Subclass()}])
	}
	if id := e.UniqueID(); id != "" {
		deliver(r.subs[subKey{subUniqueID, id}])
	}
}

// closeAll ends every subscription with err; later ones end at once.
func (r *router) closeAll(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = err
	for _, list := range r.subs {
		for _, s := range list {
			s.end(err)
		}
	}
	r.subs = nil
}

// upperASCII upper-cases event names without allocating when they already
// are (FreeSWITCH sends them upper case).
func upperASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'a' <= s[i] && s[i] <= 'z' {
			return strings.ToUpper(s)
		}
	}
	return s
}
