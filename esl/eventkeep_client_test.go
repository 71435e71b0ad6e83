package esl_test

import (
	"testing"

	"github.com/callplan/callplan/esl"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWithEventHeadersNarrowsEventsNotRouting: a Conn that keeps one
// variable still routes by Unique-ID and name, completes bgapi jobs and
// reads heartbeats (headers it keeps for itself), and its subscribers see
// the kept variable and nothing else.
func TestWithEventHeadersNarrowsEventsNotRouting(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := dial(t, srv, esl.WithEventHeaders(func(name string) bool { return name == "variable_keep_me" }))
	ctx := testCtx(t)
	require.NoError(t, c.Subscribe(ctx, "CHANNEL_ANSWER", "HEARTBEAT", "BACKGROUND_JOB"))
	leg := c.ChannelEvents("leg-a")
	sc := serverConn(t, srv)
	require.NoError(t, sc.Emit(srv.NewEvent("CHANNEL_ANSWER",
		esl.Header{Name: "Unique-ID", Value: "leg-a"},
		esl.Header{Name: "Channel-Name", Value: "sofia/external/1000"},
		esl.Header{Name: "variable_keep_me", Value: "a b"},
		esl.Header{Name: "variable_drop_me", Value: "x"})))
	e, err := leg.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, "CHANNEL_ANSWER", e.Name())
	assert.Equal(t, "leg-a", e.UniqueID())
	assert.Equal(t, "a b", e.Var("keep_me"))
	_, dropped := e.LookupVar("drop_me")
	assert.False(t, dropped)
	assert.Empty(t, e.Get("Channel-Name"))

	require.NoError(t, sc.Emit(srv.NewEvent("HEARTBEAT",
		esl.Header{Name: "Session-Count", Value: "7"}, esl.Header{Name: "Idle-CPU", Value: "42.5"})))
	job, err := c.BgAPI(ctx, "status")
	require.NoError(t, err)
	// The test server knows no "status": its -ERR result arriving is the
	// BACKGROUND_JOB matched by its kept Job-UUID.
	_, err = job.Wait(ctx)
	var ce *esl.CommandError
	require.ErrorAs(t, err, &ce)
	// The reader handles frames in order: the heartbeat came first.
	hb, ok := c.Heartbeat()
	require.True(t, ok)
	assert.Equal(t, 7, hb.SessionCount)
	assert.InDelta(t, 42.5, hb.IdleCPU, 1e-9)
}
