package sip

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"github.com/callplan/callplan/agent/media"
	"github.com/callplan/callplan/internal/hangup"
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
