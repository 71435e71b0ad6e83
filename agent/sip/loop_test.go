package sip

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/callplan/callplan/agent/media"
	"github.com/callplan/callplan/internal/hangup"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testProfile starts a profile on a random loopback port whose inbound
// calls arrive on the returned channel.
func testProfile(t *testing.T) (*Profile, chan *Inbound) {
	t.Helper()
	ports, err := media.NewPorts(20000, 60000)
	require.NoError(t, err)
	calls := make(chan *Inbound, 16)
	p, err := Start(context.Background(), Config{
		Name:     "external",
		Addr:     "127.0.0.1:0",
		Media:    ports,
		OnInvite: func(in *Inbound) { calls <- in },
	})
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		assert.NoError(t, p.Close(ctx))
	})
	return p, calls
}

func nextEvent(t *testing.T, ch <-chan Event) Event {
	t.Helper()
	select {
	case ev, ok := <-ch:
		require.True(t, ok, "event channel closed")
		return ev
	case <-time.After(5 * time.Second):
		require.FailNow(t, "no event within 5s")
	}
	return Event{}
}

// waitKind skips events until one of kind arrives.
func waitKind(t *testing.T, ch <-chan Event, kind EventKind) Event {
	t.Helper()
	for {
		ev := nextEvent(t, ch)
		if ev.Kind == kind {
			return ev
		}
		require.NotEqual(t, EventHangup, ev.Kind, "call ended (%+v) while waiting for %s", ev.End, kind)
	}
}

func waitInbound(t *testing.T, calls chan *Inbound) *Inbound {
	t.Helper()
	select {
	case in := <-calls:
		return in
	case <-time.After(5 * time.Second):
		require.FailNow(t, "no inbound call within 5s")
	}
	return nil
}

func target(p *Profile, user, transport string) string {
	t := user + "@" + p.Addr()
	if transport == "tcp" {
		t += ";transport=tcp"
	}
	return t
}

func TestLoopCallAnsweredEchoAndHangup(t *testing.T) {
	for _, tc := range []struct {
		transport  string
		hangupSide string
	}{
		{"udp", "caller"}, {"tcp", "caller"}, {"udp", "callee"}, {"tcp", "callee"},
	} {
		t.Run(tc.transport+"/"+tc.hangupSide, func(t *testing.T) {
			t.Parallel()
			p, calls := testProfile(t)
			out, err := p.Dial(context.Background(), Offer{
				Target:   target(p, "1000", tc.transport),
				FromUser: "5551234", FromName: `Load "Test" \ 1`,
				Headers: []Header{{"X-callplan-call", "abc-123"}, {"X-Case", "MiXeD"}},
				Codecs:  []string{"PCMA", "PCMU"},
			})
			require.NoError(t, err)
			in := waitInbound(t, calls)

			assert.Equal(t, out.CallID(), in.CallID())
			assert.Equal(t, "1000", in.RequestUser())
			assert.Equal(t, "5551234", in.FromUser())
			assert.Equal(t, `Load "Test" \ 1`, in.FromName())
			assert.Equal(t, tc.transport, in.Transport())
			assert.Equal(t, []Header{{"X-callplan-call", "abc-123"}, {"X-Case", "MiXeD"}}, in.Headers())
			assert.Equal(t, "PCMA", in.Codec().Name, "answerer takes the offer's first codec")

			assert.Equal(t, EventTrying, nextEvent(t, out.Events()).Kind)
			require.NoError(t, in.Ringing())
			ev := nextEvent(t, out.Events())
			assert.Equal(t, EventRinging, ev.Kind)
			assert.Equal(t, 180, ev.Status)

			require.NoError(t, in.Answer(context.Background()))
			ev = nextEvent(t, out.Events())
			assert.Equal(t, EventAnswered, ev.Kind)
			assert.Equal(t, "PCMA", out.Codec().Name)
			assert.Contains(t, out.RemoteSDP(), "m=audio "+strconv.Itoa(int(in.Media().LocalAddr().Port()))+" RTP/AVP 8 101")
			assert.Contains(t, in.RemoteSDP(), "m=audio "+strconv.Itoa(int(out.Media().LocalAddr().Port()))+" RTP/AVP 8 0 101")

			// The callee echoes; the caller sends 10 frames and gets them back.
			in.Media().SetEcho(true)
			frame := make([]byte, media.FrameSamples)
			for i := range 10 {
				frame[0] = byte(i)
				_, err := out.Media().Write(frame)
				require.NoError(t, err)
			}
			require.Eventually(t, func() bool { return out.Media().Stats().InMediaPackets == 10 },
				5*time.Second, 10*time.Millisecond)
			st := in.Media().Stats()
			assert.EqualValues(t, 10, st.InMediaPackets)
			assert.EqualValues(t, 10*(12+media.FrameSamples), st.InMediaBytes, "whole packets, as FreeSWITCH counts")
			assert.EqualValues(t, 10, st.OutMediaPackets)
			assert.Zero(t, st.InLost)
			assert.EqualValues(t, 10, out.Media().Stats().OutPackets)

			if tc.hangupSide == "caller" {
				require.NoError(t, out.Hangup(hangup.UserBusy))
				end := waitKind(t, out.Events(), EventHangup).End
				assert.Equal(t, End{Cause: hangup.UserBusy, Disposition: DispSendBye}, *end)
				end = waitKind(t, in.Events(), EventHangup).End
				assert.Equal(t, hangup.UserBusy, end.Cause, "a Q.850 Reason on BYE sets the cause")
				assert.Equal(t, DispRecvBye, end.Disposition)
				assert.Equal(t, 200, end.TermStatus)
				assert.Equal(t, `Q.850;cause=17;text="USER_BUSY"`, end.Reason)
			} else {
				require.NoError(t, in.Hangup(hangup.NormalClearing))
				end := waitKind(t, out.Events(), EventHangup).End
				assert.Equal(t, hangup.NormalClearing, end.Cause)
				assert.Equal(t, DispRecvBye, end.Disposition)
				assert.Equal(t, 200, end.TermStatus)
			}
			assert.ErrorIs(t, out.Hangup(hangup.NormalClearing), ErrEnded)
			assert.ErrorIs(t, in.Hangup(hangup.NormalClearing), ErrEnded)
			_, open := <-out.Events()
			assert.False(t, open, "events closed after hangup")
			require.Eventually(t, func() bool { i, o := p.Calls(); return i == 0 && o == 0 }, 2*time.Second, 10*time.Millisecond)
		})
	}
}

// Refusals as fixture 03 and esl-reference 5.5: what the callee does, what
// the caller's leg ends with.
func TestLoopCallRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		refuse      func(*Inbound) error
		wantStatus  int
		wantPhrase  string
		callerCause hangup.Cause
		calleeCause hangup.Cause
	}{
		{"respond 404", func(in *Inbound) error { return in.Reject(404, "", hangup.None) }, 404, "Not Found", hangup.UnallocatedNumber, hangup.UnallocatedNumber},
		{"respond 486", func(in *Inbound) error { return in.Reject(486, "", hangup.None) }, 486, "Busy Here", hangup.UserBusy, hangup.UserBusy},
		{"respond 503", func(in *Inbound) error { return in.Reject(503, "", hangup.None) }, 503, "Service Unavailable", hangup.NormalTemporaryFailure, hangup.NormalTemporaryFailure},
		{"respond 480", func(in *Inbound) error { return in.Reject(480, "", hangup.None) }, 480, "Temporarily Unavailable", hangup.NoUserResponse, hangup.NoUserResponse},
		{"respond 488 custom phrase", func(in *Inbound) error { return in.Reject(488, "Codecs Wrong", hangup.None) }, 488, "Codecs Wrong", hangup.IncompatibleDestination, hangup.IncompatibleDestination},
		{"kill CALL_REJECTED", func(in *Inbound) error { return in.Hangup(hangup.CallRejected) }, 603, "Decline", hangup.CallRejected, hangup.CallRejected},
		{"kill USER_BUSY", func(in *Inbound) error { return in.Hangup(hangup.UserBusy) }, 486, "Busy Here", hangup.UserBusy, hangup.UserBusy},
		// NORMAL_CLEARING refuses with 480, but its Q.850 Reason tells the
		// caller the real cause, as between two FreeSWITCH boxes.
		{"kill NORMAL_CLEARING", func(in *Inbound) error { return in.Hangup(hangup.NormalClearing) }, 480, "Temporarily Unavailable", hangup.NormalClearing, hangup.NormalClearing},
		// respond sends no Reason: the caller only has the code.
		{"respond 480 with a cause", func(in *Inbound) error { return in.Reject(480, "", hangup.NormalClearing) }, 480, "Temporarily Unavailable", hangup.NoUserResponse, hangup.NormalClearing},
	}
	p, calls := testProfile(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := p.Dial(context.Background(), Offer{Target: target(p, "reject", "udp")})
			require.NoError(t, err)
			in := waitInbound(t, calls)
			require.NoError(t, tt.refuse(in))
			end := waitKind(t, in.Events(), EventHangup).End
			assert.Equal(t, End{Cause: tt.calleeCause, Disposition: DispSendRefuse}, *end)
			end = waitKind(t, out.Events(), EventHangup).End
			assert.Equal(t, tt.callerCause, end.Cause)
			assert.Equal(t, DispRecvRefuse, end.Disposition)
			assert.Equal(t, tt.wantStatus, end.TermStatus)
			assert.Equal(t, tt.wantStatus, end.FailureStatus)
			assert.Equal(t, tt.wantPhrase, end.FailurePhrase)
			assert.Empty(t, end.Reason, "no sip_reason on a refused leg, as in fixture 03")
		})
	}
}

func TestLoopCallCancel(t *testing.T) {
	t.Parallel()
	p, calls := testProfile(t)
	out, err := p.Dial(context.Background(), Offer{Target: target(p, "ring", "udp")})
	require.NoError(t, err)
	in := waitInbound(t, calls)
	require.NoError(t, in.Ringing())
	waitKind(t, out.Events(), EventRinging)

	// originate_timeout: the caller gives up with NO_ANSWER.
	require.NoError(t, out.Hangup(hangup.NoAnswer))
	end := waitKind(t, out.Events(), EventHangup).End
	assert.Equal(t, End{Cause: hangup.NoAnswer, Disposition: DispSendCancel, FailureStatus: 487, FailurePhrase: "CANCEL"}, *end)
	end = waitKind(t, in.Events(), EventHangup).End
	assert.Equal(t, End{Cause: hangup.OriginatorCancel, Disposition: DispRecvCancel, TermStatus: 487,
		FailureStatus: 487, FailurePhrase: "CANCEL", Reason: `Q.850;cause=19;text="NO_ANSWER"`}, *end)
	assert.ErrorIs(t, in.Answer(context.Background()), ErrEnded)
}

// A CANCEL before any provisional response waits for one (RFC 3261 9.1);
// the 100 Trying the profile sends at once allows it.
func TestLoopCallCancelImmediately(t *testing.T) {
	t.Parallel()
	p, calls := testProfile(t)
	out, err := p.Dial(context.Background(), Offer{Target: target(p, "ring", "tcp")})
	require.NoError(t, err)
	require.NoError(t, out.Hangup(hangup.OriginatorCancel))
	in := waitInbound(t, calls)
	end := waitKind(t, in.Events(), EventHangup).End
	assert.Equal(t, hangup.OriginatorCancel, end.Cause)
	assert.Equal(t, DispRecvCancel, end.Disposition)
}

func TestLoopCallEarlyMedia(t *testing.T) {
	t.Parallel()
	p, calls := testProfile(t)
	out, err := p.Dial(context.Background(), Offer{Target: target(p, "early", "udp")})
	require.NoError(t, err)
	in := waitInbound(t, calls)
	require.NoError(t, in.Ringing())
	waitKind(t, out.Events(), EventRinging)
	require.NoError(t, in.PreAnswer())
	ev := waitKind(t, out.Events(), EventEarlyMedia)
	assert.Equal(t, 183, ev.Status)
	require.True(t, out.Media().Started(), "early media starts the caller's rtp")
	assert.Equal(t, "PCMU", out.Codec().Name)

	// Media flows before the answer: callee → caller.
	_, err = in.Media().Write(make([]byte, media.FrameSamples))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return out.Media().Stats().InMediaPackets == 1 }, 5*time.Second, 10*time.Millisecond)

	require.NoError(t, in.Answer(context.Background()))
	waitKind(t, out.Events(), EventAnswered)
	assert.Zero(t, out.Media().Stats().OutPackets, "a parked leg sends nothing")
	require.NoError(t, out.Hangup(hangup.NormalClearing))
	assert.Equal(t, DispRecvBye, waitKind(t, in.Events(), EventHangup).End.Disposition)
}

// IPv6 loopback: SDP says IP6, media flows.
func TestLoopCallIPv6(t *testing.T) {
	t.Parallel()
	if l, err := net.ListenPacket("udp6", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback on this host: %v", err)
	} else {
		l.Close()
	}
	ports, err := media.NewPorts(20000, 60000)
	require.NoError(t, err)
	calls := make(chan *Inbound, 1)
	p, err := Start(context.Background(), Config{Addr: "[::1]:0", Media: ports, OnInvite: func(in *Inbound) { calls <- in }})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, p.Close(context.Background())) })
	out, err := p.Dial(context.Background(), Offer{Target: "6@" + p.Addr()})
	require.NoError(t, err)
	in := waitInbound(t, calls)
	assert.Contains(t, in.RemoteSDP(), "c=IN IP6 ::1")
	require.NoError(t, in.Answer(context.Background()))
	waitKind(t, out.Events(), EventAnswered)
	_, err = out.Media().Write(make([]byte, media.FrameSamples))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return in.Media().Stats().InMediaPackets == 1 }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, out.Hangup(hangup.NormalClearing))
	assert.Equal(t, DispRecvBye, waitKind(t, in.Events(), EventHangup).End.Disposition)
}
