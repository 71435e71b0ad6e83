package sip

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/callplan/callplan/agent/media"
	"github.com/callplan/callplan/internal/hangup"
	"github.com/emiago/sipgo"
	sipmsg "github.com/emiago/sipgo/sip"
	"github.com/google/uuid"
)

// Offer describes an outbound call, as the sofia part of a dial string and
// its channel variables do.
type Offer struct {
	// Target is "user@host[:port]" with an optional "sip:" prefix and
	// ";transport=udp|tcp" parameter: the Request-URI, and where the INVITE
	// goes when Proxy is empty.
	Target string
	// Proxy is fs_path, "sip:host[:port][;transport=tcp]" (angle brackets
	// and URL encoding allowed): the INVITE goes there with a
	// `Route: <proxy;lr>` header while the Request-URI stays Target, as
	// FreeSWITCH does. Its transport wins over Target's.
	Proxy string
	// FromUser and FromName are origination_caller_id_number and _name
	// (From: "FromName" <sip:FromUser@profile-host>). Empty FromUser means
	// "0000000000" as FreeSWITCH uses.
	FromUser, FromName string
	// Headers are sent on the INVITE as given (sip_h_X-* variables).
	Headers []Header
	// Codecs is absolute_codec_string: offer exactly these, in this order
	// ("PCMU", "PCMA"). Empty means the profile's codecs.
	Codecs []string
	// CallID is the Call-ID to use; empty means a random one.
	CallID string
}

// DialError is a failure to even send the INVITE (bad target, no RTP port,
// profile closed). Cause is the FreeSWITCH cause originate reports for it.
type DialError struct {
	Cause hangup.Cause
	Err   error
}

func (e *DialError) Error() string { return fmt.Sprintf("dial: %s: %v", e.Cause, e.Err) }
func (e *DialError) Unwrap() error { return e.Err }

// Outbound is a call the profile placed. Its methods are safe for
// concurrent use.
type Outbound struct {
	c      *call
	invite *sipmsg.Request
	codecs []media.Codec
	dest   netip.AddrPort // where the INVITE went, when it is an IP literal

	// wake tells the pump that Hangup wants a CANCEL or the probe saw the
	// port refused; buffered so neither blocks.
	wake chan struct{}

	mu          sync.Mutex
	provisional bool         // a 1xx arrived: CANCEL is allowed (RFC 3261 9.1)
	cancelCause hangup.Cause // set by Hangup before the answer
	cancelSent  bool
	refused     bool // the probe saw ICMP port unreachable
	responded   bool // any response arrived: the probe's verdict no longer matters
	ack         *sipmsg.Request
}

// Dial sends an INVITE and returns at once; progress and the outcome arrive
// on the call's Events. A destination that refuses at once (TCP connect
// refused, ICMP port unreachable) or a final error response is an
// EventHangup with Disposition recv_refuse, not an error here: Dial returns
// an error (a *DialError) only when no INVITE could be sent. ctx bounds the
// sending (a TCP connect), not the call.
func (p *Profile) Dial(ctx context.Context, o Offer) (*Outbound, error) {
	target, err := parseSIPURI(o.Target)
	if err != nil || target.User == "" {
		if err == nil {
			err = fmt.Errorf("target %q has no user part", o.Target)
		}
		return nil, &DialError{Cause: hangup.InvalidURL, Err: err}
	}
	var proxy *sipmsg.Uri
	if o.Proxy != "" {
		u, err := parseSIPURI(o.Proxy)
		if err != nil {
			return nil, &DialError{Cause: hangup.InvalidURL, Err: err}
		}
		proxy = &u
	}
	if err := checkOffer(o); err != nil {
		return nil, &DialError{Cause: hangup.InvalidMsgUnspecified, Err: err}
	}
	codecs := p.codecs
	if len(o.Codecs) > 0 {
		if codecs, err = parseCodecs(o.Codecs); err != nil {
			return nil, &DialError{Cause: hangup.IncompatibleDestination, Err: err}
		}
	}
	transport := "UDP"
	next := target
	if proxy != nil {
		next = *proxy
	}
	if tp, ok := next.UriParams.Get("transport"); ok && tp != "" {
		transport = strings.ToUpper(tp)
	}
	if transport != "UDP" && transport != "TCP" {
		return nil, &DialError{Cause: hangup.InvalidURL, Err: fmt.Errorf("transport %q not supported", transport)}
	}
	sess, err := p.cfg.Media.Open(p.mediaIP)
	if err != nil {
		return nil, &DialError{Cause: hangup.DestinationOutOfOrder, Err: err}
	}

	callID := o.CallID
	if callID == "" {
		callID = uuid.NewString()
	}
	fromUser := o.FromUser
	if fromUser == "" {
		fromUser = "0000000000"
	}
	c := newCall(p, true, callID, sipmsg.GenerateTagN(12))
	c.sess = sess
	c.sessID = randomID()
	c.local = sipmsg.Uri{Scheme: "sip", User: fromUser, Host: p.host}
	c.localName = quoteDisplayName(o.FromName)
	c.remote = sipmsg.Uri{Scheme: "sip", User: target.User, Host: target.Host, Port: target.Port}
	c.target = target
	c.transport = transport
	c.cseq = uint32(randomID()%30000) + 1
	out := &Outbound{c: c, codecs: codecs, wake: make(chan struct{}, 1)}
	if ip, err := netip.ParseAddr(next.Host); err == nil {
		port := next.Port
		if port == 0 {
			port = 5060
		}
		out.dest = netip.AddrPortFrom(ip.Unmap(), uint16(port))
	}

	req := sipmsg.NewRequest(sipmsg.INVITE, target)
	from := &sipmsg.FromHeader{DisplayName: c.localName, Address: c.local}
	from.Params.Add("tag", c.localTag)
	req.AppendHeader(from)
	req.AppendHeader(&sipmsg.ToHeader{Address: c.remote})
	cid := sipmsg.CallIDHeader(callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sipmsg.CSeqHeader{SeqNo: c.cseq, MethodName: sipmsg.INVITE})
	maxfwd := sipmsg.MaxForwardsHeader(70)
	req.AppendHeader(&maxfwd)
	contact := &sipmsg.ContactHeader{Address: sipmsg.Uri{Scheme: "sip", User: fromUser, Host: p.host, Port: p.port}}
	if transport == "TCP" {
		contact.Address.UriParams = sipmsg.NewParams()
		contact.Address.UriParams.Add("transport", "tcp")
	}
	req.AppendHeader(contact)
	if proxy != nil {
		r := *proxy
		r.UriParams = r.UriParams.Clone()
		if r.UriParams == nil {
			r.UriParams = sipmsg.NewParams()
		}
		r.UriParams.Add("lr", "")
		req.AppendHeader(&sipmsg.RouteHeader{Address: r})
	}
	req.AppendHeader(sipmsg.NewHeader("Allow", allowHeader))
	for _, h := range o.Headers {
		req.AppendHeader(sipmsg.NewHeader(h.Name, h.Value))
	}
	req.AppendHeader(sipmsg.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(c.localSDP(codecs))
	req.SetTransport(transport)
	p.prepare(req)
	out.invite = req

	if err := p.register(c, nil, out); err != nil {
		_ = sess.Close()
		return nil, &DialError{Cause: hangup.SystemShutdown, Err: err}
	}
	tx, err := p.cli.TransactionRequest(ctx, req)
	if err != nil {
		// Nothing to talk to (TCP connect refused, no route): FreeSWITCH
		// makes up a 503 at once (fixture 03a).
		p.log.Debug("invite not sent", "call_id", callID, "error", err)
		c.finish(End{Cause: hangup.NormalTemporaryFailure, Disposition: DispRecvRefuse,
			FailureStatus: 503, FailurePhrase: "Service Unavailable"})
		return out, nil
	}
	tx.OnRetransmission(hookTx(c, func(*sipmsg.Response) { out.reAck() }))
	p.bg.Add(1)
	go out.pump(tx)
	if transport == "UDP" && out.dest.IsValid() {
		p.probe(out.dest, out.portRefused)
	}
	return out, nil
}

// CallID is the SIP Call-ID.
func (o *Outbound) CallID() string { return o.c.callID }

// Events delivers the call's progress in order; it is closed after the
// EventHangup. Every event kind appears at most once, and the channel is
// buffered for all of them, so a slow reader never stalls SIP.
func (o *Outbound) Events() <-chan Event { return o.c.events }

// Done is closed when the call has ended.
func (o *Outbound) Done() <-chan struct{} { return o.c.done }

// Media is the call's RTP session: bound from Dial on (its address is in
// the offer), receiving from early media or answer on, closed at hangup.
func (o *Outbound) Media() *media.Session { return o.c.sess }

// Codec is the negotiated codec, zero before early media or answer.
func (o *Outbound) Codec() media.Codec {
	o.c.mu.Lock()
	defer o.c.mu.Unlock()
	return o.c.codec
}

// RemoteSDP is the callee's session description from the 183 or 200
// (switch_r_sdp), "" before either.
func (o *Outbound) RemoteSDP() string { return o.c.RemoteSDP() }

// Hangup ends the call with cause: a BYE with a Q.850 Reason after the
// answer, a CANCEL with the Reason before it (FreeSWITCH's uuid_kill on a
// ringing leg; the 487 is absorbed). The EventHangup (send_bye or
// send_cancel) is delivered before Hangup returns; the SIP transaction
// finishes in the background. ErrEnded if the call already ended.
func (o *Outbound) Hangup(cause hangup.Cause) error {
	c := o.c
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return ErrEnded
	}
	answered := c.answered
	c.mu.Unlock()
	if answered {
		if !c.finish(End{Cause: cause, Disposition: DispSendBye}) {
			return ErrEnded
		}
		c.sendBye(cause)
		return nil
	}
	// The cause is noted before the leg ends so that a 200 crossing the
	// CANCEL is hung up with it.
	o.mu.Lock()
	o.cancelCause = cause
	o.mu.Unlock()
	if !c.finish(End{Cause: cause, Disposition: DispSendCancel, FailureStatus: 487, FailurePhrase: "CANCEL"}) {
		return ErrEnded
	}
	select {
	case o.wake <- struct{}{}:
	default:
	}
	return nil
}

// portRefused is the probe's report: ICMP port unreachable.
func (o *Outbound) portRefused() {
	o.mu.Lock()
	o.refused = true
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// pump follows the INVITE transaction until its final response (or its
// end), turning responses into events. It owns tx.
func (o *Outbound) pump(tx sipmsg.ClientTransaction) {
	p := o.c.p
	defer p.bg.Done()
	// After our CANCEL the INVITE should end with a 487; a peer that never
	// sends a final response would hold this goroutine forever (the INVITE
	// transaction has no timer once it got a provisional), so give up after
	// 64*T1 as RFC 3261 9.1 allows.
	var giveUp <-chan time.Time
	for {
		if giveUp == nil {
			o.mu.Lock()
			sent := o.cancelSent
			o.mu.Unlock()
			if sent {
				t := time.NewTimer(p.cancelWait)
				defer t.Stop()
				giveUp = t.C
			}
		}
		select {
		case <-giveUp:
			tx.Terminate()
			return
		case res := <-tx.Responses():
			if o.onResponse(res) {
				return
			}
		case <-tx.Done():
			o.onTxEnd(tx.Err())
			return
		case <-o.wake:
			if o.onWake(tx) {
				return
			}
		case <-p.ctx.Done():
			tx.Terminate()
			o.c.finish(End{Cause: hangup.SystemShutdown, Disposition: DispSendCancel})
			return
		}
	}
}

// onWake sends a pending CANCEL once a provisional response allows it, or
// ends the call when the probe saw the port refused before any response.
func (o *Outbound) onWake(tx sipmsg.ClientTransaction) (stop bool) {
	o.mu.Lock()
	refused := o.refused && !o.responded
	sendCancel := o.cancelCause != hangup.None && o.provisional && !o.cancelSent
	if sendCancel {
		o.cancelSent = true
	}
	cause := o.cancelCause
	o.mu.Unlock()
	if refused {
		tx.Terminate()
		o.c.finish(End{Cause: hangup.NormalTemporaryFailure, Disposition: DispRecvRefuse,
			FailureStatus: 503, FailurePhrase: "Service Unavailable"})
		return true
	}
	if sendCancel {
		o.sendCancel(cause)
	}
	return false
}

func (o *Outbound) onResponse(res *sipmsg.Response) (final bool) {
	c := o.c
	p := c.p
	p.markAlive(o.dest)
	code := res.StatusCode
	o.mu.Lock()
	o.responded = true
	if code < 200 {
		o.provisional = true
	}
	sendCancel := o.cancelCause != hangup.None && o.provisional && !o.cancelSent
	if sendCancel {
		o.cancelSent = true
	}
	cancelCause := o.cancelCause
	o.mu.Unlock()
	if sendCancel && code < 200 {
		o.sendCancel(cancelCause)
	}

	switch {
	case code < 200:
		o.onProvisional(res)
		return false
	case code < 300:
		o.onAnswer(res)
		return true
	default:
		if c.isEnded() {
			return true // the 487 to our CANCEL, or a late error
		}
		reason := headerValue(res, "Reason")
		cause, ok := hangup.ParseReason(reason)
		if !ok {
			cause = hangup.ForSIPStatus(code)
		}
		// A Q.850 Reason sets the cause, but FreeSWITCH does not show it as
		// sip_reason on a refused leg (esl-reference 3.9), so End.Reason
		// stays empty.
		c.finish(End{Cause: cause, Disposition: DispRecvRefuse, TermStatus: code,
			FailureStatus: code, FailurePhrase: res.Reason})
		return true
	}
}

// onProvisional turns a 1xx into EventTrying, EventRinging or
// EventEarlyMedia (starting media). It runs twice per response: from the
// profile's wire hook, in arrival order, and from the transaction pump;
// the event dedup makes the second run a no-op. The wire hook matters
// because sipgo hands each response to its transaction on a goroutine of its
// own, so a 200 sent right after a 180 can overtake it, and the transaction
// then drops the 180.
func (o *Outbound) onProvisional(res *sipmsg.Response) {
	c := o.c
	code := res.StatusCode
	if code == 100 {
		c.mu.Lock()
		c.emitLocked(Event{Kind: EventTrying, Status: code, Phrase: res.Reason})
		c.mu.Unlock()
		return
	}
	if tag, ok := res.To().Params.Get("tag"); ok {
		c.mu.Lock()
		c.remoteTag = tag
		c.mu.Unlock()
	}
	ev := Event{Kind: EventRinging, Status: code, Phrase: res.Reason, Headers: xHeaders(res)}
	if len(res.Body()) > 0 {
		m, codec, err := o.answerMedia(res.Body())
		if err != nil {
			c.p.log.Debug("ignoring early media sdp", "call_id", c.callID, "error", err)
		} else {
			c.mu.Lock()
			first := c.seen&(1<<uint(EventEarlyMedia)) == 0 && !c.ended
			c.mu.Unlock()
			if first {
				if err := c.startMedia(m, codec); err != nil {
					c.p.log.Debug("early media", "call_id", c.callID, "error", err)
				}
			}
			ev.Kind = EventEarlyMedia
		}
	}
	c.mu.Lock()
	// Ringing after early media is stale (a 180 retransmitted or reordered
	// behind the 183).
	if ev.Kind == EventEarlyMedia || c.seen&(1<<uint(EventEarlyMedia)) == 0 {
		c.emitLocked(ev)
	}
	c.mu.Unlock()
}

// answerMedia reads the peer's SDP answer and picks its first codec that
// we offered.
func (o *Outbound) answerMedia(body []byte) (sdpMedia, media.Codec, error) {
	m, err := parseSDP(body)
	if err != nil {
		return m, media.Codec{}, err
	}
	codec, ok := pickCodec(m.codecs, o.codecs)
	if !ok {
		return m, media.Codec{}, ErrNoCodec
	}
	return m, codec, nil
}

// onAnswer confirms the dialog: ACK at once, then media and the event. A
// call we already hung up (CANCEL crossed the 200) gets ACK then BYE.
func (o *Outbound) onAnswer(res *sipmsg.Response) {
	c := o.c
	c.mu.Lock()
	if tag, ok := res.To().Params.Get("tag"); ok {
		c.remoteTag = tag
	}
	if ct := res.Contact(); ct != nil {
		c.target = ct.Address
	}
	c.routes = c.routes[:0]
	rr := res.GetHeaders("Record-Route")
	for i := len(rr) - 1; i >= 0; i-- {
		if h, ok := rr[i].(*sipmsg.RecordRouteHeader); ok {
			c.routes = append(c.routes, h.Address)
		}
	}
	c.mu.Unlock()

	ack := o.buildAck()
	o.mu.Lock()
	o.ack = ack
	cause := o.cancelCause
	o.mu.Unlock()
	o.writeAck(ack)

	if cause != hangup.None || c.isEnded() {
		if cause == hangup.None {
			cause = hangup.NormalClearing
		}
		c.sendBye(cause)
		return
	}
	m, codec, err := o.answerMedia(res.Body())
	if err != nil {
		c.p.log.Debug("answer sdp unusable", "call_id", c.callID, "error", err)
		if c.finish(End{Cause: hangup.IncompatibleDestination, Disposition: DispSendBye}) {
			c.sendBye(hangup.IncompatibleDestination)
		}
		return
	}
	if err := c.startMedia(m, codec); err != nil {
		c.p.log.Debug("starting media", "call_id", c.callID, "error", err)
	}
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		c.sendBye(hangup.NormalClearing)
		return
	}
	c.answered = true
	c.emitLocked(Event{Kind: EventAnswered, Status: res.StatusCode, Phrase: res.Reason, Headers: xHeaders(res)})
	c.mu.Unlock()
}

// buildAck makes the ACK for a 2xx: a new transaction in the dialog with the
// INVITE's CSeq number (RFC 3261 13.2.2.4).
func (o *Outbound) buildAck() *sipmsg.Request {
	c := o.c
	c.mu.Lock()
	saved := c.cseq
	c.cseq = o.invite.CSeq().SeqNo - 1
	c.mu.Unlock()
	ack := c.newInDialog(sipmsg.ACK)
	c.mu.Lock()
	c.cseq = saved
	c.mu.Unlock()
	c.p.prepare(ack)
	ack.SetBody(nil)
	return ack
}

func (o *Outbound) writeAck(ack *sipmsg.Request) {
	if err := o.c.p.cli.WriteRequest(ack); err != nil {
		o.c.p.log.Debug("sending ACK", "call_id", o.c.callID, "error", err)
	}
}

// reAck answers a retransmitted 200 (our ACK was lost) with the same ACK.
func (o *Outbound) reAck() {
	o.mu.Lock()
	ack := o.ack
	o.mu.Unlock()
	if ack != nil {
		o.writeAck(ack.Clone())
	}
}

// onTxEnd handles an INVITE transaction that ended without a final
// response: Timer B (no answer at all: 408, RECOVERY_ON_TIMER_EXPIRE) or a
// transport error (503, NORMAL_TEMPORARY_FAILURE), as sofia reports them.
func (o *Outbound) onTxEnd(err error) {
	if errors.Is(err, sipmsg.ErrTransactionTimeout) {
		o.c.finish(End{Cause: hangup.RecoveryOnTimerExpire, Disposition: DispRecvRefuse,
			FailureStatus: 408, FailurePhrase: "Request Timeout"})
		return
	}
	o.c.finish(End{Cause: hangup.NormalTemporaryFailure, Disposition: DispRecvRefuse,
		FailureStatus: 503, FailurePhrase: "Service Unavailable"})
}

// sendCancel cancels the INVITE: same Request-URI, Call-ID, From, To, Route
// and top Via (branch) as the INVITE, CSeq method CANCEL (RFC 3261 9.1),
// plus FreeSWITCH's Reason.
func (o *Outbound) sendCancel(cause hangup.Cause) {
	inv := o.invite
	req := sipmsg.NewRequest(sipmsg.CANCEL, inv.Recipient)
	if v := inv.Via(); v != nil {
		req.AppendHeader(v.Clone())
	}
	for _, h := range inv.GetHeaders("Route") {
		req.AppendHeader(sipmsg.HeaderClone(h))
	}
	req.AppendHeader(sipmsg.HeaderClone(inv.From()))
	req.AppendHeader(sipmsg.HeaderClone(inv.To()))
	cid := sipmsg.CallIDHeader(inv.CallID().Value())
	req.AppendHeader(&cid)
	req.AppendHeader(&sipmsg.CSeqHeader{SeqNo: inv.CSeq().SeqNo, MethodName: sipmsg.CANCEL})
	maxfwd := sipmsg.MaxForwardsHeader(70)
	req.AppendHeader(&maxfwd)
	req.AppendHeader(sipmsg.NewHeader("Reason", cause.Reason()))
	req.SetTransport(inv.Transport())
	req.Laddr = inv.Laddr
	o.c.p.request(req, keepAsIs)
}

// checkOffer refuses values that would break the INVITE's framing: a CR or
// LF anywhere, a header name that is not an RFC 3261 token.
func checkOffer(o Offer) error {
	for _, v := range []string{o.FromUser, o.FromName, o.CallID} {
		if strings.ContainsAny(v, "\r\n") {
			return fmt.Errorf("value %q holds a line break", v)
		}
	}
	for _, h := range o.Headers {
		if h.Name == "" || strings.IndexFunc(h.Name, func(r rune) bool { return !isTokenChar(r) }) >= 0 {
			return fmt.Errorf("header name %q is not a token", h.Name)
		}
		if strings.ContainsAny(h.Value, "\r\n") {
			return fmt.Errorf("header %s: value holds a line break", h.Name)
		}
	}
	return nil
}

// isTokenChar reports whether r may appear in an RFC 3261 token.
func isTokenChar(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("-.!%*_+`'~", r)
}

// quoteDisplayName escapes a display name for a quoted-string (RFC 3261
// 25.1): backslash and double quote get a backslash.
func quoteDisplayName(s string) string {
	if !strings.ContainsAny(s, `"\`) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r == '"' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// unquoteDisplayName undoes quoteDisplayName on a received display name.
func unquoteDisplayName(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	escaped := false
	for _, r := range s {
		if r == '\\' && !escaped {
			escaped = true
			continue
		}
		escaped = false
		b.WriteRune(r)
	}
	return b.String()
}

// keepAsIs stops sipgo from completing a request we built whole (a CANCEL
// must reuse the INVITE's Via branch).
func keepAsIs(*sipgo.Client, *sipmsg.Request) error { return nil }

// parseSIPURI reads "user@host[:port][;params]" with or without "sip:",
// angle brackets or URL encoding (fs_path values are often encoded).
func parseSIPURI(s string) (sipmsg.Uri, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "%") {
		if dec, err := url.PathUnescape(s); err == nil {
			s = dec
		}
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
	if !strings.HasPrefix(strings.ToLower(s), "sip:") && !strings.HasPrefix(strings.ToLower(s), "sips:") {
		s = "sip:" + s
	}
	var u sipmsg.Uri
	if err := sipmsg.ParseUri(s, &u); err != nil {
		return u, fmt.Errorf("parsing sip uri %q: %w", s, err)
	}
	if u.Host == "" {
		return u, fmt.Errorf("parsing sip uri %q: no host", s)
	}
	return u, nil
}
