package esl

import (
	"strconv"
	"strings"
	"time"
)

// Event is one FreeSWITCH event, decoded from text/event-plain or
// text/event-json to the same form: header names as FreeSWITCH spells them
// (Unique-ID, Job-UUID, never Unique-Id), values decoded, in wire order,
// duplicates kept. The event body (BACKGROUND_JOB's result, for one) is
// Body; the inner Content-Length that frames it is not a header. A JSON
// array value is held in FreeSWITCH's plain multi-value form
// "ARRAY::a|:b" (see Headers.Values), so both formats decode alike.
//
// The headers are held compactly: every value, and every name that is not
// one of the few hundred FreeSWITCH always sends (knownnames.go), lives in
// one string, and the list is a slice of offsets into it (or into the
// known names), which holds no pointers. A decoded event thus costs the
// garbage collector two objects to mark and none to scan, whatever its
// header count (a []Header of 150 headers is 300 pointers to scan). Names and values are returned as
// substrings of that string: no lookup allocates. Build one with NewEvent;
// an Event is never modified once built, so it may be shared.
type Event struct {
	// Body is the event body, "" when it has none.
	Body string

	raw string // every value and every name not in knownNames
	// Where each header is in raw: idx (6 bytes a header) when every header
	// fits it, as FreeSWITCH's always do, else wide; never both.
	idx  []span
	wide []wideSpan
	name string // the last Event-Name, found once when decoding
	// uidAt is 1 + the index of the first Unique-ID header when the
	// plain decoder noted it (routing reads it for every event), -1
	// when it noted none, 0 when not noted (then UniqueID searches).
	uidAt int32
}

// span locates one header compactly (6 bytes, no pointers): the value
// vlen bytes at v0 in Event.raw, and the name either a known FreeSWITCH
// name (name has knownName set: knownNames[name&^knownName], see
// knownnames.go) or in raw, name&0xff bytes long and ending name>>8
// bytes (at most 127) before the value. A plain event's raw is a few kB
// (its values), so 16-bit offsets hold every header of every fixture;
// the offsets are still a fifth of what the event allocates.
type span struct {
	v0   uint16
	vlen uint16
	name uint16
}

// wideSpan locates a header that does not fit a span: a name over 255
// bytes, a value over 64 KiB or starting past 64 KiB into raw, a JSON
// array joined after the copy. uint32
// offsets: events are at most maxEventBytes. Its name is always in raw.
type wideSpan struct{ n0, n1, v0, v1 uint32 }

// hdr returns header i's name and where its value is in raw.
func (e *Event) hdr(i int) (name string, v0, v1 uint32) {
	if e.wide != nil {
		w := e.wide[i]
		return e.raw[w.n0:w.n1], w.v0, w.v1
	}
	s := e.idx[i]
	v0 = uint32(s.v0)
	if s.name&knownName != 0 {
		return knownNames[s.name&^knownName], v0, v0 + uint32(s.vlen)
	}
	n1 := v0 - uint32(s.name>>8)
	return e.raw[n1-uint32(s.name&0xff) : n1], v0, v0 + uint32(s.vlen)
}

// rawSpan is a span whose name is in raw, as a wideSpan.
func (s span) rawSpan() wideSpan {
	v0 := uint32(s.v0)
	n1 := v0 - uint32(s.name>>8)
	return wideSpan{n1 - uint32(s.name&0xff), n1, v0, v0 + uint32(s.vlen)}
}

// addSpan appends header x (its name in raw) to idx, or to wide once any
// header has not fitted a span (the first such moves idx to wide).
// Parsers call it with local slices: a field would cost a write barrier
// per header. idx must hold no known-name spans.
func addSpan(idx []span, wide []wideSpan, x wideSpan) ([]span, []wideSpan) {
	if wide == nil && x.n1-x.n0 <= 0xff && x.v0 >= x.n1 && x.v0-x.n1 <= 0x7f && x.v1-x.v0 <= 0xffff && x.v0 <= 0xffff {
		return append(idx, span{uint16(x.v0), uint16(x.v1 - x.v0), uint16(x.n1-x.n0) | uint16(x.v0-x.n1)<<8}), nil
	}
	if wide == nil {
		wide = make([]wideSpan, len(idx), cap(idx)+1)
		for i, s := range idx {
			wide[i] = s.rawSpan()
		}
	}
	return nil, append(wide, x)
}

// NewEvent builds an event from hs (copied) and body.
func NewEvent(hs Headers, body string) *Event {
	n := 0
	for _, h := range hs {
		n += len(h.Name) + len(h.Value)
	}
	raw := make([]byte, 0, n)
	idx := make([]span, 0, len(hs))
	var wide []wideSpan
	for _, h := range hs {
		var x wideSpan
		x.n0 = uint32(len(raw))
		raw = append(raw, h.Name...)
		x.n1 = uint32(len(raw))
		x.v0 = x.n1
		raw = append(raw, h.Value...)
		x.v1 = uint32(len(raw))
		idx, wide = addSpan(idx, wide, x)
	}
	e := &Event{Body: body, raw: bytesToString(raw), idx: idx, wide: wide}
	e.name = e.Last("Event-Name")
	return e
}

// Len is the number of headers.
func (e *Event) Len() int {
	if e.wide != nil {
		return len(e.wide)
	}
	return len(e.idx)
}

// Header returns header i (0 <= i < Len) in wire order.
func (e *Event) Header(i int) Header {
	name, v0, v1 := e.hdr(i)
	return Header{Name: name, Value: e.raw[v0:v1]}
}

// Headers returns the headers as a new list in wire order (one allocation;
// names and values share the event's memory). Get and Lookup do not
// allocate; prefer them for single headers.
func (e *Event) Headers() Headers {
	hs := make(Headers, e.Len())
	for i := range hs {
		hs[i] = e.Header(i)
	}
	return hs
}

// find returns the index of the first (or, with last, the last) header
// called name in any case, or -1.
func (e *Event) find(name string, last bool) int {
	n := e.Len()
	for k := range n {
		i := k
		if last {
			i = n - 1 - k
		}
		if n, _, _ := e.hdr(i); len(n) == len(name) && equalFoldASCII(n, name) {
			return i
		}
	}
	return -1
}

// Name is the event type (Event-Name). The last Event-Name wins: a
// PRIVATE_COMMAND carries a whole COMMAND block before its own.
func (e *Event) Name() string { return e.name }

// Subclass is the CUSTOM subclass (Event-Subclass), e.g. "mod_bert::in_sync".
func (e *Event) Subclass() string { return e.Get("Event-Subclass") }

// Get returns the first header called name (any case), or "".
func (e *Event) Get(name string) string {
	v, _ := e.Lookup(name)
	return v
}

// Lookup returns the first header called name (any case) and whether it is
// present.
func (e *Event) Lookup(name string) (string, bool) {
	if i := e.find(name, false); i >= 0 {
		_, v0, v1 := e.hdr(i)
		return e.raw[v0:v1], true
	}
	return "", false
}

// Last returns the last header called name (any case), or "".
func (e *Event) Last(name string) string {
	if i := e.find(name, true); i >= 0 {
		_, v0, v1 := e.hdr(i)
		return e.raw[v0:v1]
	}
	return ""
}

// Values returns every value of the headers called name, with FreeSWITCH's
// multi-value form ("ARRAY::a|:b") split into its elements.
func (e *Event) Values(name string) []string {
	var out []string
	for i := range e.Len() {
		if n, v0, v1 := e.hdr(i); len(n) == len(name) && equalFoldASCII(n, name) {
			out = append(out, SplitArray(e.raw[v0:v1])...)
		}
	}
	return out
}

// Var returns channel variable name, i.e. header "variable_<name>".
func (e *Event) Var(name string) string {
	v, _ := e.LookupVar(name)
	return v
}

// LookupVar returns channel variable name and whether the event carries it.
func (e *Event) LookupVar(name string) (string, bool) {
	const prefix = "variable_"
	for i := range e.Len() {
		n, v0, v1 := e.hdr(i)
		if len(n) != len(prefix)+len(name) {
			continue
		}
		if strings.HasPrefix(n, prefix) && equalFoldASCII(n[len(prefix):], name) {
			return e.raw[v0:v1], true
		}
	}
	return "", false
}

// UniqueID is the channel the event is about (Unique-ID), "" for events
// about no channel (HEARTBEAT, BACKGROUND_JOB, API).
func (e *Event) UniqueID() string {
	switch {
	case e.uidAt > 0:
		_, v0, v1 := e.hdr(int(e.uidAt) - 1)
		return e.raw[v0:v1]
	case e.uidAt < 0:
		return ""
	}
	return e.Get("Unique-ID")
}

// JobUUID is the bgapi job a BACKGROUND_JOB answers.
func (e *Event) JobUUID() string { return e.Get("Job-UUID") }

// Sequence is Event-Sequence, or 0 when absent or not a number. It has gaps
// and does not order events across legs (reference 3.10).
func (e *Event) Sequence() uint64 {
	n, _ := strconv.ParseUint(e.Get("Event-Sequence"), 10, 64)
	return n
}

// Time is when FreeSWITCH created the event, from Event-Date-Timestamp
// (microseconds since the Unix epoch); the zero Time when absent.
func (e *Event) Time() time.Time {
	us, err := strconv.ParseInt(e.Get("Event-Date-Timestamp"), 10, 64)
	if err != nil || us <= 0 {
		return time.Time{}
	}
	return time.UnixMicro(us)
}
