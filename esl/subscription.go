package esl

import (
	"context"
	"strings"
	"sync"

	"github.com/callplan/callplan/internal/queue"
)

// Subscription is an in-order stream of the events a Conn routes to it
// (by Unique-ID, by event name, or all). Its queue is unbounded so the
// connection's reader never waits for a slow consumer: a blocked reader
// would stall api replies behind unread events (go-eventsocket's 16-slot
// channel does exactly that). Len and MaxLen show how far a consumer lags.
type Subscription struct {
	conn *Conn
	keys []subKey

	// lastRouted is touched only by the routing goroutine: it drops the
	// second copy of an event matching two of keys.
	lastRouted *Event

	q queue.Queue[*Event]
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
	return &Subscription{conn: c, keys: keys}
}

// push queues e; it never blocks.
func (s *Subscription) push(e *Event) { s.q.Push(e) }

// end stops the stream after the events already queued.
func (s *Subscription) end(err error) { s.q.Close(err) }

// Next returns the next event, waiting for one until ctx ends. Events
// queued before the connection ended are all returned before the error
// (ErrClosed after Close or Subscription.Close, else the connection's
// error), so none are lost.
func (s *Subscription) Next(ctx context.Context) (*Event, error) { return s.q.Pop(ctx) }

// Len is the number of events queued and not yet taken.
func (s *Subscription) Len() int { return s.q.Len() }

// MaxLen is the longest the queue has been: how far the consumer lagged.
func (s *Subscription) MaxLen() int { return s.q.MaxLen() }

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
