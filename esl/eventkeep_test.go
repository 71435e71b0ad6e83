package esl

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixturePlainBodies is the body of every text/event-plain frame of the
// fixture transcripts (real FreeSWITCH 1.10.12).
func fixturePlainBodies(t *testing.T) [][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(fixtureDir, "*.txt"))
	require.NoError(t, err)
	var out [][]byte
	for _, p := range paths {
		if strings.HasSuffix(p, ".sent.txt") {
			continue
		}
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		r := NewReader(bytes.NewReader(data))
		for {
			f, err := r.ReadFrame()
			if err != nil {
				break
			}
			if f.ContentType() == ContentEventPlain {
				out = append(out, f.Body)
			}
		}
	}
	require.Greater(t, len(out), 500)
	return out
}

// TestParseEventPlainKeepMatchesWholeDecode narrows every plain fixture
// event and checks the result is exactly the whole decode's headers that
// the filter (or the Conn itself) wants, in order, with the same body.
func TestParseEventPlainKeepMatchesWholeDecode(t *testing.T) {
	t.Parallel()
	bodies := fixturePlainBodies(t)
	tests := []struct {
		name string
		keep func(string) bool
	}{
		{"everything", func(string) bool { return true }},
		{"nothing", func(string) bool { return false }},
		{"a load tester's few", func(n string) bool {
			return n == "Call-Direction" || n == "Hangup-Cause" || n == "variable_sip_term_status" ||
				strings.HasPrefix(n, "variable_rtp_audio_") || strings.HasPrefix(n, "variable_sip_h_")
		}},
		{"variables only", func(n string) bool { return strings.HasPrefix(n, "variable_") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, b := range bodies {
				whole, err := ParseEventPlain(b)
				require.NoError(t, err)
				got, err := parseEventPlainKeep(b, tt.keep)
				require.NoError(t, err)
				var want Headers
				for _, h := range whole.Headers() {
					if clientHeader(h.Name) || tt.keep(h.Name) {
						want = append(want, h)
					}
				}
				require.Equal(t, want, got.Headers(), "event %s", whole.Name())
				assert.Equal(t, whole.Name(), got.Name())
				assert.Equal(t, whole.Body, got.Body)
				assert.Equal(t, whole.UniqueID(), got.UniqueID())
				assert.Equal(t, whole.Time(), got.Time())
			}
		})
	}
}

func TestParseEventPlainKeepEdges(t *testing.T) {
	t.Parallel()
	all := func(string) bool { return true }
	none := func(string) bool { return false }
	tests := []struct {
		name     string
		in       string
		keep     func(string) bool
		want     Headers
		wantBody string
		wantErr  error
	}{
		{"undef reads empty", "Event-Name: X\nA: _undef_\n\n", all,
			Headers{{"Event-Name", "X"}, {"A", ""}}, "", nil},
		{"decoded in place", "Event-Name: X\nA: a%20b%3Ac%zz\n\n", all,
			Headers{{"Event-Name", "X"}, {"A", "a b:c%zz"}}, "", nil},
		{"CRLF lines", "Event-Name: X\r\nA: 1\r\n\r\n", all,
			Headers{{"Event-Name", "X"}, {"A", "1"}}, "", nil},
		{"dropped headers cost nothing", "Event-Name: X\nA: 1\nUnique-ID: u\nB: 2\n\n", none,
			Headers{{"Event-Name", "X"}, {"Unique-ID", "u"}}, "", nil},
		{"last Content-Length frames the body", "Event-Name: BACKGROUND_JOB\nJob-UUID: j\nContent-Length: 4\n\n+OK\nrest", none,
			Headers{{"Event-Name", "BACKGROUND_JOB"}, {"Job-UUID", "j"}}, "+OK\n", nil},
		{"an earlier Content-Length is a header", "Event-Name: X\nContent-Length: 9\nA: 1\n\n", all,
			Headers{{"Event-Name", "X"}, {"Content-Length", "9"}, {"A", "1"}}, "", nil},
		{"an earlier Content-Length filtered out", "Event-Name: X\nContent-Length: 9\nA: 1\n\n", none,
			Headers{{"Event-Name", "X"}}, "", nil},
		{"no colon", "Event-Name: X\nbroken\n\n", none, nil, "", ErrMalformed},
		{"body shorter than said", "Event-Name: X\nContent-Length: 10\n\nabc", none, nil, "", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, err := parseEventPlainKeep([]byte(tt.in), tt.keep)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, e.Headers())
			assert.Equal(t, tt.wantBody, e.Body)
			assert.Equal(t, e.Last("Event-Name"), e.Name())
		})
	}
}

// TestParseEventPlainKeepDoesNotAlias checks the event owns its bytes: the
// source is a read buffer that is overwritten by the next frame.
func TestParseEventPlainKeepDoesNotAlias(t *testing.T) {
	t.Parallel()
	src := []byte("Event-Name: X\nUnique-ID: u1\nA: v%31\nContent-Length: 2\n\nok")
	e, err := parseEventPlainKeep(src, func(n string) bool { return n == "A" })
	require.NoError(t, err)
	for i := range src {
		src[i] = '#'
	}
	assert.Equal(t, Headers{{"Event-Name", "X"}, {"Unique-ID", "u1"}, {"A", "v1"}}, e.Headers())
	assert.Equal(t, "ok", e.Body)
}
