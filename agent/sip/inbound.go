package sip

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

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

// Ringing sends 180 Ringing (uuid_ring_ready). A second call is a no-op.
func (in *Inbound) Ringing() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if err := in.checkUnansweredLocked(); err != nil {
		return err
	}
	if in.ringing || in.early {
		return nil
	}
	in.ringing = true
	res, err := in.respond(180, "Ringing", nil)
	if err != nil {
		return err
	}
	in.c.mu.Lock()
	in.c.emitLocked(Event{Kind: EventRinging, Status: res.StatusCode, Phrase: res.Reason})
	in.c.mu.Unlock()
	return nil
}

func (in *Inbound) checkUnansweredLocked() error {
	if in.c.isEnded() {
		return ErrEnded
	}
	if in.finalSent {
		return ErrState
	}
	return nil
}

// openMedia binds and starts the RTP session (once) toward the offer.
func (in *Inbound) openMedia() error {
	c := in.c
	c.mu.Lock()
	if c.sess != nil {
		c.mu.Unlock()
		return nil
	}
	c.mu.Unlock()
	sess, err := c.p.cfg.Media.Open(c.p.mediaIP)
	if err != nil {
		return fmt.Errorf("opening media: %w", err)
	}
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		_ = sess.Close()
		return ErrEnded
	}
	c.sess = sess
	codec := c.codec
	c.mu.Unlock()
	if in.late {
		return nil // started when the ACK brings the answer
	}
	return c.startMedia(in.offer, codec)
}

// PreAnswer sends 183 Session Progress with SDP and starts media
// (uuid_pre_answer). A second call is a no-op. A late offer cannot be
// pre-answered (that needs PRACK): ErrState.
func (in *Inbound) PreAnswer() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if err := in.checkUnansweredLocked(); err != nil {
		return err
	}
	if in.early {
		return nil
	}
	if in.late {
		// Early media would need an offer in the 183 and an answer in a
		// PRACK (RFC 3262), which the profile does not do.
		return fmt.Errorf("pre-answer of a call without an sdp offer: %w", ErrState)
	}
	if err := in.openMedia(); err != nil {
		return err
	}
	in.early = true
	res, err := in.respond(183, "Session Progress", in.c.localSDP([]media.Codec{in.Codec()}))
	if err != nil {
		return err
	}
	in.c.mu.Lock()
	in.c.emitLocked(Event{Kind: EventEarlyMedia, Status: res.StatusCode, Phrase: res.Reason})
	in.c.mu.Unlock()
	return nil
}

// Answer sends 200 OK with SDP, starts media, delivers EventAnswered (the
// 200 is the answer, as for FreeSWITCH's CHANNEL_ANSWER) and returns once
// the ACK arrives (the 200 is retransmitted over UDP meanwhile), or nil as
// well if the peer hangs up before its ACK is seen. For a late offer
// (INVITE without SDP) the 200 offers the profile's codecs and media starts
// from the answer in the ACK; an ACK without a usable answer hangs up with
// INCOMPATIBLE_DESTINATION. If no ACK comes
// within 32 s the call is hung up with a BYE, RECOVERY_ON_TIMER_EXPIRE. ctx
// bounds the wait only; the call stays answered if ctx ends first.
func (in *Inbound) Answer(ctx context.Context) error {
	in.mu.Lock()
	if err := in.checkUnansweredLocked(); err != nil {
		in.mu.Unlock()
		return err
	}
	if err := in.openMedia(); err != nil {
		in.mu.Unlock()
		return err
	}
	in.finalSent = true
	c := in.c
	c.mu.Lock()
	c.answered = true
	c.mu.Unlock()
	codecs := []media.Codec{in.Codec()}
	if in.late {
		codecs = c.p.codecs
	}
	res, err := in.respond(200, "OK", c.localSDP(codecs))
	in.mu.Unlock()
	in.finalOnce.Do(func() { close(in.final) })
	if err != nil {
		if c.finish(End{Cause: hangup.NormalTemporaryFailure, Disposition: DispSendBye}) {
			c.sendBye(hangup.NormalTemporaryFailure)
		}
		return err
	}
	// Answered when the 200 goes out, as FreeSWITCH fires CHANNEL_ANSWER:
	// a BYE that overtakes the ACK then ends an answered call.
	c.mu.Lock()
	c.emitLocked(Event{Kind: EventAnswered, Status: res.StatusCode, Phrase: res.Reason})
	c.mu.Unlock()
	c.p.bg.Add(1)
	go in.awaitAck(res)
	select {
	case <-in.answered:
		return nil
	case <-c.done:
		// Ended before the ACK: by the peer (a BYE racing the ACK: still a
		// good answer), or by awaitAck, which says why.
		return in.answerErr
	case <-ctx.Done():
		return fmt.Errorf("waiting for ACK: %w", ctx.Err())
	}
}

// awaitAck retransmits the 200 over UDP (T1 doubling up to T2, RFC 3261
// 13.3.1.4) until the ACK, and gives up after 64*T1 with a BYE.
func (in *Inbound) awaitAck(res *sipmsg.Response) {
	c := in.c
	defer c.p.bg.Done()
	interval := sipmsg.T1
	resend := time.NewTimer(interval)
	defer resend.Stop()
	giveUp := time.NewTimer(64 * sipmsg.T1)
	defer giveUp.Stop()
	for {
		select {
		case <-in.ack:
			if in.late && !in.lateAnswer() {
				return
			}
			close(in.answered)
			return
		case <-c.done:
			return
		case <-c.p.ctx.Done():
			return
		case <-resend.C:
			if c.transport == "UDP" {
				if err := in.tx.Respond(res); err != nil {
					c.p.log.Debug("retransmitting 200", "call_id", c.callID, "error", err)
				}
			}
			interval = min(2*interval, sipmsg.T2)
			resend.Reset(interval)
		case <-giveUp.C:
			in.answerErr = fmt.Errorf("no ACK within %s: %w", 64*sipmsg.T1, ErrEnded)
			if c.finish(End{Cause: hangup.RecoveryOnTimerExpire, Disposition: DispSendBye}) {
				c.sendBye(hangup.RecoveryOnTimerExpire)
			}
			return
		}
	}
}

// lateAnswer starts media from the SDP answer carried by the ACK of a late
// offer; without a usable answer the call is hung up
// INCOMPATIBLE_DESTINATION.
func (in *Inbound) lateAnswer() bool {
	c := in.c
	m, err := parseSDP(in.ackSDP)
	codec, ok := media.Codec{}, false
	if err == nil {
		codec, ok = pickCodec(m.codecs, c.p.codecs)
	}
	if !ok {
		c.p.log.Debug("late offer: no usable answer in the ACK", "call_id", c.callID, "error", err)
		in.answerErr = fmt.Errorf("late offer: no usable answer in the ACK: %w", ErrNoCodec)
		if c.finish(End{Cause: hangup.IncompatibleDestination, Disposition: DispSendBye}) {
			c.sendBye(hangup.IncompatibleDestination)
		}
		return false
	}
	if err := c.startMedia(m, codec); err != nil {
		c.p.log.Debug("late offer: starting media", "call_id", c.callID, "error", err)
	}
	return true
}

// Reject refuses the unanswered call with a final response (respond <code>
// [reason]): phrase "" means the standard phrase, cause hangup.None means
// hangup.ForSIPStatus(code). Like FreeSWITCH's respond app it sends no Reason
// header, so the caller's cause comes from the code. The leg ends with
// Disposition send_refuse.
func (in *Inbound) Reject(code int, phrase string, cause hangup.Cause) error {
	return in.refuse(code, phrase, cause, false)
}

// refuse sends the final error response. FreeSWITCH's respond app sends it
// bare; a hangup of the unanswered leg (uuid_kill) adds the Q.850 Reason.
func (in *Inbound) refuse(code int, phrase string, cause hangup.Cause, withReason bool) error {
	if code < 300 || code > 699 {
		return fmt.Errorf("rejecting with %d: want a code from 300 to 699", code)
	}
	if phrase == "" {
		phrase = StatusPhrase(code)
	}
	if cause == hangup.None {
		cause = hangup.ForSIPStatus(code)
	}
	in.mu.Lock()
	if err := in.checkUnansweredLocked(); err != nil {
		in.mu.Unlock()
		return err
	}
	in.finalSent = true
	var extra []sipmsg.Header
	if withReason {
		extra = append(extra, sipmsg.NewHeader("Reason", cause.Reason()))
	}
	_, err := in.respond(code, phrase, nil, extra...)
	in.mu.Unlock()
	in.c.finish(End{Cause: cause, Disposition: DispSendRefuse})
	in.finalOnce.Do(func() { close(in.final) })
	return err
}

// Hangup ends the call with cause: before the answer it refuses the INVITE
// with cause.SIPStatus() and a Q.850 Reason (uuid_kill <inbound>
// CALL_REJECTED → 603), after it sends a BYE with the Reason. The EventHangup is delivered
// before Hangup returns. ErrEnded if the call already ended.
func (in *Inbound) Hangup(cause hangup.Cause) error {
	c := in.c
	c.mu.Lock()
	ended, answered := c.ended, c.answered
	c.mu.Unlock()
	if ended {
		return ErrEnded
	}
	if !answered {
		err := in.refuse(cause.SIPStatus(), "", cause, true)
		if err == ErrState {
			// Answer won the race: fall through to BYE.
			return in.Hangup(cause)
		}
		return err
	}
	if !c.finish(End{Cause: cause, Disposition: DispSendBye}) {
		return ErrEnded
	}
	c.sendBye(cause)
	return nil
}

// StatusPhrase is the RFC 3261 reason phrase of a status code, as
// respond sends it and sip_invite_failure_phrase shows it; the agent's
// channel model uses the same table.
func StatusPhrase(code int) string {
	switch code {
	case 100:
		return "Trying"
	case 180:
		return "Ringing"
	case 181:
		return "Call Is Being Forwarded"
	case 182:
		return "Queued"
	case 183:
		return "Session Progress"
	case 200:
		return "OK"
	case 400:
		return "Bad Request"
	case 401:
		return "Unauthorized"
	case 403:
		return "Forbidden"
	case 404:
		return "Not Found"
	case 405:
		return "Method Not Allowed"
	case 408:
		return "Request Timeout"
	case 410:
		return "Gone"
	case 480:
		return "Temporarily Unavailable"
	case 481:
		return "Call/Transaction Does Not Exist"
	case 483:
		return "Too Many Hops"
	case 484:
		return "Address Incomplete"
	case 486:
		return "Busy Here"
	case 487:
		return "Request Terminated"
	case 488:
		return "Not Acceptable Here"
	case 500:
		return "Server Internal Error"
	case 501:
		return "Not Implemented"
	case 502:
		return "Bad Gateway"
	case 503:
		return "Service Unavailable"
	case 504:
		return "Server Time-out"
	case 600:
		return "Busy Everywhere"
	case 603:
		return "Decline"
	case 604:
		return "Does Not Exist Anywhere"
	case 606:
		return "Not Acceptable"
	}
	switch {
	case code < 400:
		return "Redirection"
	case code < 500:
		return "Client Error"
	case code < 600:
		return "Server Error"
	}
	return "Global Failure"
}
