package esl

import (
	"bytes"
	"fmt"
)

// parseEventPlainRef is parseEventPlain as it was before the decode was
// tuned for issue 16 (commit e3ca9ef): the straightforward scan, kept as
// the oracle the tuned parser is checked against (TestParseEventPlainMatchesRef,
// FuzzParseEventPlain). Only its offsets go through addSpan now, as the
// span's layout changed with the known names.
func parseEventPlainRef(src []byte) (*Event, error) {
	if uint64(len(src)) > maxEventBytes {
		return nil, fmt.Errorf("event of %d bytes: %w", len(src), ErrTooLarge)
	}
	buf := make([]byte, len(src))
	copy(buf, src)
	idx := make([]span, 0, bytes.Count(src, []byte{'\n'})+1)
	pos := 0
	pct := -1
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
				vEnd = pct + decodeInPlaceRef(v[j:])
			}
		}
		if i == len("Event-Name") && equalFoldASCII(bytesToString(line[:i]), "Event-Name") {
			nameAt = len(idx) + len(wide)
		}
		idx, wide = addSpan(idx, wide, wideSpan{uint32(pos), uint32(pos + i), uint32(start), uint32(vEnd)})
		pos = next
	}
	raw := bytesToString(buf)
	e := &Event{raw: raw, idx: idx, wide: wide}
	if nameAt >= 0 {
		_, v0, v1 := e.hdr(nameAt)
		e.name = raw[v0:v1]
	}
	if n := e.Len(); n > 0 {
		name, v0, v1 := e.hdr(n - 1)
		if name != "Content-Length" {
			return e, nil
		}
		cl, err := parseContentLength(raw[v0:v1])
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

// decodeInPlaceRef is decodeInPlace before issue 16's tuning.
func decodeInPlaceRef(v []byte) int {
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
