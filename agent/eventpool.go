package agent

import (
	"sync"
	"sync/atomic"
)

// An event's header list is the largest thing the agent allocates per
// event: a channel event carries its channel's every variable, about 150
// headers (4.8 kB of list, all pointers for the garbage collector to
// scan), and a loop call fires about 20 events. The lists of events that
// every subscriber has finished with are reused for the next events.
//
// The hub marks an event with the number of subscribers it hands it to
// (hold); each ESL connection releases it exactly once, when it has
// written the event, filtered it out or dropped it. The last release
// returns the list. A subscriber that never releases (a test's recorder,
// a connection closed with events still queued) leaves the event to the
// garbage collector as before, so a missed release costs only the reuse.

// pooledHeaders is the smallest channel-event list reused through
// headerLists. The core events (BACKGROUND_JOB, HEARTBEAT, API) need about
// 20 headers: their lists are made smallHeaders long and reused through
// smallLists (a loop call fires three BACKGROUND_JOBs, 2.3 kB of lists).
const (
	pooledHeaders = 64
	smallHeaders  = 32
)

var headerLists, smallLists sync.Pool

// eventRefs counts the subscribers still holding an event.
type eventRefs struct{ n atomic.Int32 }

// newHeaders returns an empty header list with room for size headers.
func newHeaders(size int) []header {
	if size <= smallHeaders {
		if p, _ := smallLists.Get().(*[]header); p != nil {
			return (*p)[:0]
		}
		return make([]header, 0, smallHeaders)
	}
	if size < pooledHeaders {
		return make([]header, 0, size)
	}
	if p, _ := headerLists.Get().(*[]header); p != nil && cap(*p) >= size {
		return (*p)[:0]
	}
	// A channel gains variables as its call goes on: leave room so the
	// list fits its later events too.
	return make([]header, 0, size+size/4)
}

// hold marks e as handed to n subscribers, each of which releases it once.
func (e *event) hold(n int) { e.refs.n.Store(int32(n)) }

// release is a subscriber done with e. The last one returns e's header
// list for reuse; e must not be read after its release.
func (e *event) release() {
	if e.refs.n.Add(-1) != 0 {
		return
	}
	hs := e.Headers
	e.Headers = nil
	pool := &headerLists
	switch {
	case cap(hs) == smallHeaders:
		pool = &smallLists
	case cap(hs) < pooledHeaders:
		return
	}
	clear(hs[:cap(hs)]) // the pool must not keep the call's strings alive
	hs = hs[:0]
	pool.Put(&hs)
}
