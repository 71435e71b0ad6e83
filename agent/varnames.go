package agent

import "sync"

// varNames interns the event header names of channel variables,
// "variable_<name>", for one agent. Every leg of a loop call sets the same
// 130-140 variables (the SIP profile's, the originate's, the end-of-call
// times of channel_hangup.go), and each used to concatenate its own copy of
// every name: about 270 small allocations a call. Names seen before are
// shared; the table stops growing at varNamesMax, so a plan that makes up a
// new variable name per call (a unique sip_h_ header, say) costs one
// allocation per name as before, and never an unbounded table.
type varNames struct {
	mu    sync.RWMutex
	names map[string]string
}

const varNamesMax = 4096

// wire returns "variable_"+name, shared when name was seen before. A nil
// table interns nothing.
func (t *varNames) wire(name string) string {
	if t == nil {
		return "variable_" + name
	}
	t.mu.RLock()
	w, ok := t.names[name]
	t.mu.RUnlock()
	if ok {
		return w
	}
	w = "variable_" + name
	t.mu.Lock()
	if t.names == nil {
		t.names = make(map[string]string, 256)
	}
	if len(t.names) < varNamesMax {
		t.names[name] = w
	}
	t.mu.Unlock()
	return w
}
