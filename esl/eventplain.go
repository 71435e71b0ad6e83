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
