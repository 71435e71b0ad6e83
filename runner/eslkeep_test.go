package runner

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/callplan/callplan/esl"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestKeepHeaderCoversTranslate decodes every plain event of every
// capture whole and narrowed to keepHeader, as the driver's connection
// does, and checks translate makes the same LegEvent of both: no header
// translate reads is dropped.
func TestKeepHeaderCoversTranslate(t *testing.T) {
	t.Parallel()
	paths, err := filepath.Glob("../esl/testdata/fixtures/*.txt")
	require.NoError(t, err)
	at := time.Unix(1_800_000_000, 0)
	kinds := map[EventKind]int{}
	for _, p := range paths {
		if strings.HasSuffix(p, ".sent.txt") {
			continue
		}
		f, err := os.Open(p)
		require.NoError(t, err)
		r := esl.NewReader(f)
		for {
			fr, err := r.ReadFrame()
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err, p)
			if fr.ContentType() != esl.ContentEventPlain {
				continue
			}
			whole, err := esl.ParseEventPlain(fr.Body)
			require.NoError(t, err)
			narrow, err := esl.ParseEventPlainKeep(fr.Body, keepHeader)
			require.NoError(t, err)
			want, wantOK := translate(whole, at)
			got, gotOK := translate(narrow, at)
			require.Equal(t, wantOK, gotOK, "%s: %s", p, whole.Name())
			require.Equal(t, want, got, "%s: %s", p, whole.Name())
			if gotOK {
				kinds[got.Kind]++
			}
			assert.Less(t, narrow.Len(), 80, "%s: %s kept %d headers", p, whole.Name(), narrow.Len())
		}
		require.NoError(t, f.Close())
	}
	// The captures exercise every figure translate reads.
	for _, k := range []EventKind{EventCreated, EventAnswered, EventParked, EventHungUp, EventJobResult,
		EventHeartbeat, EventDTMF, EventPlaybackStop, EventRecordStop, EventBERTLostSync} {
		assert.Positive(t, kinds[k], "no %v in the captures", k)
	}
}

// TestKeepHeaderCalleeInAnyCase: the X-headers that name a callee's call
// are kept in whatever case the SUT passed them on.
func TestKeepHeaderCalleeInAnyCase(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"sip_h_X-callplan-call", "sip_h_x-callplan-call", "SIP_H_X-CALLPLAN-CALL"} {
		body := "Event-Name: CHANNEL_CREATE\nUnique-ID: leg-b\nCall-Direction: inbound\n" +
			"variable_" + name + ": call-7\nvariable_sip_h_X-callplan-run: run-1\nvariable_other: x\n\n"
		narrow, err := esl.ParseEventPlainKeep([]byte(body), keepHeader)
		require.NoError(t, err)
		le, ok := translate(narrow, time.Now())
		require.True(t, ok)
		assert.Equal(t, "call-7", le.CallID, name)
		assert.Equal(t, "run-1", le.RunID, name)
		_, kept := narrow.LookupVar("other")
		assert.False(t, kept)
	}
}
