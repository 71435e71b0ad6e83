package agent

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/esl"
)

// A callee agent's profile is stopped mid-call and started again, as
// `sofia profile external stop|start` does: its call is hung up, new calls
// to it and from it fail while it is down, and once started on the same
// address it takes calls again. Its Event Socket stays up throughout.
func TestInjectStopAndStart(t *testing.T) {
	t.Parallel()
	caller, callee := startSIPAgent(t), startSIPAgent(t)
	cc, ce := dialTest(t, caller.Addr()), dialTest(t, callee.Addr())
	for _, c := range []*testClient{cc, ce} {
		c.auth()
		require.Equal(t, "+OK event listener enabled plain", c.send("event plain ALL").ReplyText())
	}
	addr := callee.SIPAddr()
	ctx := context.Background()

	id, _ := originateLoop(t, cc, "lb", addr, "")
	in := inboundOf(ce, id)
	require.Equal(t, "+OK\n", ce.api("uuid_answer "+in.UniqueID()))
	cc.waitEvent(nameAnd("CHANNEL_ANSWER", "Unique-ID", id))

	require.NoError(t, callee.Inject(ctx, Fault{Kind: FaultStop}))
	require.NoError(t, callee.Inject(ctx, Fault{Kind: FaultStop}), "stopping a stopped profile is a no-op")
	end := ce.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", in.UniqueID()))
	assert.Equal(t, "SYSTEM_SHUTDOWN", end.Get("Hangup-Cause"))
	cc.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", id))

	// Down: calls to it fail, and so do calls it would place.
	id2, job2 := originateLoop(t, cc, "lb", addr, "originate_timeout=2")
	bg := cc.waitEvent(nameAnd("BACKGROUND_JOB", "Job-UUID", job2))
	assert.True(t, strings.HasPrefix(bg.Body, "-ERR "), "originate to a stopped profile: %q", bg.Body)
	assert.Equal(t, -1, ce.indexOf(func(e *esl.Event) bool { return e.Var("sip_h_X-callplan-call") == id2 }))
	assert.Equal(t, "-ERR NETWORK_OUT_OF_ORDER\n", ce.api("originate sofia/external/lb@"+caller.SIPAddr()+" &park()"))

	// Started again on the same address, with a fault set while it was
	// down already in force.
	require.NoError(t, callee.Inject(ctx, Fault{Kind: FaultReject, Code: 486}))
	require.NoError(t, callee.Inject(ctx, Fault{Kind: FaultStart}))
	assert.Equal(t, addr, callee.SIPAddr())
	_, job3 := originateLoop(t, cc, "lb", addr, "")
	assert.Equal(t, "-ERR USER_BUSY\n", cc.waitEvent(nameAnd("BACKGROUND_JOB", "Job-UUID", job3)).Body)
	require.NoError(t, callee.Inject(ctx, Fault{Kind: FaultHeal}))
	id4, _ := originateLoop(t, cc, "lb", addr, "")
	in4 := inboundOf(ce, id4)
	require.Equal(t, "+OK\n", ce.api("uuid_answer "+in4.UniqueID()))
	cc.waitEvent(nameAnd("CHANNEL_ANSWER", "Unique-ID", id4))
	require.Equal(t, "+OK\n", cc.api("uuid_kill "+id4))
	ce.waitEvent(nameAnd("CHANNEL_HANGUP_COMPLETE", "Unique-ID", in4.UniqueID()))
}

func TestInjectNeedsOwnProfile(t *testing.T) {
	t.Parallel()
	a := startTestAgent(t, newFakeNet(), "127.0.0.1:5080")
	assert.ErrorIs(t, a.Inject(context.Background(), Fault{Kind: FaultBlackhole}), ErrNoProfile)
	b := startSIPAgent(t)
	assert.ErrorContains(t, b.Inject(context.Background(), Fault{Kind: "melt"}), `unknown fault "melt"`)
}
