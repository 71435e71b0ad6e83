package esl

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixtureDir holds verbatim copies of ../shared/fixtures/esl (real
// FreeSWITCH 1.10.12 transcripts); they must never be edited.
const fixtureDir = "testdata/fixtures"

// transcripts returns the received-bytes fixtures by name.
func transcripts(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(fixtureDir, "*.txt"))
	require.NoError(t, err)
	out := map[string][]byte{}
	for _, p := range paths {
		if strings.HasSuffix(p, ".sent.txt") {
			continue
		}
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		out[filepath.Base(p)] = b
	}
	require.Len(t, out, 14, "expected every fixture transcript")
	return out
}

// frameSpans splits a transcript into frames and the exact bytes of each.
func frameSpans(t testing.TB, b []byte) ([]*Frame, [][]byte) {
	t.Helper()
	cr := &countingReader{r: bytes.NewReader(b)}
	r := NewReader(bufio.NewReaderSize(cr, 1<<20))
	var (
		frames []*Frame
		spans  [][]byte
		prev   int
	)
	for {
		f, err := r.ReadFrame()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		end := cr.n - r.Buffered()
		frames = append(frames, f)
		spans = append(spans, b[prev:end])
		prev = end
	}
	require.Equal(t, len(b), prev, "frames must end exactly at EOF")
	return frames, spans
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestReadFrameFixturesRoundTrip(t *testing.T) {
	t.Parallel()
	for name, b := range transcripts(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			frames, spans := frameSpans(t, b)
			require.NotEmpty(t, frames)
			assert.Equal(t, ContentAuthRequest, frames[0].ContentType())
			events := 0
			for i, f := range frames {
				// The generic frame encoder reproduces every frame byte for byte.
				require.Equal(t, string(spans[i]), string(f.AppendTo(nil)), "frame %d", i)
				if !IsEvent(f.ContentType()) {
					continue
				}
				events++
				e, err := DecodeEvent(f)
				require.NoError(t, err, "frame %d", i)
				require.NotEmpty(t, e.Name(), "frame %d", i)
				// Decoding then encoding an event gives FreeSWITCH's exact bytes:
				// header order, URL encoding, JSON escaping, body framing.
				format := FormatPlain
				if f.ContentType() == ContentEventJSON {
					format = FormatJSON
				}
				got := EventFrame(e, format).AppendTo(nil)
				require.Equal(t, string(spans[i]), string(got), "frame %d (%s)", i, e.Name())
				// So does the server's path from a header list, appended
				// after what a write buffer already holds.
				got = AppendEventFrame([]byte("before"), e.Headers(), e.Body, format)
				require.Equal(t, "before"+string(spans[i]), string(got), "frame %d (%s)", i, e.Name())
			}
			if name != "10b-auth-wrong-password.txt" && name != "10c-command-before-auth.txt" {
				assert.NotZero(t, events)
			}
		})
	}
}

func TestParseEventPlainBackgroundJob(t *testing.T) {
	t.Parallel()
	b := transcripts(t)["01-loopback-call-plain-all.txt"]
	frames, _ := frameSpans(t, b)
	var job *Event
	for _, f := range frames {
		if f.ContentType() != ContentEventPlain {
			continue
		}
		e, err := DecodeEvent(f)
		require.NoError(t, err)
		if e.Name() == "BACKGROUND_JOB" {
			job = e
			break
		}
	}
	require.NotNil(t, job)
	assert.Equal(t, "215ade5d-b645-43ea-be4c-0cb00453c00b", job.JobUUID())
	assert.Equal(t, "+OK d4cf56ca-9b0f-46c8-a313-5be887a43eb2\n", job.Body)
	assert.Equal(t, "{origination_uuid=d4cf56ca-9b0f-46c8-a313-5be887a43eb2,sip_h_X-originating_session_uuid=d4cf56ca-9b0f-46c8-a313-5be887a43eb2}sofia/external/test@127.0.0.1:5080 &park()",
		job.Get("Job-Command-Arg"))
	_, hasCL := job.Lookup("Content-Length")
	assert.False(t, hasCL, "the inner Content-Length frames the body and is not a header")
	assert.Equal(t, "2026-11-22 21:58:29", job.Get("event-date-local"), "lookups ignore case, values decoded")
	ts := job.Get("Event-Date-Timestamp")
	require.Len(t, ts, 16)
	assert.Equal(t, time.Date(2026, 11, 22, 21, 58, 29, 0, time.UTC), job.Time().UTC().Truncate(time.Second))
	assert.Equal(t, ts[10:], fmt.Sprintf("%06d", job.Time().Nanosecond()/1000))
}

func TestPlainAndJSONDecodeAlike(t *testing.T) {
	t.Parallel()
	// 04-heartbeat has the same HEARTBEAT event shape in both formats.
	frames, _ := frameSpans(t, transcripts(t)["04-heartbeat.txt"])
	var plain, js []*Event
	for _, f := range frames {
		if !IsEvent(f.ContentType()) {
			continue
		}
		e, err := DecodeEvent(f)
		require.NoError(t, err)
		if f.ContentType() == ContentEventPlain {
			plain = append(plain, e)
		} else {
			js = append(js, e)
		}
	}
	require.Len(t, plain, 3)
	require.Len(t, js, 2)
	names := func(e *Event) []string {
		var out []string
		for _, h := range e.Headers() {
			out = append(out, h.Name)
		}
		return out
	}
	assert.Equal(t, names(plain[0]), names(js[0]))
	assert.Equal(t, "System Ready", js[0].Get("Event-Info"))
	assert.Equal(t, "System Ready", plain[0].Get("Event-Info"))
}

func TestURLDecode(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"a+b", "a+b"}, // '+' is not a space in ESL headers
		{"2026-11-22%2021%3A58%3A29", "2026-11-22 21:58:29"},
		{"mod_bert%3A%3Ain_sync", "mod_bert::in_sync"},
		{"100%", "100%"},
		{"%zz", "%zz"},
		{"%4", "%4"},
		{"%4a%4A", "JJ"},
		{"%0D%0A", "\r\n"},
		{"", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, URLDecode(tt.in), "URLDecode(%q)", tt.in)
	}
}

func TestURLEncodeMatchesFreeSWITCH(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"2026-11-22 21:58:29", "2026-11-22%2021%3A58%3A29"},
		{"tone_stream://%(1000,0,1004)", "tone_stream%3A//%25(1000,0,1004)"},
		{"0 years, 0 days", "0%20years,%200%20days"},
		{"#", "%23"},
		{"*", "*"},
		{"a+b", "a%2Bb"},
		{`"#%&+:;<=>?@[\]^` + "`{|}", "%22%23%25%26%2B%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%5E%60%7B%7C%7D"},
		{"-._~!$'()*,/", "-._~!$'()*,/"},
		{"v=0\r\n", "v%3D0%0D%0A"},
		{"é", "%C3%A9"},
		{"%41", "%41"}, // FreeSWITCH does not double-encode
		{"%4a", "%254a"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, URLEncode(tt.in), "URLEncode(%q)", tt.in)
	}
}

func TestReadFrameLimitsAndErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		maxBody int
		want    error
	}{
		{"clean eof", "", 0, io.EOF},
		{"eof mid headers", "Content-Type: api/response\nContent-Le", 0, io.ErrUnexpectedEOF},
		{"eof after headers", "Content-Type: api/response\n", 0, io.ErrUnexpectedEOF},
		{"eof mid body", "Content-Type: api/response\nContent-Length: 10\n\n+OK", 0, io.ErrUnexpectedEOF},
		{"lying content-length", "Content-Type: api/response\nContent-Length: 1000000000\n\nx", 2000000000, io.ErrUnexpectedEOF},
		{"over limit", "Content-Type: api/response\nContent-Length: 1001\n\n", 1000, ErrTooLarge},
		{"negative length", "Content-Length: -1\n\n", 0, ErrMalformed},
		{"junk length", "Content-Length: 12abc\n\n", 0, ErrMalformed},
		{"no colon", "HTTP/1.1 200 OK\n\n", 0, ErrMalformed},
		{"empty name", ": x\n\n", 0, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := NewReader(strings.NewReader(tt.in))
			r.MaxBody = tt.maxBody
			_, err := r.ReadFrame()
			require.Error(t, err)
			assert.True(t, errors.Is(err, tt.want), "got %v; want %v", err, tt.want)
		})
	}
}

func TestReadFrameHugeHeaderLine(t *testing.T) {
	t.Parallel()
	in := "Content-Type: " + strings.Repeat("x", 2<<20) + "\n\n"
	_, err := NewReader(strings.NewReader(in)).ReadFrame()
	assert.ErrorIs(t, err, ErrTooLarge)
}

func TestReadFrameCRLFAndStrayBlankLines(t *testing.T) {
	t.Parallel()
	r := NewReader(strings.NewReader("\n\r\nContent-Type: api/response\r\nContent-Length: 3\r\n\r\n+OK"))
	f, err := r.ReadFrame()
	require.NoError(t, err)
	assert.Equal(t, ContentAPIResponse, f.ContentType())
	assert.Equal(t, "+OK", string(f.Body))
	_, err = r.ReadFrame()
	assert.Equal(t, io.EOF, err)
}

func TestReadCommand(t *testing.T) {
	t.Parallel()
	in := "auth ClueCon\n\n" +
		"\n\r\n" + // stray blank lines are skipped
		"bgapi status\r\nJob-UUID: 563536d8-2a23-48ef-95f9-130bc53d2d33\r\n\r\n" +
		"sendmsg 44e58d61\ncall-command: execute\nexecute-app-name:   bert_test\nexecute-app-arg: a%20b+c\n\n" +
		"sendmsg x\ncontent-type: text/plain\ncontent-length: 5\n\nhello" +
		"exit\n\n"
	r := NewReader(strings.NewReader(in))
	want := []Command{
		{Line: "auth ClueCon"},
		{Line: "bgapi status", Headers: Headers{{"Job-UUID", "563536d8-2a23-48ef-95f9-130bc53d2d33"}}},
		{Line: "sendmsg 44e58d61", Headers: Headers{
			{"call-command", "execute"}, {"execute-app-name", "bert_test"},
			{"execute-app-arg", "a%20b+c"}, // raw, not decoded
		}},
		{Line: "sendmsg x", Headers: Headers{{"content-type", "text/plain"}, {"content-length", "5"}}, Body: []byte("hello")},
		{Line: "exit"},
	}
	for i, w := range want {
		c, err := r.ReadCommand()
		require.NoError(t, err, "command %d", i)
		assert.Equal(t, w.Line, c.Line)
		assert.Equal(t, w.Headers, c.Headers)
		assert.Equal(t, string(w.Body), string(c.Body))
	}
	_, err := r.ReadCommand()
	assert.Equal(t, io.EOF, err)
}

func TestReadCommandBodyLimit(t *testing.T) {
	t.Parallel()
	r := NewReader(strings.NewReader("sendmsg x\ncontent-length: 16777217\n\n"))
	_, err := r.ReadCommand()
	assert.ErrorIs(t, err, ErrTooLarge)
}

func TestReadCommandFromSentFixtures(t *testing.T) {
	t.Parallel()
	paths, err := filepath.Glob(filepath.Join(fixtureDir, "*.sent.txt"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		// Drop the "### t=" annotations, which were not on the wire.
		var wire []string
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "### t=") {
				continue
			}
			wire = append(wire, l)
		}
		r := NewReader(strings.NewReader(strings.Join(wire, "\n")))
		n := 0
		for {
			c, err := r.ReadCommand()
			if err == io.EOF {
				break
			}
			require.NoError(t, err, p)
			n++
			// What we read we can write back, and read again the same.
			enc, err := c.AppendTo(nil)
			require.NoError(t, err)
			c2, err := NewReader(bytes.NewReader(enc)).ReadCommand()
			require.NoError(t, err)
			assert.Equal(t, c, c2)
		}
		assert.Equal(t, strings.Count(string(b), "### t="), n, p)
	}
}

func TestCommandAppendToRefusesInjection(t *testing.T) {
	t.Parallel()
	tests := []Command{
		{Line: "api status\n\napi fsctl shutdown"},
		{Line: "api status\r"},
		{Line: "api status\x00"},
		{Line: ""},
		{Line: "sendmsg x", Headers: Headers{{"execute-app-arg", "a\nexecute-app-name: hangup"}}},
		{Line: "sendmsg x", Headers: Headers{{"bad:name", "v"}}},
		{Line: "sendmsg x", Headers: Headers{{"bad\nname", "v"}}},
		{Line: "sendmsg x", Headers: Headers{{"", "v"}}},
	}
	for _, c := range tests {
		_, err := c.AppendTo(nil)
		assert.ErrorIs(t, err, ErrUnsafe, "%q", c)
	}
	c := Command{Line: "sendmsg x", Headers: Headers{{"content-length", "3"}}, Body: []byte("hello")}
	_, err := c.AppendTo(nil)
	assert.ErrorIs(t, err, ErrMalformed)
}

func TestFrameConstructorsMatchCaptures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		f    *Frame
		want string
	}{
		{AuthRequest(), "Content-Type: auth/request\n\n"},
		{CommandReply("+OK accepted"), "Content-Type: command/reply\nReply-Text: +OK accepted\n\n"},
		{CommandReply("+OK Job-UUID: x", Header{"Job-UUID", "x"}), "Content-Type: command/reply\nReply-Text: +OK Job-UUID: x\nJob-UUID: x\n\n"},
		{APIResponse("+OK\n"), "Content-Type: api/response\nContent-Length: 4\n\n+OK\n"},
		{DisconnectNotice(DisconnectGoodbye), "Content-Type: text/disconnect-notice\nContent-Length: 67\n\n" + DisconnectGoodbye},
		{RudeRejection(), "Content-Type: text/rude-rejection\nContent-Length: 24\n\nAccess Denied, go away.\n"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, string(tt.f.AppendTo(nil)))
	}
	// The disconnect notice is byte-identical to the captured one.
	b := transcripts(t)["10b-auth-wrong-password.txt"]
	assert.True(t, bytes.HasSuffix(b, DisconnectNotice(DisconnectGoodbye).AppendTo(nil)))
}

func TestEventEncodeDecodeEdgeCases(t *testing.T) {
	t.Parallel()
	hs := Headers{
		{"Event-Name", "CUSTOM"},
		{"Empty", ""},
		{"variable_DP_MATCH", "ARRAY::a|:b"},
		{"Quote", "say \"hi\"\\ \t\x01 é /"},
		{"Plus", "a+b c"},
	}
	e := NewEvent(hs, "+OK\n")
	assert.Equal(t, hs, e.Headers())
	assert.Equal(t, "CUSTOM", e.Name())
	for _, format := range []EventFormat{FormatPlain, FormatJSON} {
		f := EventFrame(e, format)
		b := f.AppendTo(nil)
		f2, err := NewReader(bytes.NewReader(b)).ReadFrame()
		require.NoError(t, err)
		got, err := DecodeEvent(f2)
		require.NoError(t, err)
		assert.Equal(t, hs, got.Headers(), "format %s", format)
		assert.Equal(t, e.Body, got.Body, "format %s", format)
		assert.Equal(t, "CUSTOM", got.Name(), "format %s", format)
		assert.Equal(t, []string{"a", "b"}, got.Values("variable_dp_match"))
	}
	plain := string(AppendEventPlain(nil, e))
	assert.Contains(t, plain, "Empty: _undef_\n")
	js := string(AppendEventJSON(nil, e))
	assert.Equal(t, plain, string(AppendHeadersPlain(nil, hs, e.Body)))
	assert.Equal(t, js, string(AppendHeadersJSON(nil, hs, e.Body)))
	assert.Contains(t, js, `"variable_DP_MATCH":["a","b"]`)
	assert.Contains(t, js, `"Quote":"say \"hi\"\\ \t\u0001 é /"`)
	assert.True(t, strings.HasSuffix(js, `"Content-Length":"4","_body":"+OK\n"}`))
}

func TestParseEventJSONErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{``, `{`, `{"a"}`, `{"a":}`, `{"a":"b"`, `{"a":"b"}x`, `{"a":{"b":"c"}}`, `{"a":"\q"}`, `[]`, `{"a":[1,}`,
		`{"a":` + strings.Repeat("[", 9) + strings.Repeat("]", 9) + `}`} {
		_, err := ParseEventJSON([]byte(in))
		assert.ErrorIs(t, err, ErrMalformed, "%q", in)
	}
	e, err := ParseEventJSON([]byte(` { "n" : 12 , "t":true, "z":null, "u":"\u00e9\ud83d\ude00\/" } `))
	require.NoError(t, err)
	assert.Equal(t, Headers{{"n", "12"}, {"t", "true"}, {"z", ""}, {"u", "é😀/"}}, e.Headers())
}

// The JSON scanner decodes in place in a copy of its input: escaped
// strings shrink where they are, arrays are joined after the copy, and
// neither may disturb its neighbours.
func TestParseEventJSONInPlace(t *testing.T) {
	t.Parallel()
	in := []byte(`{"Event-Name":"CUSTOM","a\u0062":"x\"y\\z\n\ud83d\ude00!","arr":["p\/q",["r","s"],7,null],` +
		`"after":"plain","empty":[],"n":-1.5e3,"_bo\u0064y":"line\n","Content-Length":"5","last":"\u00e9"}`)
	orig := bytes.Clone(in)
	e, err := ParseEventJSON(in)
	require.NoError(t, err)
	assert.Equal(t, orig, in, "the input is not written")
	assert.Equal(t, Headers{
		{"Event-Name", "CUSTOM"},
		{"ab", "x\"y\\z\n😀!"},
		{"arr", "ARRAY::p/q|:ARRAY::r|:s|:7|:"},
		{"after", "plain"},
		{"empty", "ARRAY::"},
		{"n", "-1.5e3"},
		{"last", "é"},
	}, e.Headers())
	assert.Equal(t, "line\n", e.Body)
	assert.Equal(t, "CUSTOM", e.Name())
	assert.Equal(t, []string{"p/q", "ARRAY::r", "s", "7", ""}, e.Values("arr"))
	e2, err := ParseEventJSON([]byte(`{"a":` + strings.Repeat("[", 8) + `"x"` + strings.Repeat("]", 8) + `}`))
	require.NoError(t, err, "8 levels of arrays are accepted")
	assert.Equal(t, strings.Repeat("ARRAY::", 8)+"x", e2.Get("a"))
}

// Headers that do not fit the compact 8-byte span (a name over 255 bytes,
// a value over 64 KiB, a JSON array joined after the copy) switch the whole
// event to wide spans: every accessor must read both alike, whichever
// header comes first.
func TestEventWideSpans(t *testing.T) {
	t.Parallel()
	longName := "variable_" + strings.Repeat("n", 300)
	longValue := strings.Repeat("v", 70000) + "%41"
	// Headers that fit, but lie past 64 KiB into the event.
	far := Headers{{"Event-Name", "CUSTOM"}, {"Unique-ID", "u1"}}
	for i := range 700 {
		far = append(far, Header{fmt.Sprintf("far_%d", i), strings.Repeat("f", 100)})
	}
	for _, tc := range []struct {
		name string
		hs   Headers
	}{
		{"long name last", Headers{{"Event-Name", "CUSTOM"}, {"Unique-ID", "u1"}, {longName, "x"}}},
		{"long name first", Headers{{longName, "x"}, {"Event-Name", "CUSTOM"}, {"Unique-ID", "u1"}}},
		{"long value", Headers{{"Event-Name", "CUSTOM"}, {"big", longValue}, {"Unique-ID", "u1"}}},
		// The joined array lands after the copy, over 255 bytes from its name.
		{"array", Headers{{"Event-Name", "CUSTOM"}, {"variable_a", "ARRAY::x|:y"}, {"Unique-ID", "u1"}, {"pad", strings.Repeat("z", 300)}, {"empty", ""}}},
		{"compact", Headers{{"Event-Name", "CUSTOM"}, {"Unique-ID", "u1"}, {"empty", ""}}},
		{"far", far},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, format := range []EventFormat{FormatPlain, FormatJSON} {
				built := NewEvent(tc.hs, "body\n")
				got, err := DecodeEvent(EventFrame(built, format))
				require.NoError(t, err, "format %s", format)
				wide := tc.name != "compact" && (tc.name != "array" || format == FormatJSON)
				assert.Equal(t, wide, got.wide != nil, "decoded %s uses wide spans", format)
				assert.Equal(t, tc.name != "compact" && tc.name != "array", built.wide != nil, "NewEvent uses wide spans")
				for _, e := range []*Event{built, got} {
					want := tc.hs
					if format == FormatPlain && e == got {
						// Plain values are %XX-decoded: the test's own
						// escapes read back decoded.
						want = append(Headers(nil), tc.hs...)
						for i := range want {
							want[i].Value = URLDecode(want[i].Value)
						}
					}
					assert.Equal(t, want, e.Headers(), "format %s", format)
					assert.Equal(t, len(want), e.Len())
					assert.Equal(t, "CUSTOM", e.Name())
					assert.Equal(t, "u1", e.UniqueID())
					assert.Equal(t, "body\n", e.Body)
					for _, h := range want {
						assert.Equal(t, h.Value, e.Get(h.Name))
						assert.Equal(t, h.Value, e.Last(strings.ToUpper(h.Name)))
					}
				}
				if tc.name == "long name last" || tc.name == "long name first" {
					assert.Equal(t, "x", got.Var(strings.Repeat("N", 300)))
				}
				if tc.name == "array" {
					assert.Equal(t, []string{"x", "y"}, got.Values("variable_a"))
				}
			}
		})
	}
}
