package agent

import (
	"sync"
	"sync/atomic"
	"time"
)

// subscriber receives events: an ESL connection, or a test's recorder.
type subscriber interface {
	// wants reports whether the subscriber's subscriptions cover the event
	// type; it is asked before the event is built, so unwanted events cost
	// nothing but a sequence number.
	wants(name, subclass string) bool
	// deliver hands over an event; it must not block (ESL connections
	// queue it, bounded).
	deliver(e *event)
}

// hub numbers and dispatches events to subscribers.
type hub struct {
	id   *identity
	seq  atomic.Uint64
	mu   sync.Mutex
	subs atomic.Pointer[[]subscriber] // copy-on-write
}

func newHub(id *identity) *hub {
	h := &hub{id: id}
	empty := []subscriber{}
	h.subs.Store(&empty)
	return h
}

func (h *hub) add(s subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	old := *h.subs.Load()
	next := make([]subscriber, 0, len(old)+1)
	next = append(next, old...)
	next = append(next, s)
	h.subs.Store(&next)
}

func (h *hub) remove(s subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	old := *h.subs.Load()
	next := make([]subscriber, 0, len(old))
	for _, x := range old {
		if x != s {
			next = append(next, x)
		}
	}
	h.subs.Store(&next)
}

// fire assigns the next Event-Sequence and, when anyone wants the event,
// builds it (core headers, then build's) and delivers it. Sequence numbers
// of events nobody wanted are skipped, as FreeSWITCH's are (3.1).
func (h *hub) fire(name, subclass string, build func(*event)) {
	h.fireSized(name, subclass, 24, build)
}

// fireSized is fire with the expected number of headers, so channel events
// carrying a hundred variables are allocated once.
func (h *hub) fireSized(name, subclass string, size int, build func(*event)) {
	seq := h.seq.Add(1)
	subs := *h.subs.Load()
	var room [4]subscriber // on the stack: most events go to one or two connections
	targets := room[:0]
	for _, s := range subs {
		if s.wants(name, subclass) {
			targets = append(targets, s)
		}
	}
	if len(targets) == 0 {
		return
	}
	e := h.id.newEvent(name, subclass, seq, time.Now(), size)
	if build != nil {
		build(e)
	}
	e.wire.shared = len(targets) > 1
	e.hold(len(targets))
	for _, s := range targets {
		s.deliver(e)
	}
}
