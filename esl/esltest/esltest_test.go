package esltest_test

import (
	"context"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/callplan/callplan/esl"
	"github.com/callplan/callplan/esl/esltest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const fixtures = "../testdata/fixtures/"

// session sends the commands of a .sent.txt fixture over a raw socket and
// returns every byte the server sent until it closed.
func session(t *testing.T, srv *esltest.Server, sentFixture string) []byte {
	t.Helper()
	sent, err := os.ReadFile(fixtures + sentFixture)
	require.NoError(t, err)
	var wire []string
	for _, l := range strings.Split(string(sent), "\n") {
		if !strings.HasPrefix(l, "### t=") {
			wire = append(wire, l)
		}
	}
	nc, err := net.Dial("tcp", srv.Addr)
	require.NoError(t, err)
	defer nc.Close()
	require.NoError(t, nc.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = nc.Write([]byte(strings.Join(wire, "\n")))
	require.NoError(t, err)
	got, err := io.ReadAll(nc)
	require.NoError(t, err)
	return got
}

// The server's answers to the captured sessions are byte for byte what
// FreeSWITCH 1.10.12 sent.
func TestSessionsMatchFreeSWITCHCaptures(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"10b-auth-wrong-password", "10c-command-before-auth"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := esltest.NewServer()
			defer srv.Close()
			want, err := os.ReadFile(fixtures + name + ".txt")
			require.NoError(t, err)
			assert.Equal(t, string(want), string(session(t, srv, name+".sent.txt")))
		})
	}
}

func TestReplayServesTheTranscript(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(fixtures + "01-loopback-call-plain-all.txt")
	require.NoError(t, err)
	srv := esltest.NewServer(esltest.WithReplay(b))
	defer srv.Close()
	// The recorded session's commands get the recorded bytes back.
	assert.Equal(t, string(b), string(session(t, srv, "01-loopback-call-plain-all.sent.txt")))
}

func TestEmitFollowsSubscriptionsAndFilters(t *testing.T) {
	t.Parallel()
	srv := esltest.NewServer()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := esl.Dial(ctx, srv.Addr, "ClueCon")
	require.NoError(t, err)
	defer c.Close()
	sub := c.Events()
	require.NoError(t, c.Subscribe(ctx, "CHANNEL_ANSWER", "mod_bert::in_sync"))
	require.NoError(t, c.Filter(ctx, "Unique-ID", "keep"))
	require.NoError(t, c.Filter(ctx, "Unique-ID", "-drop")) // negative: never matches "keep"
	sc, err := srv.NextConn(ctx)
	require.NoError(t, err)
	emit := func(name, id string, extra ...esl.Header) {
		require.NoError(t, sc.Emit(srv.NewEvent(name, append([]esl.Header{{Name: "Unique-ID", Value: id}}, extra...)...)))
	}
	emit("CHANNEL_PARK", "keep")                                                           // not subscribed
	emit("CHANNEL_ANSWER", "other")                                                        // filtered out
	emit("CUSTOM", "keep", esl.Header{Name: "Event-Subclass", Value: "mod_bert::timeout"}) // other subclass
	emit("CUSTOM", "keep", esl.Header{Name: "Event-Subclass", Value: "mod_bert::in_sync"})
	emit("CHANNEL_ANSWER", "KEEP") // filters ignore case
	var got []string
	for range 2 {
		e, err := sub.Next(ctx)
		require.NoError(t, err)
		got = append(got, e.Name()+" "+e.Subclass()+" "+e.UniqueID())
	}
	assert.Equal(t, []string{"CUSTOM mod_bert::in_sync keep", "CHANNEL_ANSWER  KEEP"}, got)
	assert.Equal(t, 0, sub.Len())
}

func TestBgAPIHonoursJobUUIDAndRepliesFirst(t *testing.T) {
	t.Parallel()
	srv := esltest.NewServer()
	defer srv.Close()
	srv.SetAPI("status", func(string) string { return "UP\n" })
	nc, err := net.Dial("tcp", srv.Addr)
	require.NoError(t, err)
	defer nc.Close()
	require.NoError(t, nc.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = nc.Write([]byte("auth ClueCon\n\nevent plain BACKGROUND_JOB\n\nbgapi status\nJob-UUID: 563536d8-2a23-48ef-95f9-130bc53d2d33\n\n"))
	require.NoError(t, err)
	r := esl.NewReader(nc)
	var frames []*esl.Frame
	for len(frames) < 5 {
		f, err := r.ReadFrame()
		require.NoError(t, err)
		frames = append(frames, f)
	}
	assert.Equal(t, "+OK Job-UUID: 563536d8-2a23-48ef-95f9-130bc53d2d33", frames[3].ReplyText())
	assert.Equal(t, "563536d8-2a23-48ef-95f9-130bc53d2d33", frames[3].Headers.Get("Job-UUID"))
	e, err := esl.DecodeEvent(frames[4])
	require.NoError(t, err)
	assert.Equal(t, "BACKGROUND_JOB", e.Name())
	assert.Equal(t, "563536d8-2a23-48ef-95f9-130bc53d2d33", e.JobUUID())
	assert.Equal(t, "UP\n", e.Body)
	_, hasArg := e.Lookup("Job-Command-Arg")
	assert.False(t, hasArg, "no Job-Command-Arg without arguments, as FreeSWITCH")
}
