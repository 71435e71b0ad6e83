package agent

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/callplan/callplan/esl"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An API command whose operation was queued on a leg behind a broadcast
// app still runs while that app plays: the app waits for its end in a
// nested wait, and that wait must find the operations queued behind it.
// When the channel goroutine took both out of its mailbox in one batch,
// uuid_audio waited for an endless playback to end; the ESL connection
// runs api commands one after the other, so every later command on it
// (and with it every call of the run) waited too. That is how every call
// of scenarios/media.yaml hung with the in-memory ESL connection
// (internal/memconn), whose faster replies put muted_playrec's
// uuid_broadcast and uuid_audio into one batch; over TCP the socket's
// round trip usually let the leg take the broadcast alone.
//
// The leg is kept busy with an operation of the test's while both are
// queued, so that they are in the mailbox together, as they were then.
func TestAPIQueuedBehindAPlayingAppRuns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		api  string // run on the leg while the broadcast app plays; %[1]s is its uuid, %[2]s a directory
		want string // <uuid> is the leg's
	}{
		{"uuid_audio", "uuid_audio %[1]s start write mute 1", "+OK\n"},
		{"uuid_record", "uuid_record %[1]s start %[2]s/leg.wav", "+OK Success\n"},
		{"uuid_send_dtmf", "uuid_send_dtmf %[1]s 1", "+OK <uuid> sent DTMF 1.\n"},
	}
	a := startSIPAgent(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dialTest(t, a.Addr())
			c.auth()
			c.send("event plain ALL")
			out, _ := mediaLoop(t, c, a.SIPAddr(), "")
			ch := a.channel(out)
			require.NotNil(t, ch)

			started, release := make(chan struct{}), make(chan struct{})
			ch.mbox.Push(func() { close(started); <-release })
			select {
			case <-started:
			case <-time.After(10 * time.Second):
				t.Fatal("the leg never ran the test's operation")
			}
			endless := "tone_stream://%(1000,0,1004);loops=-1"
			require.Equal(t, "+OK Message sent\n", c.api("uuid_broadcast "+out+" "+endless+" aleg"))

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			replies := make(chan string, 1)
			cmd := fmt.Sprintf(tt.api, out, t.TempDir())
			go func() { replies <- a.API(ctx, cmd) }()
			require.Eventually(t, func() bool { return ch.mbox.Len() == 2 }, 10*time.Second, time.Millisecond,
				"the broadcast and %s queued behind the test's operation", tt.name)
			close(release)

			select {
			case got := <-replies:
				assert.Equal(t, strings.ReplaceAll(tt.want, "<uuid>", out), got)
			case <-time.After(10 * time.Second):
				t.Fatalf("%s got no reply while the broadcast app played", tt.name)
			}
			// The app did start, and being endless it was still playing
			// when the reply came.
			c.waitEvent(func(e *esl.Event) bool {
				return e.Name() == "PLAYBACK_START" && e.UniqueID() == out && e.Get("Playback-File-Path") == endless
			})
			require.Equal(t, "+OK\n", c.api("uuid_kill "+out))
			c.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", out))
		})
	}
}
