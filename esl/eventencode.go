package esl

import (
	"slices"
	"strconv"
	"strings"
)

// EventFrame encodes e as FreeSWITCH sends it in the given format:
// Content-Length, then Content-Type, then the encoded event.
func EventFrame(e *Event, format EventFormat) *Frame {
	var body []byte
	ct := ContentEventPlain
	if format == FormatJSON {
		body = AppendEventJSON(nil, e)
		ct = ContentEventJSON
	} else {
		body = AppendEventPlain(nil, e)
	}
	return &Frame{
		Headers: Headers{{"Content-Length", strconv.Itoa(len(body))}, {"Content-Type", ct}},
		Body:    body,
	}
}

// AppendEventFrame appends the whole frame of an event with headers hs and
// body as FreeSWITCH sends it in the given format: Content-Length, then
// Content-Type, then the encoded event (what EventFrame(e,
// format).AppendTo writes). It is how a server sends events without
// building an Event or a Frame first: the event is encoded once, straight
// after room for the two outer headers, which are then written in front
// of it and the encoded event moved down to close the gap (one move of
// the bytes, instead of a second buffer).
func AppendEventFrame(dst []byte, hs Headers, body string, format EventFormat) []byte {
	// Room for "Content-Length: <10 digits>\nContent-Type: text/event-plain\n\n".
	const room = 64
	start := len(dst)
	dst = slices.Grow(dst, room)[:start+room]
	ct := ContentEventPlain
	if format == FormatJSON {
		dst = AppendHeadersJSON(dst, hs, body)
		ct = ContentEventJSON
	} else {
		dst = AppendHeadersPlain(dst, hs, body)
	}
	n := len(dst) - start - room
	head := dst[start:start]
	head = append(head, "Content-Length: "...)
	head = strconv.AppendInt(head, int64(n), 10)
	head = append(head, "\nContent-Type: "...)
	head = append(head, ct...)
	head = append(head, "\n\n"...)
	copy(dst[start+len(head):], dst[start+room:])
	return dst[:start+len(head)+n]
}

// AppendEventPlain appends the text/event-plain body of e: one
// "Name: value" line per header with values URL-encoded as FreeSWITCH does
// (an empty value as "_undef_"), then, when e has a body, an inner
// Content-Length, a blank line and the body; otherwise a blank line.
func AppendEventPlain(dst []byte, e *Event) []byte {
	for i := range e.Len() {
		h := e.Header(i)
		dst = appendPlainHeader(dst, h.Name, h.Value)
	}
	return appendPlainBody(dst, e.Body)
}

// AppendHeadersPlain is AppendEventPlain for an event given as its
// headers and body, not built into an Event.
func AppendHeadersPlain(dst []byte, hs Headers, body string) []byte {
	for _, h := range hs {
		dst = appendPlainHeader(dst, h.Name, h.Value)
	}
	return appendPlainBody(dst, body)
}

func appendPlainHeader(dst []byte, name, value string) []byte {
	dst = append(dst, name...)
	dst = append(dst, ": "...)
	if value == "" {
		dst = append(dst, undef...)
	} else {
		dst = AppendURLEncoded(dst, value)
	}
	return append(dst, '\n')
}

func appendPlainBody(dst []byte, body string) []byte {
	if body != "" {
		dst = append(dst, "Content-Length: "...)
		dst = strconv.AppendInt(dst, int64(len(body)), 10)
		dst = append(dst, "\n\n"...)
		return append(dst, body...)
	}
	return append(dst, '\n')
}

// AppendEventJSON appends the text/event-json body of e as FreeSWITCH
// (cJSON, unformatted) writes it: keys in header order, string values,
// "ARRAY::a|:b" values as arrays, then "Content-Length" as a string and
// "_body" when e has a body; no trailing newline.
func AppendEventJSON(dst []byte, e *Event) []byte {
	dst = append(dst, '{')
	for i := range e.Len() {
		h := e.Header(i)
		dst = appendJSONHeader(dst, i > 0, h.Name, h.Value)
	}
	return appendJSONBody(dst, e.Len() > 0, e.Body)
}

// AppendHeadersJSON is AppendEventJSON for an event given as its headers
// and body, not built into an Event.
func AppendHeadersJSON(dst []byte, hs Headers, body string) []byte {
	dst = append(dst, '{')
	for i, h := range hs {
		dst = appendJSONHeader(dst, i > 0, h.Name, h.Value)
	}
	return appendJSONBody(dst, len(hs) > 0, body)
}

// appendJSONHeader appends one "name":value member, a comma first unless
// it is the first; an "ARRAY::a|:b" value becomes an array (split here,
// without SplitArray's slice).
func appendJSONHeader(dst []byte, comma bool, name, value string) []byte {
	if comma {
		dst = append(dst, ',')
	}
	dst = appendJSONString(dst, name)
	dst = append(dst, ':')
	rest, isArray := strings.CutPrefix(value, arrayPrefix)
	if !isArray {
		return appendJSONString(dst, value)
	}
	dst = append(dst, '[')
	for {
		elem, after, more := strings.Cut(rest, "|:")
		dst = appendJSONString(dst, elem)
		if !more {
			break
		}
		dst = append(dst, ',')
		rest = after
	}
	return append(dst, ']')
}

func appendJSONBody(dst []byte, comma bool, body string) []byte {
	if body != "" {
		if comma {
			dst = append(dst, ',')
		}
		dst = append(dst, `"Content-Length":"`...)
		dst = strconv.AppendInt(dst, int64(len(body)), 10)
		dst = append(dst, `","_body":`...)
		dst = appendJSONString(dst, body)
	}
	return append(dst, '}')
}

// appendJSONString escapes like cJSON: quote, backslash and the named
// control characters; other control bytes as \u00xx; everything else raw
// (FreeSWITCH does not escape '/' or non-ASCII).
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"':
			dst = append(dst, `\"`...)
		case '\\':
			dst = append(dst, `\\`...)
		case '\b':
			dst = append(dst, `\b`...)
		case '\f':
			dst = append(dst, `\f`...)
		case '\n':
			dst = append(dst, `\n`...)
		case '\r':
			dst = append(dst, `\r`...)
		case '\t':
			dst = append(dst, `\t`...)
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// urlUnsafe marks the bytes FreeSWITCH's switch_url_encode writes as %XX:
// controls, non-ASCII and ` "#%&+:;<=>?@[\]^`{|}`. Captured: %20 %22 %23 %25
// %26 %3A %3B %3C %3D %3E %40 %7B %7C %7D %0D %0A; raw ( ) * , - . / _ ~.
var urlUnsafe = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c < 0x20 || c > 0x7E
	}
	for _, c := range []byte(" \"#%&+:;<=>?@[\\]^`{|}") {
		t[c] = true
	}
	return t
}()

// URLEncode encodes a header value exactly as FreeSWITCH does for
// text/event-plain (see AppendURLEncoded).
func URLEncode(v string) string { return string(AppendURLEncoded(nil, v)) }

// AppendURLEncoded appends v encoded as FreeSWITCH's switch_url_encode does:
// unsafe bytes as %XX with upper-case hex, space as %20 (never '+'). Like
// FreeSWITCH (which does not double-encode) a '%' already followed by two
// upper-case hex digits is left as is, so such a value reads back decoded;
// the agent inherits that quirk so its frames match FreeSWITCH's.
func AppendURLEncoded(dst []byte, v string) []byte {
	const hex = "0123456789ABCDEF"
	start := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !urlUnsafe[c] {
			continue
		}
		if c == '%' && i+2 < len(v) && isUpperHex(v[i+1]) && isUpperHex(v[i+2]) {
			continue
		}
		dst = append(dst, v[start:i]...)
		dst = append(dst, '%', hex[c>>4], hex[c&0xF])
		start = i + 1
	}
	return append(dst, v[start:]...)
}

func isUpperHex(c byte) bool { return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' }
