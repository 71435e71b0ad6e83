package esl

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

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
		_, v0, v1 := e.hdr(nameAt)
		e.name = raw[v0:v1]
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
