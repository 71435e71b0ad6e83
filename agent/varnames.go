package agent

import (
	"sync"
	"sync/atomic"
)

// varNames interns the event header names of channel variables,
// "variable_<name>", for one agent. Every leg of a loop call sets the same
// 130-140 variables (the SIP profile's, the originate's, the end-of-call
// times of channel_hangup.go), and each used to concatenate its own copy of
// every name: about 270 small allocations a call. Names seen before are
// shared; the table stops growing at varNamesMax, so a plan that makes up a
// new variable name per call (a unique sip_h_ header, say) costs one
// allocation per name as before, and never an unbounded table.
//
// Names seen before are read without a lock from a snapshot map: every
// channel of every call looks its names up, from goroutines on every core,
// and the read-write mutex this had cost about a fifth of setting a
// variable in CPU profiles. New names go to a small map under the mutex
// and are merged into a new snapshot in batches, so the copying stays in
// proportion to the names added.
type varNames struct {
	seen    atomic.Pointer[map[string]string]
	mu      sync.Mutex
	pending map[string]string // names not yet in seen, under mu
	n       int               // names in seen and pending, under mu
}

const varNamesMax = 4096

// wire returns "variable_"+name, shared when name was seen before. A nil
// table interns nothing.
func (t *varNames) wire(name string) string {
	if t == nil {
		return "variable_" + name
	}
	if m := t.seen.Load(); m != nil {
		if w, ok := (*m)[name]; ok {
			return w
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if w, ok := t.pending[name]; ok {
		return w
	}
	w := "variable_" + name
	if t.n >= varNamesMax {
		return w
	}
	if t.pending == nil {
		t.pending = make(map[string]string)
	}
	t.pending[name] = w
	t.n++
	old := t.seen.Load()
	if old == nil || len(t.pending) > len(*old)/4 || t.n == varNamesMax {
		t.publish(old)
	}
	return w
}

// publish merges the pending names into a new snapshot; t.mu is held.
func (t *varNames) publish(old *map[string]string) {
	size := len(t.pending)
	if old != nil {
		size += len(*old)
	}
	next := make(map[string]string, size)
	if old != nil {
		for k, v := range *old {
			next[k] = v
		}
	}
	for k, v := range t.pending {
		next[k] = v
	}
	t.seen.Store(&next)
	t.pending = nil
}

// size is the number of names kept (for tests).
func (t *varNames) size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}
