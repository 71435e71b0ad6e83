package agent

import "sync"

// varList is a channel's variables in FreeSWITCH's order: setting a variable
// that exists moves it to the end (captured: variable_call_uuid moves after
// park starts, 01).
type varList struct {
	// list holds each variable under its name as an event header,
	// "variable_<name>" (the name is what follows the prefix): made once
	// when the variable is first set, not for every event (every channel
	// event carries every variable: about 150 names, 20 events a call),
	// and the list is appended to an event's headers as it is. One list
	// of name/value pairs, not one of names and one of header names: 5 kB
	// a leg, where the two were 7.7.
	list []header
	// names interns the wire names across the agent's channels (nil:
	// each made anew).
	names *varNames
	// maybe has the bit of every name ever set (namebit): a name whose
	// bit is clear is not in the list, so setting a new variable, most of
	// the 130-140 a leg sets, skips the scan of the whole list.
	maybe [16]uint64
}

// varPrefix is what a variable's event header adds to its name.
const varPrefix = len("variable_")

// is reports whether h is the variable name.
func (h header) is(name string) bool {
	return len(h.Name) == varPrefix+len(name) && h.Name[varPrefix:] == name
}

// namebit is a cheap hash of a variable name into maybe's 1 024 bits:
// length, first, middle and last byte, no loop over the name.
func namebit(name string) (word int, bit uint64) {
	n := uint(len(name))
	h := n * 131
	if n > 0 {
		h += uint(name[0])*31 + uint(name[n/2])*17 + uint(name[n-1])*7 + uint(name[n*3/4])
	}
	h &= 1023
	return int(h >> 6), 1 << (h & 63)
}

// absent reports that name is certainly not set.
func (v *varList) absent(name string) bool {
	w, b := namebit(name)
	return v.maybe[w]&b == 0
}

// varSlots keeps the lists of destroyed channels for new ones: a leg's
// list is 5 kB of pointers, allocated, zeroed and then scanned by the
// collector for every leg.
var varSlots = sync.Pool{}

func newVarSlots() []header {
	if p, _ := varSlots.Get().(*[]header); p != nil {
		return (*p)[:0]
	}
	return make([]header, 0, varsRoom)
}

// recycle hands the list over for reuse and leaves v empty. The channel
// must be gone (destroyed and unlisted) and its lock held: every reader
// and writer of a channel's variables holds its lock, so none sees the
// list again.
func (v *varList) recycle() {
	l := v.list
	v.list, v.maybe = nil, [16]uint64{}
	if cap(l) != varsRoom {
		return // grown past the usual size: let it go
	}
	clear(l[:cap(l)]) // the pool must not keep the call's strings alive
	l = l[:0]
	varSlots.Put(&l)
}

// varsRoom is the room a channel's first variable makes, so the list
// does not grow through 1, 2, 4...: a loop call's legs end with 130
// (outbound) and 142 (inbound) variables, which 64 held only after growing
// to 128 and then 256 (21 kB allocated a leg; 160 is 7.7 kB, once).
const varsRoom = 160

func (v *varList) get(name string) (string, bool) {
	if v.absent(name) {
		return "", false
	}
	for _, h := range v.list {
		if h.is(name) {
			return h.Value, true
		}
	}
	return "", false
}

func (v *varList) set(name, value string) {
	wire, _ := v.remove(name)
	if value == "" {
		return
	}
	if wire == "" {
		wire = v.names.wire(name)
	}
	v.add(name, value, wire)
}

// setIfAbsent sets name only when it has no value yet, keeping its place.
func (v *varList) setIfAbsent(name, value string) {
	if _, ok := v.get(name); !ok && value != "" {
		v.add(name, value, v.names.wire(name))
	}
}

func (v *varList) add(name, value, wire string) {
	if v.list == nil {
		v.list = newVarSlots()
	}
	v.list = append(v.list, header{wire, value})
	w, b := namebit(name)
	v.maybe[w] |= b
}

// remove deletes name and returns its header name, "" when it was not set.
func (v *varList) remove(name string) (string, bool) {
	if v.absent(name) {
		return "", false
	}
	for i, h := range v.list {
		if h.is(name) {
			v.list = append(v.list[:i], v.list[i+1:]...)
			return h.Name, true
		}
	}
	return "", false
}

// appendHeaders appends every variable as an event header, in order.
func (v *varList) appendHeaders(hs []header) []header {
	return append(hs, v.list...)
}
