package esl

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to the frame reader and the event
// decoders: no panic, no hang, and no allocation driven by a Content-Length
// the bytes do not back up (the reader's MaxBody bounds what is accepted;
// chunked reading bounds what is allocated before bytes arrive).
func FuzzDecode(f *testing.F) {
	for _, b := range transcripts(f) {
		frames, spans := frameSpans(f, b)
		for i := range frames {
			// Small seeds keep the fuzzer fast (minimising a 6 kB input
			// takes seconds); the big events are covered by the fixture tests.
			if len(spans[i]) <= 1500 && (i < 12 || IsEvent(frames[i].ContentType())) {
				f.Add(spans[i])
			}
		}
	}
	f.Add([]byte("Content-Length: 99999999999\n\n"))
	f.Add([]byte("Content-Length: 2000000\nContent-Type: text/event-plain\n\nEvent-Name: X\nContent-Length: 5000000\n\nab"))
	f.Add([]byte("Content-Type: text/event-json\nContent-Length: 12\n\n{\"a\":[\"b\"]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		r.MaxBody = 1 << 20
		// The client's reader path (decode from the buffer, in place) must
		// agree with ReadFrame + DecodeEvent on every frame.
		r2 := NewReader(bytes.NewReader(data))
		r2.MaxBody = 1 << 20
		for i := 0; i < 1000; i++ {
			fr, err := r.ReadFrame()
			ct2, f2, e2, decodeErr2, err2 := r2.next()
			if (err == nil) != (err2 == nil) {
				t.Fatalf("ReadFrame error %v, next error %v", err, err2)
			}
			if err == nil && ct2 != fr.ContentType() {
				t.Fatalf("next content type %q, ReadFrame %q", ct2, fr.ContentType())
			}
			if err == nil && !IsEvent(ct2) && (f2 == nil || !reflect.DeepEqual(f2.Headers, fr.Headers) || !bytes.Equal(f2.Body, fr.Body)) {
				t.Fatalf("next frame %+v, ReadFrame %+v", f2, fr)
			}
			if err == nil && IsEvent(fr.ContentType()) {
				e1, decodeErr1 := DecodeEvent(fr)
				if (decodeErr1 == nil) != (decodeErr2 == nil) {
					t.Fatalf("DecodeEvent error %v, next decode error %v", decodeErr1, decodeErr2)
				}
				if decodeErr1 == nil && !sameEvent(e1, e2) {
					t.Fatalf("next decoded %q %q, DecodeEvent %q %q", e2.Headers(), e2.Body, e1.Headers(), e1.Body)
				}
			}
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) &&
					!errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
					t.Fatalf("unexpected error class: %v", err)
				}
				return
			}
			if len(fr.Body) > len(data) {
				t.Fatalf("body of %d bytes from %d input bytes", len(fr.Body), len(data))
			}
			if IsEvent(fr.ContentType()) {
				e, err := DecodeEvent(fr)
				if err != nil {
					continue
				}
				// Whatever decodes re-encodes and decodes to the same event.
				for _, format := range []EventFormat{FormatPlain, FormatJSON} {
					if format == FormatPlain && !plainSafe(e) {
						continue
					}
					e2, err := DecodeEvent(EventFrame(e, format))
					if err != nil {
						t.Fatalf("re-decoding %s: %v", format, err)
					}
					if format == FormatJSON && !jsonSafe(e) {
						continue
					}
					if !sameEvent(e, e2) {
						t.Fatalf("%s round trip changed the event:\n%q %q\n%q %q", format, e.Headers(), e.Body, e2.Headers(), e2.Body)
					}
				}
			}
		}
	})
}

// plainSafe reports whether e survives the plain encoding: names without
// ':' or newlines, values that are not ambiguous under FreeSWITCH's
// no-double-encode quirk or the _undef_ convention.
func plainSafe(e *Event) bool {
	hs := e.Headers()
	for _, h := range hs {
		if h.Name == "" || bytes.ContainsAny([]byte(h.Name), ":\r\n") || h.Name == "Content-Length" && h == hs[len(hs)-1] {
			return false
		}
		if h.Value == undef || hasUpperHexEscape(h.Value) {
			return false
		}
	}
	return true
}

// jsonSafe: values that start with ARRAY:: come back as arrays, and
// "Content-Length"/"_body" keys are framing.
func jsonSafe(e *Event) bool {
	for _, h := range e.Headers() {
		if h.Name == "_body" || h.Name == "Content-Length" || bytes.HasPrefix([]byte(h.Value), []byte(arrayPrefix)) {
			return false
		}
	}
	return true
}

func hasUpperHexEscape(s string) bool {
	for i := 0; i+2 < len(s); i++ {
		if s[i] == '%' && isUpperHex(s[i+1]) && isUpperHex(s[i+2]) {
			return true
		}
	}
	return false
}

func sameEvent(a, b *Event) bool {
	if a.Body != b.Body || a.Len() != b.Len() || a.Name() != b.Name() {
		return false
	}
	for i := range a.Len() {
		if a.Header(i) != b.Header(i) {
			return false
		}
	}
	return true
}

// FuzzReadCommand feeds arbitrary bytes to the command parser the agent's
// server uses; whatever parses must re-encode (when safe) to the same
// command.
func FuzzReadCommand(f *testing.F) {
	f.Add([]byte("auth ClueCon\n\n"))
	f.Add([]byte("bgapi status\r\nJob-UUID: x\r\n\r\n"))
	f.Add([]byte("sendmsg u\ncall-command: execute\nexecute-app-name: park\n\n"))
	f.Add([]byte("sendmsg u\ncontent-length: 3\n\nabc"))
	f.Add([]byte("\n\n\nexit\n\n"))
	f.Add([]byte("sendmsg u\ncontent-length: 99999999999\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		for i := 0; i < 1000; i++ {
			c, err := r.ReadCommand()
			if err != nil {
				return
			}
			if len(c.Body) > len(data) {
				t.Fatalf("body of %d bytes from %d input bytes", len(c.Body), len(data))
			}
			enc, err := c.AppendTo(nil)
			if err != nil {
				continue // e.g. a NUL in the line, or a header without ':'
			}
			c2, err := NewReader(bytes.NewReader(enc)).ReadCommand()
			if err != nil {
				t.Fatalf("re-reading %q: %v", enc, err)
			}
			if c2.Line != c.Line || len(c2.Headers) < len(c.Headers) || !bytes.Equal(c2.Body, c.Body) {
				t.Fatalf("round trip changed the command: %q -> %q", c, c2)
			}
		}
	})
}
