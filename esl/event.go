package esl

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
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

// IsEvent reports whether a frame content type carries an event.
func IsEvent(contentType string) bool {
	return contentType == ContentEventPlain || contentType == ContentEventJSON
}

// DecodeEvent decodes the event a text/event-plain or text/event-json frame
// carries.
func DecodeEvent(f *Frame) (*Event, error) {
	switch ct := f.ContentType(); ct {
	case ContentEventPlain:
		return ParseEventPlain(f.Body)
	case ContentEventJSON:
		return ParseEventJSON(f.Body)
	default:
		return nil, fmt.Errorf("content type %q is not an event: %w", ct, ErrMalformed)
	}
}

// ParseEventPlain decodes a text/event-plain body: "Name: value" lines with
// %XX-encoded values (a '+' stays a '+'; "_undef_" reads as empty), a blank
// line, and when the block ends with Content-Length that many body bytes.
// b is not retained.
func ParseEventPlain(b []byte) (*Event, error) { return parseEventPlain(b) }

// parseEventPlain copies src (make+copy: the copy is not zeroed first),
// then URL-decodes values in place (a decoded value is never longer than
// its encoded form and stays inside its own line); names, values and body
// are offsets into that copy, which is never written again. An event of
// 150 headers thus costs three allocations: the copy, the offsets (no
// pointers) and the Event. Putting the offsets in the copy's allocation
// saved one allocation but measured no faster: bytes, not allocation
// count, are what the cost follows.
func parseEventPlain(src []byte) (*Event, error) {
	if uint64(len(src)) > maxEventBytes {
		return nil, fmt.Errorf("event of %d bytes: %w", len(src), ErrTooLarge)
	}
	buf := make([]byte, len(src))
	copy(buf, src)
	// At most one header per line.
	idx := make([]span, 0, bytes.Count(src, []byte{'\n'})+1)
	// idx is a local slice: appending to e.idx would store the slice
	// header into the heap (a write barrier) on every line. It never
	// grows: it has room for every line.
	pos := 0
	// pct is the next '%' at or after the current value (len(buf) if none):
	// one search per encoded value instead of one per header.
	pct := -1
	// The last Event-Name, noted while scanning rather than searched for.
	nameAt := -1
	var wide []wideSpan
	for pos < len(buf) {
		end := len(buf)
		next := end
		if nl := bytes.IndexByte(buf[pos:], '\n'); nl >= 0 {
			end, next = pos+nl, pos+nl+1
		}
		lineEnd := end
		if lineEnd > pos && buf[lineEnd-1] == '\r' {
			lineEnd--
		}
		if lineEnd == pos {
			pos = next
			break
		}
		line := buf[pos:lineEnd]
		i := bytes.IndexByte(line, ':')
		if i <= 0 {
			return nil, fmt.Errorf("event header line %q: %w", truncate(line), ErrMalformed)
		}
		vs := i + 1
		for vs < len(line) && line[vs] == ' ' {
			vs++
		}
		v := line[vs:]
		start := pos + vs
		vEnd := start
		if string(v) != undef {
			vEnd = lineEnd
			if pct < start {
				pct = len(buf)
				if j := bytes.IndexByte(buf[start:], '%'); j >= 0 {
					pct = start + j
				}
			}
			if j := pct - start; j < len(v) {
				vEnd = pct + decodeInPlace(v[j:])
			}
		}
		if i == len("Event-Name") && equalFoldASCII(bytesToString(line[:i]), "Event-Name") {
			nameAt = len(idx) + len(wide)
		}
		if wide == nil && i <= 0xff && vs-i <= 0xff && vEnd-start <= 0xffff {
			idx = append(idx, span{uint32(pos), uint16(vEnd - start), uint8(i), uint8(vs - i)})
		} else {
			idx, wide = addSpan(idx, wide, wideSpan{uint32(pos), uint32(pos + i), uint32(start), uint32(vEnd)})
		}
		pos = next
	}
	raw := bytesToString(buf)
	e := &Event{raw: raw, idx: idx, wide: wide}
	if nameAt >= 0 {
		s := e.at(nameAt)
		e.name = raw[s.v0:s.v1]
	}
	// The inner Content-Length frames the body; it is not a header.
	if n := e.Len(); n > 0 && raw[e.at(n-1).n0:e.at(n-1).n1] == "Content-Length" {
		last := e.at(n - 1)
		cl, err := parseContentLength(raw[last.v0:last.v1])
		if err != nil {
			return nil, fmt.Errorf("event body: %w", err)
		}
		if cl > len(buf)-pos {
			return nil, fmt.Errorf("event body of %d bytes, %d present: %w", cl, len(buf)-pos, ErrMalformed)
		}
		e.Body = raw[pos : pos+cl]
		if wide != nil {
			e.wide = wide[:n-1]
		} else {
			e.idx = idx[:n-1]
		}
	}
	return e, nil
}

// maxEventBytes bounds an event body: header offsets are uint32.
const maxEventBytes = 1<<32 - 1

// bytesToString makes a string sharing b's memory. Only for bytes that
// are never written again.
func bytesToString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// decodeInPlace %XX-decodes v into itself and returns the decoded length.
// Writing never overtakes reading, so no input byte is lost. A plain byte
// loop: in the values that need decoding (SDP, dates) escapes are dense.
func decodeInPlace(v []byte) int {
	w := 0
	for r := 0; r < len(v); r++ {
		c := v[r]
		if c == '%' && r+2 < len(v) {
			if h, l := unhexTable[v[r+1]], unhexTable[v[r+2]]; h|l >= 0 {
				c = byte(h<<4 | l)
				r += 2
			}
		}
		v[w] = c
		w++
	}
	return w
}

// unhexTable maps a hex digit to its value and anything else to -1.
var unhexTable = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = int8(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = int8(c - 'a' + 10)
		t[c-'a'+'A'] = int8(c - 'a' + 10)
	}
	return t
}()

// undef is FreeSWITCH's plain spelling of a present but empty value.
const undef = "_undef_"

// URLDecode undoes FreeSWITCH's header encoding: %XX only. Unlike
// url.QueryUnescape a '+' is not a space, and a '%' not followed by two hex
// digits is kept as is.
func URLDecode(v string) string {
	if strings.IndexByte(v, '%') < 0 {
		return v
	}
	b := []byte(v)
	return string(b[:decodeInPlace(b)])
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// ParseEventJSON decodes a text/event-json body: one flat object whose keys
// are header names in wire order (duplicates kept) and whose values are
// strings or arrays of strings; "_body" is the body and the "Content-Length"
// that precedes it is dropped. A hand-written scanner, because
// encoding/json loses order and duplicates and is several times slower.
// b is not retained: names, values and body are copied, unescaped, into
// one buffer as they are scanned.
func ParseEventJSON(b []byte) (*Event, error) { return parseEventJSON(b) }

func parseEventJSON(src []byte) (*Event, error) {
	s := bytesToString(src)
	if uint64(len(s)) > maxEventBytes/4 {
		// Joined arrays grow the copy; keep every offset in range.
		return nil, fmt.Errorf("event of %d bytes: %w", len(s), ErrTooLarge)
	}
	// The event's bytes are a copy of s (make+copy: not zeroed first). A
	// string without escapes, a number or a literal stays where it is in
	// the copy; an escaped string is unescaped in place (never longer than
	// its JSON form); an array's "ARRAY::a|:b" form is appended after the
	// copy. Spans are offsets, so that append may move the bytes.
	var out []byte
	if strings.IndexByte(s, '[') < 0 {
		b := make([]byte, len(src))
		copy(b, src)
		out = b
	} else {
		// Room for the joined arrays, so appending them does not double
		// the copy.
		out = make([]byte, len(src), len(src)+len(src)/8+64)
		copy(out, src)
	}
	p := jsonParser{s: s, out: out}
	// A header has four quotes, more for arrays: size the list once.
	idx := make([]span, 0, strings.Count(s, `"`)/4+1)
	var body [2]uint32
	var wide []wideSpan
	nameAt := -1
	p.ws()
	if !p.eat('{') {
		return nil, p.errf("want '{'")
	}
	p.ws()
	if !p.eat('}') {
		for {
			p.ws()
			k0, k1, err := p.str()
			if err != nil {
				return nil, err
			}
			p.ws()
			if !p.eat(':') {
				return nil, p.errf("want ':'")
			}
			p.ws()
			v0, v1, err := p.value()
			if err != nil {
				return nil, err
			}
			switch k := p.out[k0:k1]; string(k) {
			case "_body":
				body = [2]uint32{v0, v1}
			case "Content-Length":
				// Frames the body in plain; in JSON it is informational.
			default:
				if len(k) == len("Event-Name") && equalFoldASCII(bytesToString(k), "Event-Name") {
					nameAt = len(idx) + len(wide)
				}
				idx, wide = addSpan(idx, wide, wideSpan{k0, k1, v0, v1})
			}
			p.ws()
			if p.eat(',') {
				continue
			}
			if p.eat('}') {
				break
			}
			return nil, p.errf("want ',' or '}'")
		}
	}
	if err := p.end(); err != nil {
		return nil, err
	}
	raw := bytesToString(p.out)
	e := &Event{raw: raw, idx: idx, wide: wide, Body: raw[body[0]:body[1]]}
	if nameAt >= 0 {
		s := e.at(nameAt)
		e.name = raw[s.v0:s.v1]
	}
	return e, nil
}

// jsonParser scans s; out starts as a copy of s, where strings are
// unescaped in place and joined arrays appended.
type jsonParser struct {
	s     string
	i     int
	out   []byte
	depth int // arrays open
}

// maxJSONArrayDepth bounds nested arrays, which FreeSWITCH never sends:
// each level copies the joined form of the one inside, so deep nesting
// would cost quadratic memory (and recursion) for a linear input.
const maxJSONArrayDepth = 8

func (p *jsonParser) errf(what string) error {
	return fmt.Errorf("event json at byte %d: %s: %w", p.i, what, ErrMalformed)
}

func (p *jsonParser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *jsonParser) end() error {
	p.ws()
	if p.i != len(p.s) {
		return p.errf("trailing data")
	}
	return nil
}

// value reads a string, an array of strings (joined into "ARRAY::a|:b")
// or a bare scalar (number, true, false; null is empty) kept as its
// literal text, and returns where its text is in out.
func (p *jsonParser) value() (uint32, uint32, error) {
	if p.i >= len(p.s) {
		return 0, 0, p.errf("want a value")
	}
	switch c := p.s[p.i]; {
	case c == '"':
		return p.str()
	case c == '[':
		if p.depth++; p.depth > maxJSONArrayDepth {
			return 0, 0, p.errf("arrays nested too deep")
		}
		defer func() { p.depth-- }()
		p.i++
		// Elements first (a nested array appends its own joined form),
		// then the joined form of this one.
		var stack [8][2]uint32
		elems := stack[:0]
		p.ws()
		if !p.eat(']') {
			for {
				p.ws()
				v0, v1, err := p.value()
				if err != nil {
					return 0, 0, err
				}
				elems = append(elems, [2]uint32{v0, v1})
				p.ws()
				if p.eat(',') {
					continue
				}
				if p.eat(']') {
					break
				}
				return 0, 0, p.errf("want ',' or ']'")
			}
		}
		a0 := uint32(len(p.out))
		p.out = append(p.out, arrayPrefix...)
		for i, v := range elems {
			if i > 0 {
				p.out = append(p.out, "|:"...)
			}
			p.out = append(p.out, p.out[v[0]:v[1]]...)
		}
		return a0, uint32(len(p.out)), nil
	case c == '-' || '0' <= c && c <= '9' || c == 't' || c == 'f' || c == 'n':
		start := p.i
		for p.i < len(p.s) && strings.IndexByte("+-.0123456789eEtruefalsn", p.s[p.i]) >= 0 {
			p.i++
		}
		lit := p.s[start:p.i]
		if lit == "null" {
			// Empty, next to its name so it still fits a span.
			return uint32(start), uint32(start), nil
		}
		if lit != "true" && lit != "false" {
			if _, err := strconv.ParseFloat(lit, 64); err != nil {
				return 0, 0, p.errf("bad literal")
			}
		}
		return uint32(start), uint32(p.i), nil
	default:
		return 0, 0, p.errf("unsupported value")
	}
}

// str reads a JSON string and returns where its unescaped text is in out.
// A string without escapes is found with SIMD byte searches and left in
// place; escapes are undone in place, writing behind the read position.
// Raw control bytes are accepted: FreeSWITCH never writes them and being
// lenient costs nothing.
func (p *jsonParser) str() (uint32, uint32, error) {
	if !p.eat('"') {
		return 0, 0, p.errf("want a string")
	}
	start := p.i
	q := strings.IndexByte(p.s[p.i:], '"')
	if q < 0 {
		return 0, 0, p.errf("unterminated string")
	}
	b := strings.IndexByte(p.s[p.i:p.i+q], '\\')
	if b < 0 {
		p.i += q + 1
		return uint32(start), uint32(start + q), nil
	}
	// w is where the next unescaped byte goes; bytes before the first
	// escape are already in place.
	w := p.i + b
	p.i = w
	for p.i < len(p.s) {
		// Move the run up to the next quote or backslash in one go.
		rest := p.s[p.i:]
		q := strings.IndexByte(rest, '"')
		if q < 0 {
			break
		}
		b := strings.IndexByte(rest[:q], '\\')
		if b < 0 {
			w += copy(p.out[w:], rest[:q])
			p.i += q + 1
			return uint32(start), uint32(w), nil
		}
		w += copy(p.out[w:], rest[:b])
		p.i += b
		if p.i+1 >= len(p.s) {
			break
		}
		esc := p.s[p.i+1]
		p.i += 2
		var c byte
		switch esc {
		case '"', '\\', '/':
			c = esc
		case 'b':
			c = '\b'
		case 'f':
			c = '\f'
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 't':
			c = '\t'
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return 0, 0, p.errf("bad \\u escape")
			}
			if utf16.IsSurrogate(r) {
				r2 := utf8.RuneError
				if strings.HasPrefix(p.s[p.i:], `\u`) {
					p.i += 2
					if lo, ok := p.hex4(); ok {
						r2 = utf16.DecodeRune(r, lo)
					}
				}
				r = r2
			}
			// At most 3 bytes from 6 (\uXXXX), or 4 from 12 (a pair).
			w += utf8.EncodeRune(p.out[w:], r)
			continue
		default:
			return 0, 0, p.errf("bad escape")
		}
		p.out[w] = c
		w++
	}
	return 0, 0, p.errf("unterminated string")
}

func (p *jsonParser) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(p.s[p.i : p.i+4]) {
		if !isHex(c) {
			return 0, false
		}
		r = r<<4 | rune(unhex(c))
	}
	p.i += 4
	return r, true
}
