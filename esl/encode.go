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
	if dst == nil {
		// One allocation of the right size: grown append by append, a
		// bgapi originate's 500 bytes took three.
		n := len(c.Line) + 2 + len(c.Body) + len("Content-Length: \n") + 20
		for _, h := range c.Headers {
			n += len(h.Name) + len(h.Value) + 3
		}
		dst = make([]byte, 0, n)
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
