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
// The headers are held compactly: every name and value lives in one
// string, and the list is a slice of offsets into it, which holds no
// pointers. A decoded event thus costs the garbage collector two objects
// to mark and none to scan, whatever its header count (a []Header of 150
// headers is 300 pointers to scan). Names and values are returned as
// substrings of that string: no lookup allocates. Build one with NewEvent;
// an Event is never modified once built, so it may be shared.
type Event struct {
	// Body is the event body, "" when it has none.
	Body string

	raw string // every name and value
	// Where each header is in raw: idx (8 bytes a header) when every header
	// fits it, as FreeSWITCH's always do, else wide; never both.
	idx  []span
	wide []wideSpan
	name string // the last Event-Name, found once when decoding
}

// span locates one header in Event.raw compactly: the name at n0, nlen
// long, and the value gap bytes after the name, vlen long. Half the size
// of a wideSpan, and the offsets are a third of what an event allocates.
type span struct {
	n0   uint32
	vlen uint16
	nlen uint8
	gap  uint8
}

// wideSpan locates a header that does not fit a span: a name over 255
// bytes, a value over 64 KiB, a JSON array joined after the copy. uint32
// offsets: events are at most maxEventBytes.
type wideSpan struct{ n0, n1, v0, v1 uint32 }

// at returns where header i is.
func (e *Event) at(i int) wideSpan {
	if e.wide != nil {
		return e.wide[i]
	}
	s := e.idx[i]
	n1 := s.n0 + uint32(s.nlen)
	v0 := n1 + uint32(s.gap)
	return wideSpan{s.n0, n1, v0, v0 + uint32(s.vlen)}
}

// addSpan appends header x to idx, or to wide once any header has not
// fitted a span (the first such moves idx to wide). Parsers call it with
// local slices: a field would cost a write barrier per header.
func addSpan(idx []span, wide []wideSpan, x wideSpan) ([]span, []wideSpan) {
	if wide == nil && x.n1-x.n0 <= 0xff && x.v0 >= x.n1 && x.v0-x.n1 <= 0xff && x.v1-x.v0 <= 0xffff {
		return append(idx, span{x.n0, uint16(x.v1 - x.v0), uint8(x.n1 - x.n0), uint8(x.v0 - x.n1)}), nil
	}
	if wide == nil {
		wide = make([]wideSpan, len(idx), cap(idx)+1)
		e := Event{idx: idx}
		for i := range idx {
			wide[i] = e.at(i)
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
	s := e.at(i)
	return Header{Name: e.raw[s.n0:s.n1], Value: e.raw[s.v0:s.v1]}
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
		s := e.at(i)
		if int(s.n1-s.n0) == len(name) && equalFoldASCII(e.raw[s.n0:s.n1], name) {
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
		s := e.at(i)
		return e.raw[s.v0:s.v1], true
	}
	return "", false
}

// Last returns the last header called name (any case), or "".
func (e *Event) Last(name string) string {
	if i := e.find(name, true); i >= 0 {
		s := e.at(i)
		return e.raw[s.v0:s.v1]
	}
	return ""
}

// Values returns every value of the headers called name, with FreeSWITCH's
// multi-value form ("ARRAY::a|:b") split into its elements.
func (e *Event) Values(name string) []string {
	var out []string
	for i := range e.Len() {
		s := e.at(i)
		if int(s.n1-s.n0) == len(name) && equalFoldASCII(e.raw[s.n0:s.n1], name) {
			out = append(out, SplitArray(e.raw[s.v0:s.v1])...)
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
		s := e.at(i)
		if int(s.n1-s.n0) != len(prefix)+len(name) {
			continue
		}
		n := e.raw[s.n0:s.n1]
		if strings.HasPrefix(n, prefix) && equalFoldASCII(n[len(prefix):], name) {
			return e.raw[s.v0:s.v1], true
		}
	}
	return "", false
}

// UniqueID is the channel the event is about (Unique-ID), "" for events
// about no channel (HEARTBEAT, BACKGROUND_JOB, API).
func (e *Event) UniqueID() string { return e.Get("Unique-ID") }

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
