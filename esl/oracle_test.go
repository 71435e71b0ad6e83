package esl_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/callplan/callplan/esl"
	"github.com/fiorix/go-eventsocket/eventsocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// eventFrames returns the raw bytes of every event frame of a transcript,
// with our decoding of each.
func eventFrames(tb testing.TB, path string) ([][]byte, []*esl.Event) {
	tb.Helper()
	b, err := os.ReadFile(path)
	require.NoError(tb, err)
	r := esl.NewReader(bytes.NewReader(b))
	var raws [][]byte
	var events []*esl.Event
	for {
		f, err := r.ReadFrame()
		if err != nil {
			break
		}
		if !esl.IsEvent(f.ContentType()) {
			continue
		}
		e, err := esl.DecodeEvent(f)
		require.NoError(tb, err)
		raws = append(raws, f.AppendTo(nil))
		events = append(events, e)
	}
	return raws, events
}

// streamServer is a minimal ESL peer: auth/request, accept any auth, then
// write payload repeated times and keep the connection open until the
// client leaves. It feeds go-eventsocket and our client the same bytes.
func streamServer(tb testing.TB, payload []byte, times int) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	var wg sync.WaitGroup
	tb.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		if _, err := nc.Write([]byte("Content-Type: auth/request\n\n")); err != nil {
			return
		}
		r := esl.NewReader(nc)
		if _, err := r.ReadCommand(); err != nil {
			return
		}
		if _, err := nc.Write([]byte("Content-Type: command/reply\nReply-Text: +OK accepted\n\n")); err != nil {
			return
		}
		w := bufio.NewWriterSize(nc, 256<<10)
		for range times {
			if _, err := w.Write(payload); err != nil {
				return
			}
		}
		if w.Flush() != nil {
			return
		}
		_, _ = r.ReadCommand() // until the client closes
	}()
	return ln.Addr().String()
}

// capitalize is go-eventsocket's renaming of header names (Unique-ID ->
// Unique-Id, variable_x -> Variable_x), applied to our FreeSWITCH
// spellings so the two decoders can be compared.
func capitalize(s string) string {
	if s[0] == '_' {
		return s
	}
	ns := []byte(strings.ToLower(s))
	if len(s) > 9 && s[1:9] == "ariable_" {
		ns[0] = 'V'
		return string(ns)
	}
	up := true
	for i, c := range ns {
		if up {
			if 'a' <= c && c <= 'z' {
				ns[i] = c - ('a' - 'A')
			}
			up = false
		} else if c == '-' || c == '_' {
			up = true
		}
	}
	return string(ns)
}

// TestDifferentialAgainstGoEventsocket decodes every event of every
// fixture transcript with both our decoder and go-eventsocket (kept as an
// independent oracle) and requires the same events, headers and bodies,
// after normalising what go-eventsocket changes by design: capitalised
// names, one value per name (plain keeps the first, JSON the last of
// duplicates), the inner Content-Length kept as a header, arrays as
// []interface{}.
func TestDifferentialAgainstGoEventsocket(t *testing.T) {
	t.Parallel()
	paths, err := filepath.Glob("testdata/fixtures/*.txt")
	require.NoError(t, err)
	total := 0
	for _, p := range paths {
		if strings.HasSuffix(p, ".sent.txt") {
			continue
		}
		raws, ours := eventFrames(t, p)
		if len(raws) == 0 {
			continue
		}
		total += len(raws)
		t.Run(filepath.Base(p), func(t *testing.T) {
			addr := streamServer(t, bytes.Join(raws, nil), 1)
			conn, err := eventsocket.Dial(addr, "ClueCon")
			require.NoError(t, err)
			defer conn.Close()
			for i, e := range ours {
				theirs, err := conn.ReadEvent()
				require.NoError(t, err, "event %d", i)
				compareWithOracle(t, fmt.Sprintf("%s event %d (%s)", filepath.Base(p), i, e.Name()), e, theirs)
			}
		})
	}
	assert.Equal(t, 651, total, "every event of every fixture compared")
}

func compareWithOracle(t *testing.T, where string, ours *esl.Event, theirs *eventsocket.Event) {
	t.Helper()
	// Our values per capitalised name (all duplicates).
	values := map[string][]string{}
	for _, h := range ours.Headers() {
		k := capitalize(h.Name)
		values[k] = append(values[k], h.Value)
	}
	// go-eventsocket keeps the inner Content-Length as a header; we treat
	// it as body framing.
	delete(theirs.Header, "Content-Length")
	for k, v := range theirs.Header {
		got, ok := values[k]
		if !assert.True(t, ok, "%s: header %s only in go-eventsocket", where, k) {
			continue
		}
		switch v := v.(type) {
		case string:
			assert.Contains(t, got, v, "%s: header %s", where, k)
		case []interface{}:
			var elems []string
			for _, x := range v {
				elems = append(elems, x.(string))
			}
			assert.Contains(t, got, esl.JoinArray(elems), "%s: array header %s", where, k)
		default:
			t.Errorf("%s: header %s of type %T", where, k, v)
		}
	}
	for k := range values {
		_, ok := theirs.Header[k]
		assert.True(t, ok, "%s: header %s only in ours", where, k)
	}
	assert.Equal(t, theirs.Body, ours.Body, "%s: body", where)
	assert.Equal(t, theirs.Get("Event-Name") != "", ours.Name() != "", where)
}
