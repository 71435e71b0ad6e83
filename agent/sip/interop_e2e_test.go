//go:build e2e

package sip

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/callplan/callplan/internal/hangup"
	"github.com/callplan/callplan/internal/peertest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Interop with foreign SIP stacks on loopback: SIPp as UAS and UAC, and
// Kamailio as a stateless proxy in the fs_path. These fail (not skip) when
// sipp or kamailio is missing: `make deps-e2e` installs them.

func sippTransport(tp string) string {
	if tp == "tcp" {
		return "t1"
	}
	return "u1"
}

// SIPp's built-in UAS answers a call the profile places; the profile hangs up.
func TestSIPpUASAnswersDial(t *testing.T) {
	for _, tp := range []string{"udp", "tcp"} {
		t.Run(tp, func(t *testing.T) {
			p, _ := testProfile(t)
			port := peertest.FreePort(t)
			sipp := peertest.Start(t, "sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", strconv.Itoa(port),
				"-t", sippTransport(tp), "-m", "1", "-nostdin", "-timeout", "30s", "-timeout_error")
			sipp.WaitBound(t, tp, port)

			out, err := p.Dial(context.Background(), Offer{
				Target:  "service@127.0.0.1:" + strconv.Itoa(port) + ";transport=" + tp,
				Headers: []Header{{"X-callplan-call", "sipp-uas"}},
				Codecs:  []string{"PCMU"},
			})
			require.NoError(t, err)
			waitKind(t, out.Events(), EventRinging)
			waitKind(t, out.Events(), EventAnswered)
			assert.Equal(t, "PCMU", out.Codec().Name)
			assert.True(t, out.Media().Started())
			require.NoError(t, out.Hangup(hangup.NormalClearing))
			assert.Equal(t, 0, sipp.Wait(t, 30*time.Second), "sipp uas counts the call successful")
		})
	}
}

// SIPp's built-in UAC calls the profile, which rings and answers; SIPp
// hangs up.
func TestSIPpUACCallsProfile(t *testing.T) {
	for _, tp := range []string{"udp", "tcp"} {
		t.Run(tp, func(t *testing.T) {
			p, calls := testProfile(t)
			port := peertest.FreePort(t)
			sipp := peertest.Start(t, "sipp", "-sn", "uac", p.Addr(), "-s", "2000", "-i", "127.0.0.1", "-p", strconv.Itoa(port),
				"-t", sippTransport(tp), "-m", "1", "-d", "500", "-nostdin", "-timeout", "30s", "-timeout_error")

			in := waitInbound(t, calls)
			assert.Equal(t, "2000", in.RequestUser())
			assert.Equal(t, tp, in.Transport())
			require.NoError(t, in.Ringing())
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			require.NoError(t, in.Answer(ctx))
			end := waitKind(t, in.Events(), EventHangup).End
			assert.Equal(t, hangup.NormalClearing, end.Cause)
			assert.Equal(t, DispRecvBye, end.Disposition)
			assert.Equal(t, 0, sipp.Wait(t, 30*time.Second), "sipp uac counts the call successful")
		})
	}
}

func startKamailio(t *testing.T) int {
	t.Helper()
	port := peertest.FreePort(t)
	l := "127.0.0.1:" + strconv.Itoa(port)
	cfg, err := filepath.Abs("testdata/kamailio.cfg")
	require.NoError(t, err)
	k := peertest.Start(t, "kamailio", "-f", cfg, "-DD", "-E",
		"-l", "udp:"+l, "-l", "tcp:"+l, "-Y", t.TempDir())
	k.WaitBound(t, "udp", port)
	k.WaitBound(t, "tcp", port)
	return port
}

// Kamailio as a stateless proxy in the fs_path, to SIPp's UAS.
func TestKamailioProxyToSIPp(t *testing.T) {
	p, _ := testProfile(t)
	kport := startKamailio(t)
	port := peertest.FreePort(t)
	sipp := peertest.Start(t, "sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", strconv.Itoa(port),
		"-m", "1", "-nostdin", "-timeout", "30s", "-timeout_error")
	sipp.WaitBound(t, "udp", port)

	out, err := p.Dial(context.Background(), Offer{
		Target: "service@127.0.0.1:" + strconv.Itoa(port),
		Proxy:  "sip:127.0.0.1:" + strconv.Itoa(kport),
	})
	require.NoError(t, err)
	waitKind(t, out.Events(), EventAnswered)
	require.NoError(t, out.Hangup(hangup.NormalClearing))
	assert.Equal(t, 0, sipp.Wait(t, 30*time.Second))
}

// Profile → Kamailio → profile, over TCP to the proxy and UDP beyond it:
// an answered call with X- headers kept, and a refusal whose cause crosses
// the proxy.
func TestKamailioProxyLoop(t *testing.T) {
	p, calls := testProfile(t)
	kport := startKamailio(t)
	proxy := "sip:127.0.0.1:" + strconv.Itoa(kport) + ";transport=tcp"

	out, err := p.Dial(context.Background(), Offer{Target: "1000@" + p.Addr(), Proxy: proxy,
		Headers: []Header{{"X-callplan-call", "via-kamailio"}}})
	require.NoError(t, err)
	in := waitInbound(t, calls)
	assert.Contains(t, in.Headers(), Header{"X-callplan-call", "via-kamailio"})
	require.NoError(t, in.Answer(context.Background()))
	waitKind(t, out.Events(), EventAnswered)
	require.NoError(t, in.Hangup(hangup.NormalClearing))
	assert.Equal(t, DispRecvBye, waitKind(t, out.Events(), EventHangup).End.Disposition)

	out, err = p.Dial(context.Background(), Offer{Target: "busy@" + p.Addr(), Proxy: proxy})
	require.NoError(t, err)
	in = waitInbound(t, calls)
	require.NoError(t, in.Reject(486, "", hangup.None))
	end := waitKind(t, out.Events(), EventHangup).End
	assert.Equal(t, hangup.UserBusy, end.Cause)
	assert.Equal(t, 486, end.FailureStatus)
}

func scenario(t testing.TB, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", "sipp", name))
	require.NoError(t, err)
	return p
}

// A SIPp UAS that sends 183 with SDP, then 486 with a Q.850 Reason: early
// media first, then USER_BUSY.
func TestSIPpEarlyMediaThenBusy(t *testing.T) {
	p, _ := testProfile(t)
	port := peertest.FreePort(t)
	sipp := peertest.Start(t, "sipp", "-sf", scenario(t, "uas_early_media_busy.xml"), "-i", "127.0.0.1",
		"-p", strconv.Itoa(port), "-m", "1", "-nostdin", "-timeout", "30s", "-timeout_error")
	sipp.WaitBound(t, "udp", port)

	out, err := p.Dial(context.Background(), Offer{Target: "busy@127.0.0.1:" + strconv.Itoa(port)})
	require.NoError(t, err)
	ev := waitKind(t, out.Events(), EventEarlyMedia)
	assert.Equal(t, 183, ev.Status)
	assert.Equal(t, "PCMA", out.Codec().Name)
	assert.True(t, out.Media().Started())
	end := nextEvent(t, out.Events()).End
	require.NotNil(t, end)
	assert.Equal(t, hangup.UserBusy, end.Cause)
	assert.Equal(t, DispRecvRefuse, end.Disposition)
	assert.Equal(t, 486, end.FailureStatus)
	assert.Empty(t, end.Reason, "no sip_reason on a refused leg")
	assert.Equal(t, 0, sipp.Wait(t, 30*time.Second))
}

// A SIPp UAC that CANCELs while the profile rings it.
func TestSIPpCancelWhileRinging(t *testing.T) {
	p, calls := testProfile(t)
	port := peertest.FreePort(t)
	sipp := peertest.Start(t, "sipp", "-sf", scenario(t, "uac_cancel.xml"), p.Addr(), "-s", "3000", "-i", "127.0.0.1",
		"-p", strconv.Itoa(port), "-m", "1", "-nostdin", "-timeout", "30s", "-timeout_error")
	in := waitInbound(t, calls)
	assert.Equal(t, []Header{{"X-Scenario", "uac_cancel"}}, in.Headers())
	require.NoError(t, in.Ringing())
	end := waitKind(t, in.Events(), EventHangup).End
	assert.Equal(t, hangup.OriginatorCancel, end.Cause)
	assert.Equal(t, DispRecvCancel, end.Disposition)
	assert.Equal(t, `Q.850;cause=19;text="NO_ANSWER"`, end.Reason)
	assert.Equal(t, 0, sipp.Wait(t, 30*time.Second))
}
