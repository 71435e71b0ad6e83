package runner

import (
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/callplan/callplan/esl"
	"github.com/stretchr/testify/require"
)

// BenchmarkTranslateHangup is the runner's work on a leg's end as the
// driver's connection hands it over: fixture 06's CHANNEL_HANGUP_COMPLETE
// events (FreeSWITCH's, about 30 rtp_audio_* figures each), narrowed to
// keepHeader, translated, and their media figures read for the call
// record as correlate.go does. Per op: every hangup of the fixture.
func BenchmarkTranslateHangup(b *testing.B) {
	f, err := os.Open("../esl/testdata/fixtures/06-bert.txt")
	require.NoError(b, err)
	defer f.Close()
	r := esl.NewReader(f)
	var hangups []*esl.Event
	for {
		fr, err := r.ReadFrame()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(b, err)
		if fr.ContentType() != esl.ContentEventPlain {
			continue
		}
		ev, err := esl.ParseEventPlainKeep(fr.Body, keepHeader)
		require.NoError(b, err)
		if ev.Name() == "CHANNEL_HANGUP_COMPLETE" {
			hangups = append(hangups, ev)
		}
	}
	require.NotEmpty(b, hangups)
	at := time.Unix(1_800_000_000, 0)
	b.ReportAllocs()
	for b.Loop() {
		for _, ev := range hangups {
			le, ok := translate(ev, at)
			if !ok || le.Stats.Received().MOS == 0 {
				b.Fatal("no media figures")
			}
		}
	}
}
