package esl

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Content types FreeSWITCH puts on the frames it sends (reference 1.2).
const (
	ContentAuthRequest      = "auth/request"
	ContentCommandReply     = "command/reply"
	ContentAPIResponse      = "api/response"
	ContentEventPlain       = "text/event-plain"
	ContentEventJSON        = "text/event-json"
	ContentEventXML         = "text/event-xml"
	ContentDisconnectNotice = "text/disconnect-notice"
	ContentLogData          = "log/data"
	ContentRudeRejection    = "text/rude-rejection"
)

// Size limits. A peer's Content-Length is never trusted for an allocation:
// bodies are read in chunks, so a lying length costs at most what was
// actually received, and anything over the limit is refused.
const (
	// DefaultMaxBody bounds a frame body the Reader accepts. Big enough for
	// "show channels as json" on a loaded node.
	DefaultMaxBody = 64 << 20
	// MaxCommandBody is what FreeSWITCH accepts as a client command body
	// (builds from August 2026 close the connection above 16 MiB).
	MaxCommandBody = 16 << 20
	// maxHeaderBlock bounds one header block (outer frame or command).
	maxHeaderBlock = 1 << 20
	// maxHeaderLines bounds the number of header lines in one block.
	maxHeaderLines = 4096
	// bodyChunk is the largest single allocation made before bytes arrive.
	bodyChunk = 64 << 10
)

// Wire errors. Each is wrapped with detail; test with errors.Is.
var (
	// ErrMalformed means the bytes are not an ESL frame (bad header line,
	// bad Content-Length, bad event encoding).
	ErrMalformed = errors.New("malformed esl frame")
	// ErrTooLarge means a header block or body exceeded its limit.
	ErrTooLarge = errors.New("esl frame too large")
)

// Frame is one frame as sent on the wire: a header block and an optional
// body whose length the Content-Length header gives.
type Frame struct {
	Headers Headers
	Body    []byte
}

// ContentType returns the Content-Type header.
func (f *Frame) ContentType() string { return f.Headers.Get("Content-Type") }

// ReplyText returns the Reply-Text header of a command/reply.
func (f *Frame) ReplyText() string { return f.Headers.Get("Reply-Text") }

// Reader reads ESL frames (server to client) and commands (client to server)
// from a byte stream. It is not safe for concurrent use.
type Reader struct {
	br *bufio.Reader
	// block and raw hold the last header block next read (scratch space).
	block []byte
	raw   []rawHeader
	// MaxBody bounds a frame body; zero means DefaultMaxBody.
	MaxBody int
	// keep, when set, narrows plain events (WithEventHeaders).
	keep func(name string) bool
	// plain is the plain event parser's scratch (parseEventPlainWith).
	plain plainScratch
}

// NewReader returns a Reader on r, reusing r if it is already a large
// enough *bufio.Reader.
func NewReader(r io.Reader) *Reader {
	if br, ok := r.(*bufio.Reader); ok && br.Size() >= 16<<10 {
		return &Reader{br: br}
	}
	return &Reader{br: bufio.NewReaderSize(r, 64<<10)}
}

// Buffered reports how many bytes are buffered but not yet consumed.
func (r *Reader) Buffered() int { return r.br.Buffered() }

// ReadFrame reads one frame as FreeSWITCH writes it. It returns io.EOF only
// when the stream ends cleanly between frames; a stream that ends inside a
// frame gives io.ErrUnexpectedEOF. Stray blank lines before a frame are
// skipped, as FreeSWITCH itself does.
func (r *Reader) ReadFrame() (*Frame, error) {
	hs, err := r.readHeaderBlock(false)
	if err != nil {
		return nil, err
	}
	f := &Frame{Headers: hs}
	body, err := r.readBody(hs, r.maxBody())
	if err != nil {
		return nil, err
	}
	f.Body = body
	return f, nil
}

func (r *Reader) maxBody() int {
	if r.MaxBody > 0 {
		return r.MaxBody
	}
	return DefaultMaxBody
}

// Command is one client command frame (reference 1.8): the command line,
// optional headers (sendmsg, bgapi's Job-UUID) and an optional body.
type Command struct {
	// Line is the first line, e.g. "api status" or "sendmsg <uuid>".
	Line    string
	Headers Headers
	Body    []byte
}

// ReadCommand reads one command as FreeSWITCH accepts it from a client: the
// first line is the command, further lines are headers whose values are
// taken raw (not URL-decoded) after the first ':' and leading blanks, a
// blank line ends it, and a body follows only with Content-Length (at most
// MaxCommandBody). Blank lines between commands are skipped and "\r\n" is
// accepted. It returns io.EOF when the stream ends cleanly between commands.
func (r *Reader) ReadCommand() (*Command, error) {
	hs, err := r.readHeaderBlock(true)
	if err != nil {
		return nil, err
	}
	c := &Command{Line: hs[0].Value, Headers: hs[1:]}
	if len(c.Headers) == 0 {
		c.Headers = nil
	}
	body, err := r.readBody(c.Headers, MaxCommandBody)
	if err != nil {
		return nil, err
	}
	c.Body = body
	return c, nil
}

// readHeaderBlock reads lines up to a blank line. With command set, the
// first line is the command and is returned as a header with an empty name.
func (r *Reader) readHeaderBlock(command bool) (Headers, error) {
	var (
		hs    Headers
		total int
	)
	for {
		line, err := r.readLine(&total)
		if err != nil {
			if err == io.EOF && len(hs) > 0 {
				return nil, fmt.Errorf("reading header block: %w", io.ErrUnexpectedEOF)
			}
			return nil, err
		}
		if len(line) == 0 {
			if len(hs) == 0 {
				continue // stray blank line between frames
			}
			return hs, nil
		}
		if len(hs) >= maxHeaderLines {
			return nil, fmt.Errorf("header block over %d lines: %w", maxHeaderLines, ErrTooLarge)
		}
		if command && len(hs) == 0 {
			hs = make(Headers, 0, 4)
			hs = append(hs, Header{Value: string(line)})
			continue
		}
		h, err := parseHeaderLine(line, command)
		if err != nil {
			return nil, err
		}
		if hs == nil {
			hs = make(Headers, 0, 4)
		}
		hs = append(hs, h)
	}
}

// readLine returns the next line without its "\n" or "\r\n". The slice is
// only valid until the next read.
func (r *Reader) readLine(total *int) ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		// A line longer than the buffer: collect it, bounded.
		buf := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull {
			if *total+len(buf) > maxHeaderBlock {
				return nil, fmt.Errorf("header line over %d bytes: %w", maxHeaderBlock, ErrTooLarge)
			}
			line, err = r.br.ReadSlice('\n')
			buf = append(buf, line...)
		}
		line = buf
	}
	*total += len(line)
	if *total > maxHeaderBlock {
		return nil, fmt.Errorf("header block over %d bytes: %w", maxHeaderBlock, ErrTooLarge)
	}
	if err != nil {
		if err == io.EOF && len(line) > 0 {
			return nil, fmt.Errorf("reading header line: %w", io.ErrUnexpectedEOF)
		}
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// parseHeaderLine splits "Name: value". Outer frame headers are never
// URL-encoded; command header values are raw by definition.
func parseHeaderLine(line []byte, lenient bool) (Header, error) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		if lenient && i < 0 {
			// FreeSWITCH ignores a header line without ':'; so do we.
			return Header{Name: string(line)}, nil
		}
		return Header{}, fmt.Errorf("header line %q: no name: %w", truncate(line), ErrMalformed)
	}
	name := internName(line[:i])
	v := line[i+1:]
	for len(v) > 0 && (v[0] == ' ' || v[0] == '\t') {
		v = v[1:]
	}
	return Header{Name: name, Value: internValue(v)}, nil
}

// readBody reads the body announced by hs's Content-Length, if any.
func (r *Reader) readBody(hs Headers, limit int) ([]byte, error) {
	cl, ok := hs.Lookup("Content-Length")
	if !ok {
		return nil, nil
	}
	n, err := parseContentLength(cl)
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, fmt.Errorf("body of %d bytes over limit %d: %w", n, limit, ErrTooLarge)
	}
	if n == 0 {
		return []byte{}, nil
	}
	// Allocate what the peer claims only up to bodyChunk; grow as bytes
	// actually arrive, so a lying Content-Length cannot make us allocate.
	body := make([]byte, min(n, bodyChunk))
	got := 0
	for {
		m, err := io.ReadFull(r.br, body[got:])
		got += m
		if err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return nil, fmt.Errorf("reading %d-byte body (got %d): %w", n, got, io.ErrUnexpectedEOF)
			}
			return nil, fmt.Errorf("reading body: %w", err)
		}
		if got == n {
			return body, nil
		}
		grow := min(n-got, max(len(body), bodyChunk))
		body = append(body, make([]byte, grow)...)
	}
}

func parseContentLength(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("content-length %q: %w", truncate([]byte(s)), ErrMalformed)
	}
	return n, nil
}

// internName avoids an allocation per frame for the names FreeSWITCH puts
// on outer frames and on commands.
func internName(b []byte) string {
	switch string(b) {
	case "Content-Type":
		return "Content-Type"
	case "Content-Length":
		return "Content-Length"
	case "Reply-Text":
		return "Reply-Text"
	case "Job-UUID":
		return "Job-UUID"
	}
	return string(b)
}

func internValue(b []byte) string {
	switch string(b) {
	case ContentEventPlain:
		return ContentEventPlain
	case ContentEventJSON:
		return ContentEventJSON
	case ContentCommandReply:
		return ContentCommandReply
	case ContentAPIResponse:
		return ContentAPIResponse
	case "+OK":
		return "+OK"
	}
	return string(b)
}

// truncate keeps error messages short when a peer sends garbage.
func truncate(b []byte) string {
	const n = 64
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// next reads one frame for the client's reader and returns its content
// type. An event whose body fits in the read buffer is decoded straight
// from the buffer: its outer headers are parsed into the Reader's scratch
// space and no Frame is built (f is nil), and the event's bytes are copied
// once, into the event. Any other frame is returned in f. A frame that
// arrived whole but does not decode is returned with decodeErr (the
// stream is still in step); err means the stream is not.
func (r *Reader) next() (ct string, f *Frame, e *Event, decodeErr, err error) {
	if err := r.readRawBlock(); err != nil {
		return "", nil, nil, nil, err
	}
	ctb, _ := r.rawLookup("Content-Type")
	switch string(ctb) {
	case ContentEventPlain:
		ct = ContentEventPlain
	case ContentEventJSON:
		ct = ContentEventJSON
	}
	if ct != "" {
		if clb, ok := r.rawLookup("Content-Length"); ok {
			n, err := parseContentLength(bytesToString(clb))
			if err != nil {
				return "", nil, nil, nil, err
			}
			if n <= r.br.Size() && n <= r.maxBody() {
				b, err := r.br.Peek(n)
				if err != nil {
					if err == io.EOF {
						err = io.ErrUnexpectedEOF
					}
					return "", nil, nil, nil, fmt.Errorf("reading %d-byte event: %w", n, err)
				}
				// Both parsers copy what they keep.
				if ct == ContentEventPlain {
					e, decodeErr = r.parsePlain(b)
				} else {
					e, decodeErr = ParseEventJSON(b)
				}
				_, _ = r.br.Discard(n)
				return ct, nil, e, decodeErr, nil
			}
		}
	}
	hs := make(Headers, len(r.raw))
	for i, h := range r.raw {
		hs[i] = Header{Name: internName(r.block[h.n0:h.n1]), Value: internValue(r.block[h.v0:h.v1])}
	}
	f = &Frame{Headers: hs}
	if f.Body, err = r.readBody(hs, r.maxBody()); err != nil {
		return "", nil, nil, nil, err
	}
	switch ct {
	case ContentEventPlain:
		e, decodeErr = r.parsePlain(f.Body)
	case ContentEventJSON:
		e, decodeErr = ParseEventJSON(f.Body)
	}
	return f.ContentType(), f, e, decodeErr, nil
}

// readRawBlock reads a frame's header block as readHeaderBlock does (same
// limits and errors) into r.block and r.raw, reused from frame to frame.
func (r *Reader) readRawBlock() error {
	if cap(r.block) > 64<<10 || cap(r.raw) > 256 {
		// Do not keep what one huge header block needed for the
		// connection's lifetime.
		r.block, r.raw = nil, nil
	}
	r.block, r.raw = r.block[:0], r.raw[:0]
	total := 0
	for {
		line, err := r.readLine(&total)
		if err != nil {
			if err == io.EOF && len(r.raw) > 0 {
				return fmt.Errorf("reading header block: %w", io.ErrUnexpectedEOF)
			}
			return err
		}
		if len(line) == 0 {
			if len(r.raw) == 0 {
				continue // stray blank line between frames
			}
			return nil
		}
		if len(r.raw) >= maxHeaderLines {
			return fmt.Errorf("header block over %d lines: %w", maxHeaderLines, ErrTooLarge)
		}
		i := bytes.IndexByte(line, ':')
		if i <= 0 {
			return fmt.Errorf("header line %q: no name: %w", truncate(line), ErrMalformed)
		}
		v := i + 1
		for v < len(line) && (line[v] == ' ' || line[v] == '\t') {
			v++
		}
		at := len(r.block)
		r.block = append(r.block, line...)
		r.raw = append(r.raw, rawHeader{at, at + i, at + v, at + len(line)})
	}
}

// rawHeader locates one header line of a block in Reader.block.
type rawHeader struct{ n0, n1, v0, v1 int }

// rawLookup is Headers.Lookup on the block readRawBlock read.
func (r *Reader) rawLookup(name string) ([]byte, bool) {
	for _, h := range r.raw {
		if equalFoldASCII(bytesToString(r.block[h.n0:h.n1]), name) {
			return r.block[h.v0:h.v1], true
		}
	}
	return nil, false
}
