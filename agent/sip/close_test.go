package sip

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/callplan/callplan/agent/media"
	"github.com/callplan/callplan/internal/hangup"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A profile and its calls leave no goroutine behind after Close.
func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		ports, err := media.NewPorts(20000, 60000)
		require.NoError(t, err)
		calls := make(chan *Inbound, 16)
		p, err := Start(context.Background(), Config{Addr: "127.0.0.1:0", Media: ports, OnInvite: func(in *Inbound) { calls <- in }})
		require.NoError(t, err)
		for i := range 20 {
			tp := "udp"
			if i%2 == 1 {
				tp = "tcp"
			}
			out, err := p.Dial(context.Background(), Offer{Target: target(p, "leak", tp)})
			require.NoError(t, err)
			in := waitInbound(t, calls)
			switch i % 3 {
			case 0:
				require.NoError(t, in.Answer(context.Background()))
				waitKind(t, out.Events(), EventAnswered)
				require.NoError(t, out.Hangup(hangup.NormalClearing))
			case 1:
				require.NoError(t, in.Reject(486, "", hangup.None))
			case 2:
				waitKind(t, out.Events(), EventTrying)
				require.NoError(t, out.Hangup(hangup.NoAnswer))
			}
			waitKind(t, in.Events(), EventHangup)
			waitKind(t, out.Events(), EventHangup)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, p.Close(ctx))
		assert.Zero(t, ports.InUse(), "every rtp port returned")

	}()
	// sipgo's transport goroutines end asynchronously after Close.
	// Polled here, not with assert.Eventually, whose own goroutines would
	// be counted.
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines: before %d, after %d:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

// Closing a profile hangs up its calls (SYSTEM_SHUTDOWN) before the
// listeners go: the peer profile sees a BYE, and a ringing call a CANCEL.
func TestCloseHangsUpCalls(t *testing.T) {
	t.Parallel()
	ports, err := media.NewPorts(20000, 60000)
	require.NoError(t, err)
	a, err := Start(context.Background(), Config{Addr: "127.0.0.1:0", Media: ports})
	require.NoError(t, err)
	b, calls := testProfile(t)

	answered, err := a.Dial(context.Background(), Offer{Target: target(b, "1", "udp")})
	require.NoError(t, err)
	inAnswered := waitInbound(t, calls)
	require.NoError(t, inAnswered.Answer(context.Background()))
	waitKind(t, answered.Events(), EventAnswered)

	ringing, err := a.Dial(context.Background(), Offer{Target: target(b, "2", "tcp")})
	require.NoError(t, err)
	inRinging := waitInbound(t, calls)
	require.NoError(t, inRinging.Ringing())
	waitKind(t, ringing.Events(), EventRinging)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, a.Close(ctx))
	assert.Equal(t, End{Cause: hangup.SystemShutdown, Disposition: DispSendBye}, *waitKind(t, answered.Events(), EventHangup).End)
	assert.Equal(t, DispSendCancel, waitKind(t, ringing.Events(), EventHangup).End.Disposition)
	end := waitKind(t, inAnswered.Events(), EventHangup).End
	assert.Equal(t, DispRecvBye, end.Disposition)
	assert.Equal(t, `SIP;cause=701;text="SYSTEM_SHUTDOWN"`, end.Reason)
	assert.Equal(t, hangup.OriginatorCancel, waitKind(t, inRinging.Events(), EventHangup).End.Cause)
	assert.Zero(t, ports.InUse())

	_, err = a.Dial(context.Background(), Offer{Target: target(b, "3", "udp")})
	var de *DialError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, hangup.SystemShutdown, de.Cause)
}
