package esl

import (
	"bytes"
	"fmt"
	"strings"
	"unsafe"
)

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

// plainLine is one header line of a plain event as the first pass finds
// it in the source: the name at [pos, c), the value at [vs, ve) (empty
// for _undef_), its first '%' at pct (ve if none), and the name's index in
// knownNames or -1.
type plainLine struct {
	pos, c, vs, ve, pct uint32
	id                  int32
}

// parseEventPlain decodes in two passes. The first scans the lines in
// src, recognises known names (knownnames.go) and adds up what the event
// must hold; the second allocates exactly that and copies each value
// (and each name it does not know) in, then %XX-decodes the values that
// need it in place (a decoded value is never longer). Names, values and
// body are offsets into that copy, which is never written again; known
// names are indices into knownNames. An event thus costs three
// allocations: the bytes, the offsets (no pointers) and the Event, and
// for a FreeSWITCH channel event about half the bytes a copy of the whole
// text took. parseEventPlainRef (eventplain_ref_test.go) is the one-copy
// parser this replaced; it must agree byte for byte and error for error
// (TestParseEventPlainMatchesRef, FuzzParseEventPlain).
func parseEventPlain(src []byte) (*Event, error) {
	var scratch []plainLine
	return parseEventPlainWith(src, &scratch)
}

// parseEventPlainWith is parseEventPlain with the first pass's lines in
// *scratch, which a Reader keeps from event to event (a channel event has
// 100-200 lines: as a local array it would be cleared on every call, and
// outgrow the stack).
func parseEventPlainWith(src []byte, scratch *[]plainLine) (*Event, error) {
	if uint64(len(src)) > maxEventBytes {
		return nil, fmt.Errorf("event of %d bytes: %w", len(src), ErrTooLarge)
	}
	lines := (*scratch)[:0]
	defer func() {
		if cap(lines) <= maxScratchLines {
			*scratch = lines[:0]
		}
	}()
	// Bytes to copy: the values, the names not known and all the names
	// (an event that needs wide spans copies every name).
	values, unknown, names := 0, 0, 0
	wide := false
	pos := 0
	// pct is the next '%' at or after the current value (len(src) if
	// none): one search per encoded value instead of one per header.
	pct := -1
	nameAt := -1
	// guess is the known name expected next: the one after the last
	// known name seen.
	guess := 0
	for pos < len(src) {
		l := plainLine{pos: uint32(pos), id: -1}
		var lineEnd, next int
		if guess < len(knownNames) {
			k := knownNames[guess]
			if c := pos + len(k); c < len(src) && src[c] == ':' && string(src[pos:c]) == k {
				// A known name has no ':' or '\n': this is the line's
				// first ':'.
				l.id, l.c = int32(guess), uint32(c)
				vs := c + 1
				for vs < len(src) && src[vs] == ' ' {
					vs++
				}
				l.vs = uint32(vs)
				lineEnd, next = len(src), len(src)
				if nl := bytes.IndexByte(src[vs:], '\n'); nl >= 0 {
					lineEnd, next = vs+nl, vs+nl+1
				}
				// lineEnd-1 is at least c: a ':' or ' ', never '\r', when
				// the value is empty.
				if src[lineEnd-1] == '\r' {
					lineEnd--
				}
			}
		}
		if l.id < 0 {
			lineEnd, next = len(src), len(src)
			if nl := bytes.IndexByte(src[pos:], '\n'); nl >= 0 {
				lineEnd, next = pos+nl, pos+nl+1
			}
			if lineEnd > pos && src[lineEnd-1] == '\r' {
				lineEnd--
			}
			if lineEnd == pos {
				pos = next
				break
			}
			line := src[pos:lineEnd]
			i := bytes.IndexByte(line, ':')
			if i <= 0 {
				return nil, fmt.Errorf("event header line %q: %w", truncate(line), ErrMalformed)
			}
			vs := i + 1
			for vs < len(line) && line[vs] == ' ' {
				vs++
			}
			l.c, l.vs = uint32(pos+i), uint32(pos+vs)
			if id, ok := knownNameIDs[string(line[:i])]; ok {
				l.id = int32(id)
			}
		}
		l.ve, l.pct = l.vs, l.vs
		if string(src[l.vs:lineEnd]) != undef {
			l.ve = uint32(lineEnd)
			if pct < int(l.vs) {
				pct = len(src)
				if j := bytes.IndexByte(src[l.vs:], '%'); j >= 0 {
					pct = int(l.vs) + j
				}
			}
			l.pct = uint32(min(pct, lineEnd))
		}
		nlen := int(l.c - l.pos)
		if nlen == len("Event-Name") && equalFoldASCII(bytesToString(src[pos:l.c]), "Event-Name") {
			nameAt = len(lines)
		}
		values += int(l.ve - l.vs)
		names += nlen
		if l.id >= 0 {
			guess = int(l.id) + 1
		} else {
			unknown += nlen
			wide = wide || nlen > 0xff
		}
		wide = wide || l.ve-l.vs > 0xffff
		lines = append(lines, l)
		pos = next
	}
	size := values + unknown
	if wide {
		size = values + names
	}
	return buildEventPlain(src, lines, size, pos, nameAt, wide)
}

// maxScratchLines bounds the line scratch a Reader keeps (24 bytes a
// line): one huge event does not pin its scratch for the connection's
// lifetime.
const maxScratchLines = 2048

// buildEventPlain is parseEventPlain's second pass: lines (what the
// first found) become the event, its bytes size long plus the body after
// the headers, src[pos:], if a last Content-Length header says so.
func buildEventPlain(src []byte, lines []plainLine, size, pos, nameAt int, wide bool) (*Event, error) {
	buf := make([]byte, 0, size+len(src)-pos)
	var idx []span
	var ws []wideSpan
	if wide {
		ws = make([]wideSpan, len(lines))
	} else {
		idx = make([]span, len(lines))
	}
	for i, l := range lines {
		n0 := len(buf)
		if wide || l.id < 0 {
			buf = append(buf, src[l.pos:l.c]...)
		}
		n1 := len(buf)
		buf = append(buf, src[l.vs:l.ve]...)
		if l.pct < l.ve {
			at := n1 + int(l.pct-l.vs)
			buf = buf[:at+decodeInPlace(buf[at:])]
		}
		switch {
		case wide:
			ws[i] = wideSpan{uint32(n0), uint32(n1), uint32(n1), uint32(len(buf))}
		case l.id >= 0:
			idx[i] = span{uint32(n1), uint16(len(buf) - n1), knownName | uint16(l.id)}
		default:
			idx[i] = span{uint32(n1), uint16(len(buf) - n1), uint16(n1 - n0)}
		}
	}
	e := &Event{idx: idx, wide: ws}
	// The inner Content-Length frames the body; it is not a header.
	if n := len(lines); n > 0 && string(src[lines[n-1].pos:lines[n-1].c]) == "Content-Length" {
		e.raw = bytesToString(buf) // for hdr; set again once the body is in
		_, v0, v1 := e.hdr(n - 1)
		cl, err := parseContentLength(e.raw[v0:v1])
		if err != nil {
			return nil, fmt.Errorf("event body: %w", err)
		}
		if cl > len(src)-pos {
			return nil, fmt.Errorf("event body of %d bytes, %d present: %w", cl, len(src)-pos, ErrMalformed)
		}
		bodyAt := len(buf)
		buf = append(buf, src[pos:pos+cl]...)
		e.raw = bytesToString(buf)
		e.Body = e.raw[bodyAt:]
		if wide {
			e.wide = ws[:n-1]
		} else {
			e.idx = idx[:n-1]
		}
	}
	e.raw = bytesToString(buf)
	if nameAt >= 0 {
		_, v0, v1 := e.hdr(nameAt)
		e.name = e.raw[v0:v1]
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
