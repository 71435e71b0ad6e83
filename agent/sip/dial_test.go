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

// Nothing listening on the target port: NORMAL_TEMPORARY_FAILURE at once,
// as FreeSWITCH (fixture 03a), over UDP (ICMP) and TCP (RST).
func TestDialNothingListening(t *testing.T) {
	t.Parallel()
	p, _ := testProfile(t)
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			port := closedPort(t)
			start := time.Now()
			out, err := p.Dial(context.Background(), Offer{Target: "1000@127.0.0.1:" + strconv.Itoa(port) + ";transport=" + transport})
			require.NoError(t, err)
			end := waitKind(t, out.Events(), EventHangup).End
			assert.Less(t, time.Since(start), time.Second, "refusal is seen at once")
			assert.Equal(t, hangup.NormalTemporaryFailure, end.Cause)
			assert.Equal(t, DispRecvRefuse, end.Disposition)
			assert.Equal(t, 503, end.FailureStatus)
		})
	}
}

// closedPort finds a loopback port with neither UDP nor TCP listener.
func closedPort(t *testing.T) int {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	port := pc.LocalAddr().(*net.UDPAddr).Port
	require.NoError(t, pc.Close())
	return port
}

func TestDialErrors(t *testing.T) {
	t.Parallel()
	p, _ := testProfile(t)
	tests := []struct {
		offer Offer
		cause hangup.Cause
	}{
		{Offer{Target: "@"}, hangup.InvalidURL},
		{Offer{Target: "nouser.example"}, hangup.InvalidURL},
		{Offer{Target: "1000@127.0.0.1:5080;transport=sctp"}, hangup.InvalidURL},
		{Offer{Target: "1000@127.0.0.1:5080", Codecs: []string{"G729"}}, hangup.IncompatibleDestination},
		{Offer{Target: "1000@127.0.0.1:5080", Headers: []Header{{"X-A", "x\r\nBYE sip:x SIP/2.0"}}}, hangup.InvalidMsgUnspecified},
		{Offer{Target: "1000@127.0.0.1:5080", Headers: []Header{{"X-A: b", "c"}}}, hangup.InvalidMsgUnspecified},
		{Offer{Target: "1000@127.0.0.1:5080", FromName: "a\nb"}, hangup.InvalidMsgUnspecified},
	}
	for _, tt := range tests {
		_, err := p.Dial(context.Background(), tt.offer)
		var de *DialError
		require.ErrorAs(t, err, &de, "Dial(%+v)", tt.offer)
		assert.Equal(t, tt.cause, de.Cause, "Dial(%+v)", tt.offer)
	}
}

// With the RTP range used up, Dial fails DESTINATION_OUT_OF_ORDER and
// Answer fails without ending the call, so its owner can refuse it.
func TestRTPPortsExhausted(t *testing.T) {
	t.Parallel()
	ports, err := media.NewPorts(31700, 31700) // one session
	require.NoError(t, err)
	calls := make(chan *Inbound, 1)
	p, err := Start(context.Background(), Config{Addr: "127.0.0.1:0", Media: ports, OnInvite: func(in *Inbound) { calls <- in }})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, p.Close(context.Background())) })

	out, err := p.Dial(context.Background(), Offer{Target: "x@" + p.Addr()})
	require.NoError(t, err, "the caller takes the only port")
	in := waitInbound(t, calls)
	assert.ErrorIs(t, in.Answer(context.Background()), media.ErrNoPorts)
	assert.ErrorIs(t, in.PreAnswer(), media.ErrNoPorts)
	_, err = p.Dial(context.Background(), Offer{Target: "y@" + p.Addr()})
	var de *DialError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, hangup.DestinationOutOfOrder, de.Cause)
	assert.ErrorIs(t, err, media.ErrNoPorts)

	require.NoError(t, in.Hangup(hangup.SwitchCongestion))
	end := waitKind(t, out.Events(), EventHangup).End
	assert.Equal(t, hangup.SwitchCongestion, end.Cause, "503 with the Q.850 Reason")
	assert.Equal(t, 503, end.FailureStatus)
	assert.Zero(t, ports.InUse())
}
