package esl

import (
	"bytes"
	"fmt"
)

// A connection's events can be decoded with only the headers its reader
// needs (WithEventHeaders). FreeSWITCH itself cannot narrow an event: a
// subscription and its filters choose which events a connection gets,
// never which headers, and every CHANNEL_CREATE, ANSWER, PARK and
// HANGUP_COMPLETE carries all the leg's variables (reference 2.4, 3.3;
// fixture 01: 81 of a CHANNEL_ANSWER's 140 headers, 4.1 of its 6.1 kB).
// A load tester reads a dozen of them. Skipping the rest before they are
// copied or %XX-decoded saves most of the decoding's work and almost all
// of the bytes it allocates.

// clientHeader reports whether the Conn itself reads header name (routing,
// job results, heartbeats, Event.Time): these are kept whatever the
// filter says.
func clientHeader(name string) bool {
	switch name {
	case "Event-Name", "Event-Subclass", "Unique-ID", "Job-UUID", "Event-Date-Timestamp",
		"Session-Count", "Max-Sessions", "Session-Per-Sec", "Session-Per-Sec-Last", "Idle-CPU", "Uptime-msec":
		return true
	}
	return false
}

// ParseEventPlainKeep decodes a text/event-plain body as ParseEventPlain
// does, keeping only the headers keep accepts and those a Conn reads
// itself (see WithEventHeaders). b is not retained.
func ParseEventPlainKeep(b []byte, keep func(name string) bool) (*Event, error) {
	return parseEventPlainKeep(b, keep)
}

// parsePlain decodes a plain event whole, or narrowed by r.keep.
func (r *Reader) parsePlain(b []byte) (*Event, error) {
	if r.keep != nil {
		return parseEventPlainKeep(b, r.keep)
	}
	if r.plain.next == nil {
		r.plain.next = new([len(knownNames)]uint16)
	}
	return parseEventPlainWith(b, &r.plain)
}

// keptLine is one header line parseEventPlainKeep keeps: name at [n0, n1),
// value at [v0, v1) of the source.
type keptLine struct{ n0, n1, v0, v1 int }

// parseEventPlainKeep decodes a text/event-plain body as parseEventPlain
// does, keeping only the headers keep (or clientHeader) accepts. The
// lines are scanned in place; only the kept names and values, and the
// body, are copied, then the values %XX-decoded where they are. keep gets
// a name that points into src: it must not retain it.
func parseEventPlainKeep(src []byte, keep func(name string) bool) (*Event, error) {
	if uint64(len(src)) > maxEventBytes {
		return nil, fmt.Errorf("event of %d bytes: %w", len(src), ErrTooLarge)
	}
	// The lines kept, on the stack for a channel event's few dozen.
	var stack [64]keptLine
	lines := stack[:0]
	size := 0
	pos := 0
	// A Content-Length line frames the body when it is the last header;
	// it is held back until the next line shows it was not.
	lastCL := false
	var cl keptLine
	for pos < len(src) {
		end := len(src)
		next := end
		if nl := bytes.IndexByte(src[pos:], '\n'); nl >= 0 {
			end, next = pos+nl, pos+nl+1
		}
		lineEnd := end
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
		name := bytesToString(line[:i])
		vs := i + 1
		for vs < len(line) && line[vs] == ' ' {
			vs++
		}
		k := keptLine{pos, pos + i, pos + vs, lineEnd}
		if string(line[vs:]) == undef {
			k.v1 = k.v0
		}
		if lastCL && keep("Content-Length") {
			lines = append(lines, cl)
			size += cl.n1 - cl.n0 + cl.v1 - cl.v0
		}
		lastCL = name == "Content-Length"
		if lastCL {
			cl = k
		} else if clientHeader(name) || keep(name) {
			lines = append(lines, k)
			size += k.n1 - k.n0 + k.v1 - k.v0
		}
		pos = next
	}
	body := 0
	if lastCL {
		n, err := parseContentLength(bytesToString(src[cl.v0:cl.v1]))
		if err != nil {
			return nil, fmt.Errorf("event body: %w", err)
		}
		if n > len(src)-pos {
			return nil, fmt.Errorf("event body of %d bytes, %d present: %w", n, len(src)-pos, ErrMalformed)
		}
		body = n
	}
	buf := make([]byte, 0, size+body)
	idx := make([]span, 0, len(lines))
	var wide []wideSpan
	nameAt := -1
	for _, k := range lines {
		var x wideSpan
		x.n0 = uint32(len(buf))
		buf = append(buf, src[k.n0:k.n1]...)
		x.n1 = uint32(len(buf))
		x.v0 = x.n1
		v := src[k.v0:k.v1]
		buf = append(buf, v...)
		if j := bytes.IndexByte(v, '%'); j >= 0 {
			at := int(x.v0) + j
			buf = buf[:at+decodeInPlace(buf[at:])]
		}
		x.v1 = uint32(len(buf))
		if k.n1-k.n0 == len("Event-Name") && equalFoldASCII(bytesToString(src[k.n0:k.n1]), "Event-Name") {
			nameAt = len(idx) + len(wide)
		}
		idx, wide = addSpan(idx, wide, x)
	}
	bodyAt := len(buf)
	buf = append(buf, src[pos:pos+body]...)
	raw := bytesToString(buf)
	e := &Event{raw: raw, idx: idx, wide: wide, Body: raw[bodyAt:]}
	if nameAt >= 0 {
		_, v0, v1 := e.hdr(nameAt)
		e.name = raw[v0:v1]
	}
	return e, nil
}
