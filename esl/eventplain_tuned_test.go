package esl

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// requireSameParse checks the tuned parser against the reference on src:
// the same error (message included) or the same event, headers, name and
// body.
func requireSameParse(t *testing.T, src []byte) {
	t.Helper()
	want, wantErr := parseEventPlainRef(bytes.Clone(src))
	got, gotErr := parseEventPlain(bytes.Clone(src))
	if wantErr != nil || gotErr != nil {
		require.Error(t, wantErr, "ref accepted %q, tuned said %v", src, gotErr)
		require.Error(t, gotErr, "tuned accepted %q, ref said %v", src, wantErr)
		require.Equal(t, wantErr.Error(), gotErr.Error(), "on %q", src)
		return
	}
	require.Equal(t, want.Headers(), got.Headers(), "on %q", src)
	require.Equal(t, want.Name(), got.Name(), "on %q", src)
	require.Equal(t, want.UniqueID(), got.UniqueID(), "on %q", src)
	require.Equal(t, want.Body, got.Body, "on %q", src)
}

// TestParseEventPlainMatchesRef: every plain fixture event, and the edges
// of the line grammar, decode as the reference parser decodes them.
func TestParseEventPlainMatchesRef(t *testing.T) {
	t.Parallel()
	// One scratch over the whole stream, as a Reader's: the learnt
	// guesses change no result.
	scratch := plainScratch{next: new([len(knownNames)]uint16)}
	for _, b := range fixturePlainBodies(t) {
		requireSameParse(t, b)
		want, err := parseEventPlainRef(b)
		require.NoError(t, err)
		got, err := parseEventPlainWith(b, &scratch)
		require.NoError(t, err)
		require.Equal(t, want.Headers(), got.Headers())
		require.Equal(t, want.Body, got.Body)
	}
	edges := []string{
		"", "\n", "\r\n", "\r", "A: b", "A: b\n", "A: b\r\n\r\n", "A:b\nB:  c\n\nbody",
		"A: b\nc\n", "A: b\n:c\n", ":\n", "A\n", "A", "A:\n", "A:", "A: \r", "A:\r\n",
		"A: _undef_\n", "A:_undef_\r\n", "A: _undef_x\n", "\rA: b\n", "\r:b\n",
		"A: %41%4\n", "A: %4", "A: %%41\n", "A: 100%25 %zz %\n", "A: x%41\r\n",
		"A: 12345678%41%42abcdefghijklmnop%43\n", "A: abcdefgh%\n", "A: abcdefg%4\n",
		"abcdefghijklmnopqrstuvwxyz\nB: c\n", "abcdefghijkl: m\nnopqrstuvwxyz: 1\n",
		"Event-Name: A\nevent-name: B\n\n", "Event-Name: %41\nContent-Length: 2\n\nabc",
		"A: b\nContent-Length: 3\n\nab", "A: b\nContent-Length: x\n\nab", "Content-Length: 0\n\n",
		"A: b\nContent-Length: 1\r\n\r\nxy", "A: b\n\nContent-Length: 1\n",
		"A:   \n", "A: \t b\n", "A: b\x00\nC: d\n",
		// Known names (knownnames_gen.go), guessed in order or looked up.
		"Event-Name", "Event-Name:", "Event-Name:\r", "Event-Name: x\r", "Event-Name:\n\n",
		"Event-Name: A\nCore-UUID", "Event-Name: A\nCore-UUID\n", "Event-Name: A\nCore-UUIDx: y\n",
		"Event-NameX: y\n", "Event-Name:: x\n", "Event-Name:  %41 \r\nCore-UUID: _undef_\n\n",
		"Core-UUID: u\nEvent-Name: A\nEvent-Name: B\n", "event-name: A\nEVENT-NAME: B\n",
		"Event-Name: A\nContent-Length: 2\n\nxyz", "Event-Name: A\nContent-Length: %32\n\nxyz",
		"Event-Name: A\nContent-Length: _undef_\n\n", "Event-Name: A\nContent-Length:\n\n",
		"Unique-ID: u\nX: y\nContent-Length: 1\n\nab", "unique-id: a\nUnique-ID: b\n", "X: y\nUNIQUE-ID: _undef_\n",
		"Unique-ID: %41\n", "Unique-IDs: a\n",
	}
	for _, s := range edges {
		requireSameParse(t, []byte(s))
	}
	// Names and values that need wide spans, and more lines than the
	// parser's stack room.
	long := bytes.Repeat([]byte("n"), 300)
	requireSameParse(t, append(append([]byte{}, long...), ": v\nB: c\n"...))
	requireSameParse(t, append([]byte("A: "), bytes.Repeat([]byte("%41"), 70000)...))
	many := bytes.Repeat([]byte("Header-Name: value%20x\n"), 1000)
	requireSameParse(t, many)
	// Past 64 KiB of values: wide offsets.
	far := bytes.Repeat(append([]byte("Core-UUID: "), bytes.Repeat([]byte("v%41"), 40)...), 500)
	far = bytes.ReplaceAll(far, []byte("%41Core"), []byte("%41\nCore"))
	far = append([]byte("Event-Name: A\n"), far...)
	requireSameParse(t, far)
	e, err := parseEventPlain(far)
	require.NoError(t, err)
	require.NotNil(t, e.wide, "values past 64 KiB need wide spans")
	require.Equal(t, 501, e.Len())
}

// TestDecodeInPlace: the word-at-a-time decode agrees with the byte loop
// on escapes at every offset of a word, and on broken escapes.
func TestDecodeInPlace(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "%", "%4", "%41", "%%41", "%zz", "abcdefgh", "a%41bcdefghijk%42",
		"%41%42%43%44%45%46%47%48%49", "0123456789abcdef%20", "01234567%2", "%0D%0Av%3D0%0D%0Ao%3DFreeSWITCH%20",
		"abcdefg%41hijklmn%4x%", "sofia/internal/1000%40127.0.0.1"} {
		for pad := range 9 {
			in := bytes.Repeat([]byte("x"), pad)
			in = append(in, s...)
			want := bytes.Clone(in)
			want = want[:decodeInPlaceRef(want)]
			got := bytes.Clone(in)
			got = got[:decodeInPlace(got)]
			require.Equal(t, string(want), string(got), "decoding %q", in)
		}
	}
}

// FuzzParseEventPlain checks the tuned plain parser against the
// reference on arbitrary bodies.
func FuzzParseEventPlain(f *testing.F) {
	for _, s := range []string{"A: b\n\n", "A: b%41\r\nContent-Length: 2\n\nxy", "A\n", ":x\n", "A: _undef_\n",
		"Event-Name: A\nCore-UUID: u\nFreeSWITCH-Hostname: h\nContent-Length: 2\n\nxy", "Event-Name:\r\nCore-UUID"} {
		f.Add([]byte(s))
	}
	// Real events, so the fuzzer starts from known names in their order.
	for _, b := range transcripts(f) {
		frames, _ := frameSpans(f, b)
		for _, fr := range frames {
			if fr.ContentType() == ContentEventPlain && len(fr.Body) <= 1500 {
				f.Add(fr.Body)
			}
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		requireSameParse(t, src)
		want := bytes.Clone(src)
		want = want[:decodeInPlaceRef(want)]
		got := bytes.Clone(src)
		got = got[:decodeInPlace(got)]
		require.Equal(t, want, got)
	})
}
