package agent

import (
	"sync"
	"unsafe"

	"github.com/callplan/callplan/esl"
)

// eventWire holds an event's encodings for the connections that share it.
// An event the hub delivers to one subscriber (a load test's one
// connection) is encoded straight into that connection's write buffer and
// never kept: no buffer of its own, no copy. When several want it, the
// first to write it in a format encodes it here and the others copy those
// bytes.
type eventWire struct {
	shared    bool // more than one subscriber; set by the hub before delivery
	plainOnce sync.Once
	plain     []byte
	jsonOnce  sync.Once
	json      []byte
}

// appendFrame appends the complete wire frame of the event in format f.
func (e *event) appendFrame(dst []byte, f esl.EventFormat) []byte {
	if e.raw != nil {
		return append(dst, e.raw...)
	}
	if !e.wire.shared {
		return esl.AppendEventFrame(dst, eslHeaders(e.Headers), e.Body, f)
	}
	once, b := &e.wire.plainOnce, &e.wire.plain
	if f == esl.FormatJSON {
		once, b = &e.wire.jsonOnce, &e.wire.json
	}
	once.Do(func() { *b = esl.AppendEventFrame(nil, eslHeaders(e.Headers), e.Body, f) })
	return append(dst, *b...)
}

// encodePlainHeaders is the header block of a text/event-plain body
// (uuid_dump's txt format), ending with a blank line.
func encodePlainHeaders(e *event) []byte {
	return esl.AppendHeadersPlain(nil, eslHeaders(e.Headers), e.Body)
}

// encodeJSONEvent is the event as one JSON object (uuid_dump json).
func encodeJSONEvent(e *event) []byte {
	return esl.AppendHeadersJSON(nil, eslHeaders(e.Headers), e.Body)
}

// eslHeaders views an event's header list as esl.Headers, without the
// copy a conversion header by header would make (150 headers for a
// channel event, each event). header and esl.Header have identical
// underlying types, struct{Name, Value string} (the conversion below
// compiles only while they do), hence the same memory layout.
func eslHeaders(hs []header) esl.Headers {
	return unsafe.Slice((*esl.Header)(unsafe.Pointer(unsafe.SliceData(hs))), len(hs))
}

var _ = esl.Header(header{})
