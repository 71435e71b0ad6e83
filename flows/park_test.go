package flows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// keep_media plays endless silence on each leg once it is answered, and
// nothing else changes: the hold still runs from the callee's answer.
func TestParkKeepMedia(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := build(t, "park", map[string]string{"keep_media": "true"})
	c, caller, callee := newCall(time.Minute)
	require.NoError(t, f.On(ctx, c, Event{Kind: CalleeArrived}))
	assert.Equal(t, []string{"answer"}, callee.did)
	require.NoError(t, f.On(ctx, c, Event{Kind: CalleeAnswered, Leg: LegCallee}))
	assert.Equal(t, []string{"answer", "play silence_stream://-1"}, callee.did)
	require.NoError(t, f.On(ctx, c, Event{Kind: CallerAnswered, Leg: LegCaller}))
	assert.Equal(t, []string{"play silence_stream://-1"}, caller.did)
	// Its own playback events change nothing.
	require.NoError(t, f.On(ctx, c, Event{Kind: PlaybackStarted, Leg: LegCaller, Payload: Payload{Media: MediaResult{Path: KeepMediaStream}}}))
	assert.Equal(t, []time.Duration{time.Minute}, caller.fire())
	assert.Equal(t, []string{"play silence_stream://-1", "hangup NORMAL_CLEARING"}, caller.did)

	// Off by default: a parked leg stays silent.
	f = build(t, "park", nil)
	c, caller, callee = newCall(time.Second)
	require.NoError(t, f.On(ctx, c, Event{Kind: CalleeArrived}))
	require.NoError(t, f.On(ctx, c, Event{Kind: CalleeAnswered}))
	require.NoError(t, f.On(ctx, c, Event{Kind: CallerAnswered}))
	assert.Equal(t, []string{"answer"}, callee.did)
	assert.Empty(t, caller.did)

	// A refused playback is the flow's error.
	f = build(t, "park", map[string]string{"keep_media": "true"})
	c, caller, _ = newCall(time.Second)
	caller.fail = errors.New("-ERR no such channel")
	assert.ErrorContains(t, f.On(ctx, c, Event{Kind: CallerAnswered}), "keeping media on caller")
}
