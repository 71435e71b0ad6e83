package sip

import (
	"fmt"
	"net"
	"strconv"
	"sync"

	"github.com/callplan/callplan/agent/media"
	"github.com/callplan/callplan/internal/hangup"
	sipmsg "github.com/emiago/sipgo/sip"
)

// Inbound is a call received by the profile. It starts unanswered and
// "parked": the owner decides with Ringing, PreAnswer, Answer, Reject or
// Hangup. Its methods are safe for concurrent use.
type Inbound struct {
	c       *call
	req     *sipmsg.Request
	tx      sipmsg.ServerTransaction
	offer   sdpMedia
	late    bool // the INVITE had no SDP: our 200 offers, the ACK answers
	headers []Header

	// final is closed once the INVITE has its final response (or the call
	// ended); the goroutine sipgo gave the INVITE waits for it, because
	// sipgo terminates an unanswered transaction when its handler returns.
	final     chan struct{}
	finalOnce sync.Once
	ack       chan struct{}
	ackOnce   sync.Once
	ackSDP    []byte        // the ACK's body, the answer to a late offer
	answered  chan struct{} // closed when the ACK confirmed the answer
	answerErr error         // why the call ended before the ACK, set by awaitAck before it ends the call

	mu        sync.Mutex
	ringing   bool
	early     bool
	finalSent bool
}

// onInvite turns a new INVITE into an Inbound and holds the transaction
// until the owner answers or refuses it.
func (p *Profile) onInvite(req *sipmsg.Request, tx sipmsg.ServerTransaction) {
	if tag, ok := req.To().Params.Get("tag"); ok && tag != "" {
		p.onReinvite(req, tx, tag)
		return
	}
	refuse := func(code int, phrase string, cause hangup.Cause) {
		res := sipmsg.NewResponseFromRequest(req, code, phrase, nil)
		res.AppendHeader(sipmsg.NewHeader("Reason", cause.Reason()))
		if err := tx.Respond(res); err != nil {
			p.log.Debug("refusing INVITE", "error", err)
		}
	}
	if p.cfg.OnInvite == nil {
		refuse(480, "Temporarily Unavailable", hangup.NormalClearing)
		return
	}
	if p.gateInvite(req, tx) {
		return // an injected fault (gate.go)
	}
	if err := tx.Respond(sipmsg.NewResponseFromRequest(req, 100, "Trying", nil)); err != nil {
		p.log.Debug("sending 100 Trying", "error", err)
		return
	}
	if !p.holdInvite(tx) {
		return
	}
	// An INVITE without SDP is a late offer: we offer in the 200 and the
	// answer comes in the ACK. An offer we cannot meet is refused as
	// FreeSWITCH does.
	var (
		offer sdpMedia
		codec media.Codec
		late  = len(req.Body()) == 0
	)
	if !late {
		var err error
		if offer, err = parseSDP(req.Body()); err != nil {
			p.log.Debug("refusing INVITE: bad sdp", "call_id", req.CallID().Value(), "error", err)
			refuse(488, "Not Acceptable Here", hangup.IncompatibleDestination)
			return
		}
		var ok bool
		if codec, ok = pickCodec(offer.codecs, p.codecs); !ok {
			refuse(488, "Not Acceptable Here", hangup.IncompatibleDestination)
			return
		}
	}

	c := newCall(p, false, req.CallID().Value(), sipmsg.GenerateTagN(12))
	c.remoteTag, _ = req.From().Params.Get("tag")
	c.remote = req.From().Address
	c.local = req.To().Address
	c.target = req.From().Address
	if ct := req.Contact(); ct != nil {
		c.target = ct.Address
	}
	for _, h := range req.GetHeaders("Record-Route") {
		if rr, ok := h.(*sipmsg.RecordRouteHeader); ok {
			c.routes = append(c.routes, rr.Address)
		}
	}
	c.transport = req.Transport()
	c.cseq = uint32(randomID()%30000) + 1
	c.codec = codec
	c.sessID = randomID()
	c.remoteSDP = offer.raw
	in := &Inbound{
		c:        c,
		req:      req,
		tx:       tx,
		late:     late,
		offer:    offer,
		headers:  xHeaders(req),
		final:    make(chan struct{}),
		ack:      make(chan struct{}),
		answered: make(chan struct{}),
	}
	if err := p.register(c, in, nil); err != nil {
		refuse(503, "Service Unavailable", hangup.SystemShutdown)
		return
	}
	if !tx.OnCancel(hookTx(c, in.onCancel)) {
		// Cancelled before we could listen: the transaction answered 487.
		in.onCancel(req)
	}
	p.cfg.OnInvite(in)
	select {
	case <-in.final:
	case <-tx.Done():
		// The transaction died without a final response (transport error).
		c.finish(End{Cause: hangup.NormalTemporaryFailure, Disposition: DispRecvCancel})
	}
}

// onReinvite answers a re-INVITE (session refresh, hold) in a known dialog
// with the current SDP; media stays as it is.
func (p *Profile) onReinvite(req *sipmsg.Request, tx sipmsg.ServerTransaction, tag string) {
	c := p.lookup(req.CallID().Value(), tag)
	if c == nil || c.sess == nil {
		if err := tx.Respond(sipmsg.NewResponseFromRequest(req, 481, "Call/Transaction Does Not Exist", nil)); err != nil {
			p.log.Debug("answering stray re-INVITE", "error", err)
		}
		return
	}
	c.mu.Lock()
	codec := c.codec
	c.mu.Unlock()
	res := sipmsg.NewResponseFromRequest(req, 200, "OK", c.localSDP([]media.Codec{codec}))
	res.AppendHeader(p.contact(req.Transport(), req.To().Address.User))
	res.AppendHeader(sipmsg.NewHeader("Content-Type", "application/sdp"))
	if err := tx.Respond(res); err != nil {
		p.log.Debug("answering re-INVITE", "error", err)
	}
}

func (p *Profile) contact(transport, user string) *sipmsg.ContactHeader {
	ct := &sipmsg.ContactHeader{Address: sipmsg.Uri{Scheme: "sip", User: user, Host: p.host, Port: p.port}}
	if transport == "TCP" {
		ct.Address.UriParams = sipmsg.NewParams()
		ct.Address.UriParams.Add("transport", "tcp")
	}
	return ct
}

// onCancel runs inside sipgo's transaction (which answers 200 to the CANCEL
// and 487 to the INVITE): the leg ends ORIGINATOR_CANCEL whatever the
// CANCEL's Reason says (fixture 03).
func (in *Inbound) onCancel(r *sipmsg.Request) {
	in.c.finish(End{Cause: hangup.OriginatorCancel, Disposition: DispRecvCancel, TermStatus: 487,
		FailureStatus: 487, FailurePhrase: "CANCEL", Reason: headerValue(r, "Reason")})
	in.finalOnce.Do(func() { close(in.final) })
}

func (in *Inbound) acked(sdp []byte) {
	in.ackOnce.Do(func() {
		in.ackSDP = sdp
		close(in.ack)
	})
}

// respond sends a response to the INVITE with our To tag (and Contact on
// dialog-creating responses).
func (in *Inbound) respond(code int, phrase string, sdp []byte, extra ...sipmsg.Header) (*sipmsg.Response, error) {
	res := sipmsg.NewResponseFromRequest(in.req, code, phrase, sdp)
	res.To().Params.Add("tag", in.c.localTag)
	if code > 100 && code < 300 {
		res.AppendHeader(in.c.p.contact(in.c.transport, in.req.Recipient.User))
	}
	res.AppendHeader(sipmsg.NewHeader("User-Agent", in.c.p.cfg.UserAgent))
	res.AppendHeader(sipmsg.NewHeader("Allow", allowHeader))
	for _, h := range extra {
		res.AppendHeader(h)
	}
	if len(sdp) > 0 {
		res.AppendHeader(sipmsg.NewHeader("Content-Type", "application/sdp"))
	}
	if err := in.tx.Respond(res); err != nil {
		return res, fmt.Errorf("sending %d: %w", code, err)
	}
	return res, nil
}

// CallID is the SIP Call-ID.
func (in *Inbound) CallID() string { return in.c.callID }

// FromUser is the caller's number (Caller-Caller-ID-Number).
func (in *Inbound) FromUser() string { return in.req.From().Address.User }

// FromName is the From display name (Caller-Caller-ID-Name).
func (in *Inbound) FromName() string { return unquoteDisplayName(in.req.From().DisplayName) }

// ToUser is the To header's user.
func (in *Inbound) ToUser() string { return in.req.To().Address.User }

// RequestUser is the Request-URI's user (Caller-Destination-Number).
func (in *Inbound) RequestUser() string { return in.req.Recipient.User }

// RemoteAddr is the host:port the INVITE came from (sip_network_ip/port).
func (in *Inbound) RemoteAddr() string {
	if s := in.req.Source(); s != "" {
		return s
	}
	return net.JoinHostPort(in.req.Via().Host, strconv.Itoa(in.req.Via().Port))
}

// Transport is "udp" or "tcp".
func (in *Inbound) Transport() string {
	if in.c.transport == "TCP" {
		return "tcp"
	}
	return "udp"
}

// Headers are the INVITE's headers that FreeSWITCH turns into sip_h_*
// variables (esl-reference 3.8): names starting X-, P-, K-, On, and
// User-to-User, name as received, in order. A repeated name appears
// repeatedly (FreeSWITCH names the repeats sip_h_<name>-1, -2, ...).
func (in *Inbound) Headers() []Header { return in.headers }

// Events delivers EventRinging, EventEarlyMedia, EventAnswered as they are
// sent and one EventHangup (CANCEL or BYE received, or a local end), then is
// closed.
func (in *Inbound) Events() <-chan Event { return in.c.events }

// Done is closed when the call has ended.
func (in *Inbound) Done() <-chan struct{} { return in.c.done }

// Media is the call's RTP session, nil until PreAnswer or Answer.
func (in *Inbound) Media() *media.Session {
	in.c.mu.Lock()
	defer in.c.mu.Unlock()
	return in.c.sess
}

// Codec is the negotiated codec (known from the offer on).
func (in *Inbound) Codec() media.Codec {
	in.c.mu.Lock()
	defer in.c.mu.Unlock()
	return in.c.codec
}

// RemoteSDP is the caller's offer (switch_r_sdp).
func (in *Inbound) RemoteSDP() string { return in.c.RemoteSDP() }
