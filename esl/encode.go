package esl

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ErrUnsafe means a command, header name or value contains CR, LF or NUL
// (or a header name contains ':'), which would end the frame early and let
// the rest be read as another command.
var ErrUnsafe = errors.New("unsafe character in esl command")

// EventFormat is the format of a subscription: FreeSWITCH's "plain" or
// "json" ("xml" is not supported by callplan).
type EventFormat string

// Event formats, spelled as in the "event" command.
const (
	FormatPlain EventFormat = "plain"
	FormatJSON  EventFormat = "json"
)

// DisconnectGoodbye is the body of the disconnect notice FreeSWITCH sends
// after exit and after a wrong password (67 bytes, captured: 01, 10b, 10c).
const DisconnectGoodbye = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"

// RudeRejectionBody is what FreeSWITCH sends to a peer its ACL refuses.
const RudeRejectionBody = "Access Denied, go away.\n"

// AppendTo appends the frame as it goes on the wire: the headers in their
// order, a blank line, the body. It writes Content-Length only if it is in
// Headers; the constructors below put it where FreeSWITCH does.
func (f *Frame) AppendTo(dst []byte) []byte {
	for _, h := range f.Headers {
		dst = append(dst, h.Name...)
		dst = append(dst, ": "...)
		dst = append(dst, h.Value...)
		dst = append(dst, '\n')
	}
	dst = append(dst, '\n')
	return append(dst, f.Body...)
}

// WriteFrame writes f to w in one Write call.
func WriteFrame(w io.Writer, f *Frame) error {
	if _, err := w.Write(f.AppendTo(nil)); err != nil {
		return fmt.Errorf("writing %s frame: %w", f.ContentType(), err)
	}
	return nil
}

// AuthRequest is the first frame a server sends on accept.
func AuthRequest() *Frame {
	return &Frame{Headers: Headers{{"Content-Type", ContentAuthRequest}}}
}

// CommandReply is the reply to every command except api, with the outcome
// in Reply-Text ("+OK accepted", "-ERR command not found") and any extra
// headers after it (bgapi adds Job-UUID).
func CommandReply(replyText string, extra ...Header) *Frame {
	hs := make(Headers, 0, 2+len(extra))
	hs = append(hs, Header{"Content-Type", ContentCommandReply}, Header{"Reply-Text", replyText})
	return &Frame{Headers: append(hs, extra...)}
}

// APIResponse is the reply to api: Content-Type, then Content-Length, then
// the command's output verbatim.
func APIResponse(body string) *Frame {
	return bodyFrame(ContentAPIResponse, body)
}

// DisconnectNotice is sent before the server closes the connection; body is
// usually DisconnectGoodbye.
func DisconnectNotice(body string) *Frame {
	return bodyFrame(ContentDisconnectNotice, body)
}

// RudeRejection is sent instead of auth/request to a peer refused by ACL.
func RudeRejection() *Frame {
	return bodyFrame(ContentRudeRejection, RudeRejectionBody)
}

func bodyFrame(contentType, body string) *Frame {
	return &Frame{
		Headers: Headers{{"Content-Type", contentType}, {"Content-Length", strconv.Itoa(len(body))}},
		Body:    []byte(body),
	}
}

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

// AppendEventPlain appends the text/event-plain body of e: one
// "Name: value" line per header with values URL-encoded as FreeSWITCH does
// (an empty value as "_undef_"), then, when e has a body, an inner
// Content-Length, a blank line and the body; otherwise a blank line.
func AppendEventPlain(dst []byte, e *Event) []byte {
	for i := range e.Len() {
		h := e.Header(i)
		dst = append(dst, h.Name...)
		dst = append(dst, ": "...)
		if h.Value == "" {
			dst = append(dst, undef...)
		} else {
			dst = AppendURLEncoded(dst, h.Value)
		}
		dst = append(dst, '\n')
	}
	if e.Body != "" {
		dst = append(dst, "Content-Length: "...)
		dst = strconv.AppendInt(dst, int64(len(e.Body)), 10)
		dst = append(dst, "\n\n"...)
		return append(dst, e.Body...)
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
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, h.Name)
		dst = append(dst, ':')
		if strings.HasPrefix(h.Value, arrayPrefix) {
			dst = append(dst, '[')
			for j, v := range SplitArray(h.Value) {
				if j > 0 {
					dst = append(dst, ',')
				}
				dst = appendJSONString(dst, v)
			}
			dst = append(dst, ']')
			continue
		}
		dst = appendJSONString(dst, h.Value)
	}
	if e.Body != "" {
		if e.Len() > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `"Content-Length":"`...)
		dst = strconv.AppendInt(dst, int64(len(e.Body)), 10)
		dst = append(dst, `","_body":`...)
		dst = appendJSONString(dst, e.Body)
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

// AppendTo appends the command as a client sends it: the command line,
// the headers, Content-Length when there is a body (unless already given,
// in which case it must match), a blank line, the body. It refuses CR, LF
// and NUL anywhere in the line, names and values, and ':' in names, so no
// value can end the frame and smuggle in a second command.
func (c *Command) AppendTo(dst []byte) ([]byte, error) {
	if c.Line == "" {
		return dst, fmt.Errorf("empty command: %w", ErrUnsafe)
	}
	if err := checkLine(c.Line); err != nil {
		return dst, fmt.Errorf("command %q: %w", truncate([]byte(c.Line)), err)
	}
	dst = append(dst, c.Line...)
	dst = append(dst, '\n')
	haveCL := false
	for _, h := range c.Headers {
		if h.Name == "" || strings.IndexByte(h.Name, ':') >= 0 || checkLine(h.Name) != nil {
			return dst, fmt.Errorf("header name %q: %w", truncate([]byte(h.Name)), ErrUnsafe)
		}
		if err := checkLine(h.Value); err != nil {
			return dst, fmt.Errorf("header %s: %w", h.Name, err)
		}
		if equalFoldASCII(h.Name, "Content-Length") {
			if h.Value != strconv.Itoa(len(c.Body)) {
				return dst, fmt.Errorf("content-length %q for a %d-byte body: %w", h.Value, len(c.Body), ErrMalformed)
			}
			haveCL = true
		}
		dst = append(dst, h.Name...)
		dst = append(dst, ": "...)
		dst = append(dst, h.Value...)
		dst = append(dst, '\n')
	}
	if len(c.Body) > 0 && !haveCL {
		dst = append(dst, "Content-Length: "...)
		dst = strconv.AppendInt(dst, int64(len(c.Body)), 10)
		dst = append(dst, '\n')
	}
	dst = append(dst, '\n')
	return append(dst, c.Body...), nil
}

// checkLine refuses the bytes that end a line or a C string in FreeSWITCH.
func checkLine(s string) error {
	if i := strings.IndexAny(s, "\r\n\x00"); i >= 0 {
		return fmt.Errorf("byte %q at %d: %w", s[i], i, ErrUnsafe)
	}
	return nil
}
