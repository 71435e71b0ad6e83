package sip

import (
	"context"
	"runtime"
	"testing"
	"time"
	"weak"

	"github.com/callplan/callplan/internal/hangup"
	"github.com/stretchr/testify/require"
)

// An ended call must be garbage at once, although sipgo keeps its INVITE
// transactions (and their callbacks) for 64*T1 = 32 s after the final
// response. Before txhook.go, every call lived those 32 s on the heap: at
// 1 000 calls/s, 32 000 dead calls (docs/performance.md, agent memory).
func TestEndedCallIsFreedWhileTransactionsLinger(t *testing.T) {
	p, calls := testProfile(t)
	out, err := p.Dial(context.Background(), Offer{Target: target(p, "1000", "udp")})
	require.NoError(t, err)
	in := waitInbound(t, calls)
	require.NoError(t, in.Answer(context.Background()))
	waitKind(t, out.Events(), EventAnswered)
	require.NoError(t, out.Hangup(hangup.NormalClearing))
	waitKind(t, out.Events(), EventHangup)
	waitKind(t, in.Events(), EventHangup)

	caller, callee := weak.Make(out.c), weak.Make(in.c)
	out, in = nil, nil
	runtime.KeepAlive(out)
	runtime.KeepAlive(in)
	require.Eventually(t, func() bool {
		runtime.GC()
		return caller.Value() == nil && callee.Value() == nil
	}, 5*time.Second, 50*time.Millisecond, "an ended call is still reachable (caller freed %v, callee freed %v)",
		caller.Value() == nil, callee.Value() == nil)
}
