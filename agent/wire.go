package agent

import (
	"strconv"
	"sync"

	"github.com/callplan/callplan/esl"
)

// eventWire caches an event's encodings: every connection that wants the
// event in the same format shares one encoded frame.
type eventWire struct {
	once      sync.Once
	ev        *esl.Event
	plainOnce sync.Once
	plain     []byte
	jsonOnce  sync.Once
	json      []byte
}

func (e *event) wireEvent() *esl.Event {
	e.wire.once.Do(func() {
		hs := make(esl.Headers, len(e.Headers))
		for i, h := range e.Headers {
			hs[i] = esl.Header{Name: h.Name, Value: h.Value}
		}
		e.wire.ev = esl.NewEvent(hs, e.Body)
	})
	return e.wire.ev
}

// frame returns the complete wire frame of the event in format f.
func (e *event) frame(f esl.EventFormat) []byte {
	if e.raw != nil {
		return e.raw
	}
	if f == esl.FormatJSON {
		e.wire.jsonOnce.Do(func() { e.wire.json = eventFrameBytes(e.wireEvent(), f) })
		return e.wire.json
	}
	e.wire.plainOnce.Do(func() { e.wire.plain = eventFrameBytes(e.wireEvent(), f) })
	return e.wire.plain
}

// eventFrameBytes encodes the frame in one allocation: the body is built
// after room for the two outer headers, which are then written in front.
func eventFrameBytes(ev *esl.Event, f esl.EventFormat) []byte {
	const room = 64
	buf := make([]byte, room, room+4096)
	ct := esl.ContentEventPlain
	if f == esl.FormatJSON {
		buf = esl.AppendEventJSON(buf, ev)
		ct = esl.ContentEventJSON
	} else {
		buf = esl.AppendEventPlain(buf, ev)
	}
	body := len(buf) - room
	head := "Content-Length: " + strconv.Itoa(body) + "\nContent-Type: " + ct + "\n\n"
	start := room - len(head)
	copy(buf[start:], head)
	return buf[start:]
}

// encodePlainHeaders is the header block of a text/event-plain body
// (uuid_dump's txt format), ending with a blank line.
func encodePlainHeaders(e *event) []byte {
	return esl.AppendEventPlain(nil, e.wireEvent())
}

// encodeJSONEvent is the event as one JSON object (uuid_dump json).
func encodeJSONEvent(e *event) []byte {
	return esl.AppendEventJSON(nil, e.wireEvent())
}
