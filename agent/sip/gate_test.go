package sip

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// options sends one OPTIONS to p over UDP and returns the status line of
// the answer, or "" when none came within wait.
func options(t *testing.T, p *Profile, wait time.Duration) string {
	t.Helper()
	c, err := net.Dial("udp", p.Addr())
	require.NoError(t, err)
	defer c.Close()
	local := c.LocalAddr().String()
	msg := fmt.Sprintf("OPTIONS sip:ping@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK-%d\r\nFrom: <sip:probe@%s>;tag=1\r\nTo: <sip:ping@%s>\r\nCall-ID: opt-%d\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		p.Addr(), local, time.Now().UnixNano(), local, p.Addr(), time.Now().UnixNano())
	_, err = c.Write([]byte(msg))
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(wait)))
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(string(buf[:n]), "\r\n")
	return line
}

func TestFaultReject(t *testing.T) {
	t.Parallel()
	caller, _ := testProfile(t)
	callee, calls := testProfile(t)
	callee.SetFault(Fault{Mode: FaultReject, Code: 503})
	out, err := caller.Dial(context.Background(), Offer{Target: target(callee, "lb", "udp")})
	require.NoError(t, err)
	end := waitKind(t, out.Events(), EventHangup).End
	assert.Equal(t, 503, end.TermStatus)
	assert.Equal(t, "Service Unavailable", end.FailurePhrase)
	assert.Empty(t, calls, "a refused INVITE never reaches the node")
	assert.Equal(t, "SIP/2.0 200 OK", options(t, callee, 5*time.Second), "a rejecting node still answers keepalives")

	callee.SetFault(Fault{Mode: FaultReject, Code: 42})
	out, err = caller.Dial(context.Background(), Offer{Target: target(callee, "lb", "udp")})
	require.NoError(t, err)
	assert.Equal(t, 503, waitKind(t, out.Events(), EventHangup).End.TermStatus, "a code that is no SIP failure becomes 503")
}

func TestFaultBlackholeAndHeal(t *testing.T) {
	t.Parallel()
	caller, _ := testProfile(t)
	callee, calls := testProfile(t)
	callee.SetFault(Fault{Mode: FaultBlackhole})
	// Absence is checked over a bounded wait: a second is several
	// retransmissions of the INVITE (T1 = 500 ms) and plenty for a
	// loopback OPTIONS.
	assert.Equal(t, "", options(t, callee, time.Second), "no answer to OPTIONS")
	out, err := caller.Dial(context.Background(), Offer{Target: target(callee, "lb", "udp")})
	require.NoError(t, err)
	select {
	case in := <-calls:
		t.Fatalf("a black hole let an INVITE through: %s", in.CallID())
	case ev := <-out.Events():
		t.Fatalf("the caller heard back from a black hole: %+v", ev)
	case <-time.After(1500 * time.Millisecond):
	}
	_ = out.Hangup(0)

	callee.SetFault(Fault{})
	assert.Equal(t, "SIP/2.0 200 OK", options(t, callee, 5*time.Second))
	out, err = caller.Dial(context.Background(), Offer{Target: target(callee, "lb", "udp")})
	require.NoError(t, err)
	// The black-holed INVITE is still being retransmitted and gets
	// through now too: refuse it, answer ours.
	for {
		in := waitInbound(t, calls)
		if in.CallID() != out.CallID() {
			require.NoError(t, in.Reject(480, "", 0))
			continue
		}
		require.NoError(t, in.Answer(context.Background()))
		break
	}
	waitKind(t, out.Events(), EventAnswered)
	require.NoError(t, out.Hangup(0))
}

func TestFaultSlowAnswersLate(t *testing.T) {
	t.Parallel()
	caller, _ := testProfile(t)
	callee, calls := testProfile(t)
	const delay = 400 * time.Millisecond
	callee.SetFault(Fault{Mode: FaultSlow, Delay: delay})
	sent := time.Now()
	out, err := caller.Dial(context.Background(), Offer{Target: target(callee, "lb", "udp")})
	require.NoError(t, err)
	in := waitInbound(t, calls)
	assert.GreaterOrEqual(t, time.Since(sent), delay, "the node saw the INVITE only after the delay")
	require.NoError(t, in.Answer(context.Background()))
	waitKind(t, out.Events(), EventAnswered)
	require.NoError(t, out.Hangup(0))
}
