package sip

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/callplan/callplan/agent/media"
	"github.com/callplan/callplan/internal/hangup"
	sipmsg "github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawPeer is a hand-driven UDP SIP endpoint: the test reads and writes
// messages itself, to check the profile's wire behaviour (headers,
// retransmissions) where a real stack would hide it.
type rawPeer struct {
	t    *testing.T
	conn *net.UDPConn
}

func newRawPeer(t *testing.T) *rawPeer {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return &rawPeer{t: t, conn: c}
}

func (r *rawPeer) addr() string { return r.conn.LocalAddr().String() }

// read returns the next SIP message (skipping CRLF keep-alives) and its
// source.
func (r *rawPeer) read(d time.Duration) (sipmsg.Message, *net.UDPAddr) {
	r.t.Helper()
	buf := make([]byte, 65535)
	require.NoError(r.t, r.conn.SetReadDeadline(time.Now().Add(d)))
	for {
		n, from, err := r.conn.ReadFromUDP(buf)
		require.NoError(r.t, err, "reading from the profile")
		if strings.TrimSpace(string(buf[:n])) == "" {
			continue
		}
		msg, err := sipmsg.ParseMessage(append([]byte(nil), buf[:n]...))
		require.NoError(r.t, err)
		return msg, from
	}
}

func (r *rawPeer) readRequest(method sipmsg.RequestMethod, d time.Duration) (*sipmsg.Request, *net.UDPAddr) {
	r.t.Helper()
	for {
		msg, from := r.read(d)
		if req, ok := msg.(*sipmsg.Request); ok && req.Method == method {
			return req, from
		}
	}
}

func (r *rawPeer) send(msg sipmsg.Message, to *net.UDPAddr) {
	r.t.Helper()
	_, err := r.conn.WriteToUDP([]byte(msg.String()), to)
	require.NoError(r.t, err)
}

// The INVITE on the wire: From, To, Contact, Route for fs_path, X- headers,
// SDP order from absolute_codec_string; and a retransmitted 200 gets a
// second ACK.
func TestRawInviteWireFormatAndReAck(t *testing.T) {
	t.Parallel()
	p, _ := testProfile(t)
	peer := newRawPeer(t)

	out, err := p.Dial(context.Background(), Offer{
		Target:   "1000@127.0.0.1:9", // the Request-URI; the proxy below is where it goes
		Proxy:    "<sip:" + peer.addr() + ">",
		FromUser: "5551234", FromName: "Load Test",
		Headers: []Header{{"X-callplan-run", "r1"}},
		Codecs:  []string{"PCMA", "PCMU"},
		CallID:  "fixed-call-id",
	})
	require.NoError(t, err)
	inv, from := peer.readRequest(sipmsg.INVITE, 5*time.Second)
	assert.Equal(t, p.Addr(), from.String(), "INVITE leaves from the profile's port")
	assert.Equal(t, "sip:1000@127.0.0.1:9", inv.Recipient.String())
	assert.Equal(t, "fixed-call-id", inv.CallID().Value())
	assert.Equal(t, "<sip:"+peer.addr()+";lr>", headerValue(inv, "Route"))
	assert.Equal(t, `"Load Test" <sip:5551234@127.0.0.1>`, strings.Split(headerValue(inv, "From"), ";tag=")[0])
	assert.Equal(t, "<sip:5551234@"+p.Addr()+">", headerValue(inv, "Contact"))
	assert.Equal(t, "r1", headerValue(inv, "X-callplan-run"))
	assert.Equal(t, "callplan-agent", headerValue(inv, "User-Agent"))
	assert.Contains(t, string(inv.Body()), "RTP/AVP 8 0 101\r\n")

	// Answer (with a made-up SDP pointing at the peer) and retransmit the 200.
	sdp := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n"
	ok := sipmsg.NewResponseFromRequest(inv, 200, "OK", []byte(sdp))
	ok.To().Params.Add("tag", "peer-tag")
	// The Contact points at the peer itself so the ACK and BYE come here.
	ok.AppendHeader(&sipmsg.ContactHeader{Address: sipmsg.Uri{Scheme: "sip", User: "1000", Host: "127.0.0.1",
		Port: peer.conn.LocalAddr().(*net.UDPAddr).Port}})
	ok.AppendHeader(sipmsg.NewHeader("Content-Type", "application/sdp"))
	ok.AppendHeader(sipmsg.NewHeader("X-Answered-By", "raw"))
	ok.AppendHeader(sipmsg.NewHeader("P-Charging-Vector", "icid=1"))
	peer.send(ok, from)
	ack1, _ := peer.readRequest(sipmsg.ACK, 5*time.Second)
	assert.Equal(t, inv.CSeq().SeqNo, ack1.CSeq().SeqNo, "ACK reuses the INVITE's CSeq number")
	ev := waitKind(t, out.Events(), EventAnswered)
	assert.Equal(t, []Header{{"X-Answered-By", "raw"}, {"P-Charging-Vector", "icid=1"}}, ev.Headers, "response headers for sip_rh_*")
	assert.Equal(t, "PCMU", out.Codec().Name, "the answer's codec wins")

	peer.send(ok, from)
	ack2, _ := peer.readRequest(sipmsg.ACK, 5*time.Second)
	assert.Equal(t, ack1.CSeq().SeqNo, ack2.CSeq().SeqNo)

	require.NoError(t, out.Hangup(hangup.NormalClearing))
	bye, _ := peer.readRequest(sipmsg.BYE, 5*time.Second)
	assert.Equal(t, `Q.850;cause=16;text="NORMAL_CLEARING"`, headerValue(bye, "Reason"))
	assert.Greater(t, bye.CSeq().SeqNo, inv.CSeq().SeqNo)
	tag, _ := bye.To().Params.Get("tag")
	assert.Equal(t, "peer-tag", tag)
	peer.send(sipmsg.NewResponseFromRequest(bye, 200, "OK", nil), from)
}

// Over UDP the profile retransmits its 200 until the ACK arrives, and
// Answer returns only then.
func TestRawAnswerRetransmitsUntilAck(t *testing.T) {
	t.Parallel()
	p, calls := testProfile(t)
	peer := newRawPeer(t)
	to, err := net.ResolveUDPAddr("udp", p.Addr())
	require.NoError(t, err)

	port := peer.conn.LocalAddr().(*net.UDPAddr).Port
	inv := peer.invite(to, "raw-call", fmt.Sprintf("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP 8\r\n", port),
		sipmsg.NewHeader("X-Foo", "bar"), sipmsg.NewHeader("X-Foo", "baz"))
	peer.send(inv, to)

	in := waitInbound(t, calls)
	assert.Equal(t, []Header{{"X-Foo", "bar"}, {"X-Foo", "baz"}}, in.Headers())
	answered := make(chan error, 1)
	go func() { answered <- in.Answer(context.Background()) }()

	var oks int
	var last *sipmsg.Response
	for oks < 2 {
		msg, _ := peer.read(5 * time.Second)
		if res, ok := msg.(*sipmsg.Response); ok && res.StatusCode == 200 {
			oks++
			last = res
		}
	}
	select {
	case err := <-answered:
		require.FailNowf(t, "Answer returned before the ACK", "%v", err)
	default:
	}
	peer.send(peer.ack(inv, last, ""), to)
	select {
	case err := <-answered:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		require.FailNow(t, "Answer did not return after the ACK")
	}
	assert.Equal(t, "PCMA", in.Codec().Name)
	require.NoError(t, in.Hangup(hangup.UserBusy))
	bye, _ := peer.readRequest(sipmsg.BYE, 5*time.Second)
	assert.Equal(t, `Q.850;cause=17;text="USER_BUSY"`, headerValue(bye, "Reason"))
	assert.Equal(t, "sip:raw@127.0.0.1:"+fmt.Sprint(port), bye.Recipient.String(), "BYE goes to the caller's Contact")
	peer.send(sipmsg.NewResponseFromRequest(bye, 200, "OK", nil), to)
}

// invite builds an INVITE from the peer to the profile at to; body "" makes
// a late offer.
func (r *rawPeer) invite(to *net.UDPAddr, callID, body string, extra ...sipmsg.Header) *sipmsg.Request {
	port := r.conn.LocalAddr().(*net.UDPAddr).Port
	inv := sipmsg.NewRequest(sipmsg.INVITE, sipmsg.Uri{Scheme: "sip", User: "2000", Host: "127.0.0.1", Port: to.Port})
	via := &sipmsg.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: "UDP", Host: "127.0.0.1", Port: port}
	via.Params.Add("branch", sipmsg.GenerateBranch())
	inv.AppendHeader(via)
	from := &sipmsg.FromHeader{Address: sipmsg.Uri{Scheme: "sip", User: "raw", Host: "127.0.0.1"}}
	from.Params.Add("tag", "raw-tag")
	inv.AppendHeader(from)
	inv.AppendHeader(&sipmsg.ToHeader{Address: sipmsg.Uri{Scheme: "sip", User: "2000", Host: "127.0.0.1"}})
	cid := sipmsg.CallIDHeader(callID)
	inv.AppendHeader(&cid)
	inv.AppendHeader(&sipmsg.CSeqHeader{SeqNo: 1, MethodName: sipmsg.INVITE})
	inv.AppendHeader(&sipmsg.ContactHeader{Address: sipmsg.Uri{Scheme: "sip", User: "raw", Host: "127.0.0.1", Port: port}})
	for _, h := range extra {
		inv.AppendHeader(h)
	}
	if body != "" {
		inv.AppendHeader(sipmsg.NewHeader("Content-Type", "application/sdp"))
	}
	inv.SetBody([]byte(body))
	r.send(inv, to)
	return inv
}

// ack builds the ACK for the 200 ok to inv, with an optional SDP body.
func (r *rawPeer) ack(inv *sipmsg.Request, ok *sipmsg.Response, body string) *sipmsg.Request {
	port := r.conn.LocalAddr().(*net.UDPAddr).Port
	tag, _ := ok.To().Params.Get("tag")
	ack := sipmsg.NewRequest(sipmsg.ACK, ok.Contact().Address)
	via := &sipmsg.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: "UDP", Host: "127.0.0.1", Port: port}
	via.Params.Add("branch", sipmsg.GenerateBranch())
	ack.AppendHeader(via)
	ack.AppendHeader(sipmsg.HeaderClone(inv.From()))
	to := &sipmsg.ToHeader{Address: inv.To().Address}
	to.Params.Add("tag", tag)
	ack.AppendHeader(to)
	cid := sipmsg.CallIDHeader(inv.CallID().Value())
	ack.AppendHeader(&cid)
	ack.AppendHeader(&sipmsg.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sipmsg.ACK})
	if body != "" {
		ack.AppendHeader(sipmsg.NewHeader("Content-Type", "application/sdp"))
	}
	ack.SetBody([]byte(body))
	return ack
}

// read200 returns the next 200 OK.
func (r *rawPeer) read200(d time.Duration) *sipmsg.Response {
	r.t.Helper()
	for {
		msg, _ := r.read(d)
		if res, ok := msg.(*sipmsg.Response); ok && res.StatusCode == 200 {
			return res
		}
	}
}

// A late offer (INVITE without SDP): the 200 carries our offer, the ACK the
// answer, and media starts from it; an ACK without an answer ends the call.
func TestRawLateOffer(t *testing.T) {
	t.Parallel()
	p, calls := testProfile(t)
	to, err := net.ResolveUDPAddr("udp", p.Addr())
	require.NoError(t, err)

	t.Run("answer in ACK", func(t *testing.T) {
		peer := newRawPeer(t)
		port := peer.conn.LocalAddr().(*net.UDPAddr).Port
		inv := peer.invite(to, "late-1", "")
		in := waitInbound(t, calls)
		assert.ErrorIs(t, in.PreAnswer(), ErrState)
		answered := make(chan error, 1)
		go func() { answered <- in.Answer(context.Background()) }()
		ok := peer.read200(5 * time.Second)
		assert.Contains(t, string(ok.Body()), "RTP/AVP 0 8 101\r\n", "the 200 offers the profile's codecs")
		answer := fmt.Sprintf("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP 8\r\n", port)
		peer.send(peer.ack(inv, ok, answer), to)
		select {
		case err := <-answered:
			require.NoError(t, err)
		case <-time.After(5 * time.Second):
			require.FailNow(t, "Answer did not return after the ACK")
		}
		assert.Equal(t, "PCMA", in.Codec().Name)
		assert.Equal(t, answer, in.RemoteSDP())
		assert.Equal(t, uint16(port), in.Media().Remote().Port(), "media goes where the ACK's answer says")
		require.NoError(t, in.Hangup(hangup.NormalClearing))
		bye, _ := peer.readRequest(sipmsg.BYE, 5*time.Second)
		peer.send(sipmsg.NewResponseFromRequest(bye, 200, "OK", nil), to)
	})
	t.Run("no answer in ACK", func(t *testing.T) {
		peer := newRawPeer(t)
		inv := peer.invite(to, "late-2", "")
		in := waitInbound(t, calls)
		answered := make(chan error, 1)
		go func() { answered <- in.Answer(context.Background()) }()
		ok := peer.read200(5 * time.Second)
		peer.send(peer.ack(inv, ok, ""), to)
		end := waitKind(t, in.Events(), EventHangup).End
		assert.Equal(t, End{Cause: hangup.IncompatibleDestination, Disposition: DispSendBye}, *end)
		bye, _ := peer.readRequest(sipmsg.BYE, 5*time.Second)
		assert.Equal(t, `Q.850;cause=88;text="INCOMPATIBLE_DESTINATION"`, headerValue(bye, "Reason"))
		peer.send(sipmsg.NewResponseFromRequest(bye, 200, "OK", nil), to)
		assert.ErrorIs(t, <-answered, ErrNoCodec)
	})
}

// A 180 sent right before the 200 must still give EventRinging before
// EventAnswered, although sipgo dispatches each response on its own
// goroutine (SIPp's UAS does exactly this).
func TestRawRingingThenAnswerKeepsOrder(t *testing.T) {
	t.Parallel()
	p, _ := testProfile(t)
	peer := newRawPeer(t)
	sdp := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n"
	for i := range 30 {
		out, err := p.Dial(context.Background(), Offer{Target: "order@" + peer.addr(), CallID: fmt.Sprintf("order-%d", i)})
		require.NoError(t, err)
		inv, from := peer.readRequest(sipmsg.INVITE, 5*time.Second)
		ringing := sipmsg.NewResponseFromRequest(inv, 180, "Ringing", nil)
		ringing.To().Params.Add("tag", "t")
		ok := sipmsg.NewResponseFromRequest(inv, 200, "OK", []byte(sdp))
		ok.To().Params.Add("tag", "t")
		ok.AppendHeader(&sipmsg.ContactHeader{Address: sipmsg.Uri{Scheme: "sip", Host: "127.0.0.1", Port: peer.conn.LocalAddr().(*net.UDPAddr).Port}})
		ok.AppendHeader(sipmsg.NewHeader("Content-Type", "application/sdp"))
		peer.send(ringing, from)
		peer.send(ok, from)
		var kinds []EventKind
		for ev := range out.Events() {
			kinds = append(kinds, ev.Kind)
			if ev.Kind == EventAnswered {
				break
			}
		}
		require.Equal(t, []EventKind{EventRinging, EventAnswered}, kinds, "call %d", i)
		peer.readRequest(sipmsg.ACK, 5*time.Second)
		require.NoError(t, out.Hangup(hangup.NormalClearing))
		bye, _ := peer.readRequest(sipmsg.BYE, 5*time.Second)
		peer.send(sipmsg.NewResponseFromRequest(bye, 200, "OK", nil), from)
	}
}

// A peer that answers our CANCEL with 200 but never ends the INVITE (no
// 487) does not hold the call's goroutine past the give-up time.
func TestRawCancelWithoutFinalResponse(t *testing.T) {
	t.Parallel()
	ports, err := media.NewPorts(20000, 60000)
	require.NoError(t, err)
	p, err := Start(context.Background(), Config{Addr: "127.0.0.1:0", Media: ports})
	require.NoError(t, err)
	p.cancelWait = 200 * time.Millisecond
	peer := newRawPeer(t)

	out, err := p.Dial(context.Background(), Offer{Target: "stuck@" + peer.addr()})
	require.NoError(t, err)
	inv, from := peer.readRequest(sipmsg.INVITE, 5*time.Second)
	ringing := sipmsg.NewResponseFromRequest(inv, 180, "Ringing", nil)
	ringing.To().Params.Add("tag", "t")
	peer.send(ringing, from)
	waitKind(t, out.Events(), EventRinging)
	require.NoError(t, out.Hangup(hangup.NoAnswer))
	cancel, _ := peer.readRequest(sipmsg.CANCEL, 5*time.Second)
	assert.Equal(t, inv.Via().Params, cancel.Via().Params, "CANCEL reuses the INVITE's branch")
	assert.Equal(t, `Q.850;cause=19;text="NO_ANSWER"`, headerValue(cancel, "Reason"))
	peer.send(sipmsg.NewResponseFromRequest(cancel, 200, "OK", nil), from)

	time.Sleep(300 * time.Millisecond) // past cancelWait
	start := time.Now()
	ctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	require.NoError(t, p.Close(ctx))
	assert.Less(t, time.Since(start), time.Second, "nothing left waiting for the 487")
}
