package esl

import (
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
