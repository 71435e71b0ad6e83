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
type Event struct {
	Headers Headers
	Body    string
}

// Name is the event type (Event-Name). The last Event-Name wins: a
// PRIVATE_COMMAND carries a whole COMMAND block before its own.
func (e *Event) Name() string { return e.Headers.Last("Event-Name") }

// Subclass is the CUSTOM subclass (Event-Subclass), e.g. "mod_bert::in_sync".
func (e *Event) Subclass() string { return e.Headers.Get("Event-Subclass") }

// Get returns the first header called name (any case), or "".
func (e *Event) Get(name string) string { return e.Headers.Get(name) }

// Lookup returns the first header called name (any case) and whether it is
// present.
func (e *Event) Lookup(name string) (string, bool) { return e.Headers.Lookup(name) }

// Var returns channel variable name, i.e. header "variable_<name>".
func (e *Event) Var(name string) string {
	v, _ := e.LookupVar(name)
	return v
}

// LookupVar returns channel variable name and whether the event carries it.
func (e *Event) LookupVar(name string) (string, bool) {
	const prefix = "variable_"
	for i := range e.Headers {
		n := e.Headers[i].Name
		if len(n) == len(prefix)+len(name) && strings.HasPrefix(n, prefix) && equalFoldASCII(n[len(prefix):], name) {
			return e.Headers[i].Value, true
		}
	}
	return "", false
}

// UniqueID is the channel the event is about (Unique-ID), "" for events
// about no channel (HEARTBEAT, BACKGROUND_JOB, API).
func (e *Event) UniqueID() string { return e.Headers.Get("Unique-ID") }

// JobUUID is the bgapi job a BACKGROUND_JOB answers.
func (e *Event) JobUUID() string { return e.Headers.Get("Job-UUID") }

// Sequence is Event-Sequence, or 0 when absent or not a number. It has gaps
// and does not order events across legs (reference 3.10).
func (e *Event) Sequence() uint64 {
	n, _ := strconv.ParseUint(e.Headers.Get("Event-Sequence"), 10, 64)
	return n
}

// Time is when FreeSWITCH created the event, from Event-Date-Timestamp
// (microseconds since the Unix epoch); the zero Time when absent.
func (e *Event) Time() time.Time {
	us, err := strconv.ParseInt(e.Headers.Get("Event-Date-Timestamp"), 10, 64)
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
func ParseEventPlain(b []byte) (*Event, error) { return parseEventPlain(bytes.Clone(b)) }

// parseEventPlain decodes buf, which it takes ownership of: values are
// URL-decoded in place (a decoded value is never longer than its encoded
// form and stays inside its own line), then every name, value and the body
// become strings pointing into buf, which is never written again. An event
// of 150 headers thus costs two allocations: buf and the header slice.
func parseEventPlain(buf []byte) (*Event, error) {
	// A local slice: appending to e.Headers would store the slice header
	// into the heap (a write barrier) on every line.
	hs := make(Headers, 0, bytes.Count(buf, []byte{'\n'}))
	pos := 0
	// pct is the next '%' at or after the current value (len(buf) if none):
	// one search per encoded value instead of one per header.
	pct := -1
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
		var value string
		if string(v) != undef {
			start := pos + vs
			if pct < start {
				pct = len(buf)
				if j := bytes.IndexByte(buf[start:], '%'); j >= 0 {
					pct = start + j
				}
			}
			if j := pct - start; j < len(v) {
				v = v[:j+decodeInPlace(v[j:])]
			}
			value = bytesToString(v)
		}
		hs = append(hs, Header{Name: bytesToString(line[:i]), Value: value})
		pos = next
	}
	e := &Event{Headers: hs}
	// The inner Content-Length frames the body; it is not a header.
	if n := len(e.Headers); n > 0 && e.Headers[n-1].Name == "Content-Length" {
		cl, err := parseContentLength(e.Headers[n-1].Value)
		if err != nil {
			return nil, fmt.Errorf("event body: %w", err)
		}
		if cl > len(buf)-pos {
			return nil, fmt.Errorf("event body of %d bytes, %d present: %w", cl, len(buf)-pos, ErrMalformed)
		}
		e.Body = bytesToString(buf[pos : pos+cl])
		e.Headers = e.Headers[:n-1]
	}
	return e, nil
}

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
func ParseEventJSON(b []byte) (*Event, error) { return parseEventJSON(string(b)) }

// parseEventJSONOwned parses buf, which it takes ownership of and never
// writes: strings may share its memory.
func parseEventJSONOwned(buf []byte) (*Event, error) { return parseEventJSON(bytesToString(buf)) }

func parseEventJSON(s string) (*Event, error) {
	p := jsonParser{s: s}
	// One header per `","` give or take: size the slice once.
	e := &Event{Headers: make(Headers, 0, strings.Count(s, `","`)+2)}
	p.ws()
	if !p.eat('{') {
		return nil, p.errf("want '{'")
	}
	p.ws()
	if p.eat('}') {
		return e, p.end()
	}
	for {
		p.ws()
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		p.ws()
		if !p.eat(':') {
			return nil, p.errf("want ':'")
		}
		p.ws()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		switch k {
		case "_body":
			e.Body = v
		case "Content-Length":
			// Frames the body in plain; in JSON it is informational.
		default:
			e.Headers = append(e.Headers, Header{Name: k, Value: v})
		}
		p.ws()
		if p.eat(',') {
			continue
		}
		if p.eat('}') {
			return e, p.end()
		}
		return nil, p.errf("want ',' or '}'")
	}
}

type jsonParser struct {
	s string
	i int
}

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

// value reads a string, an array of strings (joined into "ARRAY::a|:b") or
// a bare scalar (number, true, false, null) kept as its literal text.
func (p *jsonParser) value() (string, error) {
	if p.i >= len(p.s) {
		return "", p.errf("want a value")
	}
	switch c := p.s[p.i]; {
	case c == '"':
		return p.str()
	case c == '[':
		p.i++
		var elems []string
		p.ws()
		if p.eat(']') {
			return JoinArray(nil), nil
		}
		for {
			p.ws()
			v, err := p.value()
			if err != nil {
				return "", err
			}
			elems = append(elems, v)
			p.ws()
			if p.eat(',') {
				continue
			}
			if p.eat(']') {
				return JoinArray(elems), nil
			}
			return "", p.errf("want ',' or ']'")
		}
	case c == '-' || '0' <= c && c <= '9' || c == 't' || c == 'f' || c == 'n':
		start := p.i
		for p.i < len(p.s) && strings.IndexByte("+-.0123456789eEtruefalsn", p.s[p.i]) >= 0 {
			p.i++
		}
		lit := p.s[start:p.i]
		if lit == "null" {
			return "", nil
		}
		if lit != "true" && lit != "false" {
			if _, err := strconv.ParseFloat(lit, 64); err != nil {
				return "", p.errf("bad literal")
			}
		}
		return lit, nil
	default:
		return "", p.errf("unsupported value")
	}
}

// str reads a JSON string. Strings without escapes are substrings of the
// input (no allocation), found with SIMD byte searches. Raw control bytes
// are accepted: FreeSWITCH never writes them and being lenient costs
// nothing.
func (p *jsonParser) str() (string, error) {
	if !p.eat('"') {
		return "", p.errf("want a string")
	}
	start := p.i
	j := strings.IndexByte(p.s[p.i:], '"')
	if j < 0 {
		return "", p.errf("unterminated string")
	}
	seg := p.s[p.i : p.i+j]
	if k := strings.IndexByte(seg, '\\'); k >= 0 {
		p.i += k
		return p.strSlow(start)
	}
	p.i += j + 1
	return seg, nil
}

func (p *jsonParser) strSlow(start int) (string, error) {
	out := make([]byte, 0, p.i-start+64)
	out = append(out, p.s[start:p.i]...)
	for p.i < len(p.s) {
		// Copy the run up to the next quote or backslash in one go.
		rest := p.s[p.i:]
		q := strings.IndexByte(rest, '"')
		if q < 0 {
			break
		}
		b := strings.IndexByte(rest[:q], '\\')
		if b < 0 {
			out = append(out, rest[:q]...)
			p.i += q + 1
			return string(out), nil
		}
		out = append(out, rest[:b]...)
		p.i += b
		if p.i+1 >= len(p.s) {
			break
		}
		esc := p.s[p.i+1]
		p.i += 2
		switch esc {
		case '"', '\\', '/':
			out = append(out, esc)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", p.errf("bad \\u escape")
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
			out = utf8.AppendRune(out, r)
		default:
			return "", p.errf("bad escape")
		}
	}
	return "", p.errf("unterminated string")
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
