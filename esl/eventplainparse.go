package esl

import (
	"bytes"
	"fmt"
	"sync"
)

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
	// Without a Reader: a pooled scratch, so the lines are not regrown on
	// the heap call after call.
	s := plainScratchPool.Get().(*plainScratch)
	e, err := parseEventPlainWith(src, s)
	plainScratchPool.Put(s)
	return e, err
}

var plainScratchPool = sync.Pool{New: func() any { return &plainScratch{next: new([len(knownNames)]uint16)} }}

// plainScratch is what a Reader keeps from event to event for
// parseEventPlainLines: the first pass's lines (a channel event has
// 100-200: as a local array they would be cleared on every call, and
// outgrow the stack), and which known name followed which.
type plainScratch struct {
	lines []plainLine
	// next[i]-1 is the known name that last followed known name i where
	// the list's own next did not; 0 means none such seen yet.
	// The guess only saves a lookup: the result never depends on it.
	next *[len(knownNames)]uint16
}

// parseEventPlainWith is parseEventPlain with a Reader's scratch.
func parseEventPlainWith(src []byte, scratch *plainScratch) (*Event, error) {
	e, lines, err := parseEventPlainLines(src, scratch.lines[:0], scratch.next)
	if cap(lines) <= maxScratchLines {
		scratch.lines = lines[:0]
	}
	return e, err
}

// parseEventPlainLines is parseEventPlain with lines as the first pass's
// room (returned, grown if it had to) and follow (nil: none) the known
// names learnt to follow each other.
func parseEventPlainLines(src []byte, lines []plainLine, follow *[len(knownNames)]uint16) (*Event, []plainLine, error) {
	if uint64(len(src)) > maxEventBytes {
		return nil, lines, fmt.Errorf("event of %d bytes: %w", len(src), ErrTooLarge)
	}
	// Bytes to copy: the values, the names not known and all the names
	// (an event that needs wide spans copies every name).
	values, unknown, names := 0, 0, 0
	wide := false
	pos := 0
	// pct is the next '%' at or after the current value (len(src) if
	// none): one search per encoded value instead of one per header.
	pct := -1
	nameAt, uidAt := -1, -1
	// guess is the known name expected next: the one that followed the
	// last known name seen (prev) before, else the list's next.
	guess, prev := 0, -1
	for pos < len(src) {
		// The line's name is [pos, c), its value starts at vs, id is
		// the name's index in knownNames or -1. Kept in registers and
		// stored once: a plainLine built field by field and then
		// copied stalled on the copy.
		c, vs, id := 0, 0, -1
		var lineEnd, next int
		if guess < len(knownNames) {
			k := knownNames[guess]
			if c = pos + len(k); c < len(src) && src[c] == ':' && string(src[pos:c]) == k {
				// A known name has no ':' or '\n': this is the line's
				// first ':'.
				id = guess
				vs = c + 1
				for vs < len(src) && src[vs] == ' ' {
					vs++
				}
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
		if id < 0 {
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
				return nil, lines, fmt.Errorf("event header line %q: %w", truncate(line), ErrMalformed)
			}
			v := i + 1
			for v < len(line) && line[v] == ' ' {
				v++
			}
			c, vs = pos+i, pos+v
			if k, ok := knownNameIDs[string(line[:i])]; ok {
				id = int(k)
				if prev >= 0 && follow != nil {
					follow[prev] = k + 1
				}
			}
		}
		ve, vpct := vs, vs
		if string(src[vs:lineEnd]) != undef {
			ve = lineEnd
			if pct < vs {
				pct = len(src)
				if j := bytes.IndexByte(src[vs:], '%'); j >= 0 {
					pct = vs + j
				}
			}
			vpct = min(pct, lineEnd)
		}
		nlen := c - pos
		switch nlen {
		case len("Event-Name"):
			if equalFoldASCII(bytesToString(src[pos:c]), "Event-Name") {
				nameAt = len(lines)
			}
		case len("Unique-ID"):
			if uidAt < 0 && equalFoldASCII(bytesToString(src[pos:c]), "Unique-ID") {
				uidAt = len(lines)
			}
		}
		values += ve - vs
		names += nlen
		if id >= 0 {
			prev, guess = id, id+1
			if follow != nil && follow[id] != 0 {
				guess = int(follow[id]) - 1
			}
		} else {
			unknown += nlen
			wide = wide || nlen > 0xff
		}
		wide = wide || ve-vs > 0xffff
		n := len(lines)
		if n == cap(lines) {
			lines = append(lines, plainLine{})
		}
		lines = lines[:n+1]
		l := &lines[n]
		l.pos, l.c, l.vs, l.ve, l.pct, l.id = uint32(pos), uint32(c), uint32(vs), uint32(ve), uint32(vpct), int32(id)
		pos = next
	}
	size := values + unknown
	// A span's value offset is 16 bits: a bigger event is wide.
	wide = wide || size > 0xffff
	if wide {
		size = values + names
	}
	e, err := buildEventPlain(src, lines, size, pos, nameAt, wide)
	if err == nil {
		// A last Content-Length is not a header; a Unique-ID cannot be
		// it.
		e.uidAt = int32(uidAt + 1)
		if uidAt < 0 {
			e.uidAt = -1
		}
	}
	return e, lines, err
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
			idx[i] = span{uint16(n1), uint16(len(buf) - n1), knownName | uint16(l.id)}
		default:
			idx[i] = span{uint16(n1), uint16(len(buf) - n1), uint16(n1 - n0)}
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
