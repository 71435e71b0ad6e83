package sip

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/callplan/callplan/agent/media"
	"github.com/callplan/callplan/internal/hangup"
	sipgo "github.com/emiago/sipgo/sip"
)

// Sentinel errors.
var (
	// ErrEnded is returned by a call method once the call has ended.
	ErrEnded = errors.New("call ended")
	// ErrState is returned when a method does not fit the call's state
	// (Ringing after Answer, Answer twice, ...).
	ErrState = errors.New("call in wrong state")
	// ErrClosed is returned by Dial after Profile.Close.
	ErrClosed = errors.New("sip profile closed")
	// ErrNoCodec means the two sides' codec lists have nothing in common.
	ErrNoCodec = errors.New("no common codec")
)

// Header is one SIP header, its name spelled as on the wire.
type Header struct {
	Name, Value string
}

// EventKind tells what happened to a call.
type EventKind int

// Event kinds, in the order a call can see them. Each appears at most once
// per call; EventHangup always comes last.
const (
	EventTrying     EventKind = iota + 1 // 100 Trying received (outbound)
	EventRinging                         // 180/181/182 without SDP sent or received
	EventEarlyMedia                      // 183 (or 1xx) with SDP sent or received; media started
	EventAnswered                        // 200 OK received and ACKed (outbound) or sent (inbound)
	EventHangup                          // the call ended; Event.End says how
)

func (k EventKind) String() string {
	switch k {
	case EventTrying:
		return "trying"
	case EventRinging:
		return "ringing"
	case EventEarlyMedia:
		return "early_media"
	case EventAnswered:
		return "answered"
	case EventHangup:
		return "hangup"
	}
	return "unknown"
}

// Event is one step of a call.
type Event struct {
	Kind    EventKind
	Status  int      // SIP status of the response behind the event (0 for EventHangup: see End)
	Phrase  string   // its reason phrase
	Headers []Header // X-/P- headers of that response (FreeSWITCH's sip_ph_/sip_rh_ variables)
	End     *End     // only on EventHangup
}

// Hangup dispositions, FreeSWITCH's sip_hangup_disposition values.
const (
	DispSendBye    = "send_bye"
	DispRecvBye    = "recv_bye"
	DispSendCancel = "send_cancel"
	DispRecvCancel = "recv_cancel"
	DispSendRefuse = "send_refuse" // we sent a final error to an inbound INVITE
	DispRecvRefuse = "recv_refuse" // our INVITE got a final error (or failed locally)
)

// End describes how a call ended, in FreeSWITCH's terms (esl-reference 3.9).
type End struct {
	Cause       hangup.Cause // hangup_cause, e.g. NORMAL_CLEARING, USER_BUSY
	Disposition string       // sip_hangup_disposition (Disp* constants)
	// TermStatus is sip_term_status: the status of the SIP message that
	// ended the call when we received it (200 for a BYE, 487 for a CANCEL,
	// the final code of a refused INVITE); 0 when we sent it.
	TermStatus int
	// FailureStatus and FailurePhrase are sip_invite_failure_status and
	// _phrase: the final error of an unanswered INVITE (487 "CANCEL" for
	// cancels); 0 and "" for answered calls.
	FailureStatus int
	FailurePhrase string
	// Reason is sip_reason: the Reason header received with the BYE or
	// CANCEL, "" if none. A Reason on a final error response sets Cause but
	// is not shown here, as FreeSWITCH does not show it.
	Reason string
	// Headers are the X-/P- headers received on the BYE (sip_bye_h_).
	Headers []Header
}

// call is the state both directions share: the dialog (RFC 3261 12), the
// event stream and the media session.
type call struct {
	p        *Profile
	outbound bool
	callID   string
	localTag string
	events   chan Event
	done     chan struct{}

	mu        sync.Mutex
	ended     bool
	answered  bool
	seen      uint8 // bit per EventKind already delivered
	sess      *media.Session
	codec     media.Codec
	remoteTag string
	local     sipgo.Uri // our From (outbound) / To (inbound) address
	localName string
	remote    sipgo.Uri // the peer's address
	target    sipgo.Uri // the peer's Contact: Request-URI of in-dialog requests
	routes    []sipgo.Uri
	cseq      uint32
	transport string // "UDP" or "TCP"
	sdpVer    uint64
	sessID    uint64
	remoteSDP string // the peer's last session description (switch_r_sdp)
	// detach runs when the call ends: it unhooks the callbacks that
	// outlive the call in sipgo's transactions (txhook.go).
	detach []func()
}

func newCall(p *Profile, outbound bool, callID, localTag string) *call {
	return &call{
		p:        p,
		outbound: outbound,
		callID:   callID,
		localTag: localTag,
		// Each kind appears at most once, so the buffer holds the whole
		// life of a call and a send never blocks.
		events: make(chan Event, 8),
		done:   make(chan struct{}),
	}
}

// hookTx wraps fn for a sipgo transaction callback that must not keep the
// call alive after it ends (txhook.go).
func hookTx[T any](c *call, fn func(T)) func(T) {
	h := newTxHook(fn)
	c.mu.Lock()
	ended := c.ended
	if !ended {
		c.detach = append(c.detach, h.detach)
	}
	c.mu.Unlock()
	if ended {
		h.detach()
	}
	return h.call
}

func (c *call) key() dialogKey { return dialogKey{callID: c.callID, tag: c.localTag} }

// emitLocked delivers ev once per kind. c.mu must be held.
func (c *call) emitLocked(ev Event) bool {
	bit := uint8(1) << uint(ev.Kind)
	if c.ended || c.seen&bit != 0 {
		return false
	}
	c.seen |= bit
	c.events <- ev
	return true
}

// finish ends the call once: forgets the dialog, releases the RTP port,
// then delivers EventHangup and closes the event stream. It reports whether
// this call did it. The port is released before the owner hears of the end,
// so a port freed by a hangup is free by the time EventHangup arrives (an
// owner at the edge of its RTP range may dial again at once).
func (c *call) finish(end End) bool {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return false
	}
	c.ended = true // from here emitLocked delivers nothing more
	sess := c.sess
	detach := c.detach
	c.detach = nil
	c.mu.Unlock()
	for _, d := range detach {
		d()
	}
	c.p.forget(c)
	if sess != nil {
		if err := sess.Close(); err != nil {
			c.p.log.Debug("closing rtp session", "call_id", c.callID, "error", err)
		}
	}
	c.mu.Lock()
	c.seen |= 1 << uint(EventHangup)
	c.events <- Event{Kind: EventHangup, End: &end}
	close(c.events)
	close(c.done)
	c.mu.Unlock()
	return true
}

func (c *call) isEnded() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ended
}

// RemoteSDP returns the peer's last session description.
func (c *call) RemoteSDP() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.remoteSDP
}

// startMedia points the RTP session at the peer's SDP and starts it.
func (c *call) startMedia(m sdpMedia, codec media.Codec) error {
	c.mu.Lock()
	sess := c.sess
	c.codec = codec
	if m.raw != "" {
		c.remoteSDP = m.raw
	}
	c.mu.Unlock()
	if sess == nil {
		return nil
	}
	if m.dtmf {
		// Send events with the peer's payload type (rtp_2833_send_payload),
		// accept ours (rtp_2833_recv_payload) and the peer's.
		sess.SetTelephoneEvent(m.dtmfPT, media.TelephoneEvent)
	}
	if err := sess.Start(m.addr, codec); err != nil {
		return fmt.Errorf("starting rtp: %w", err)
	}
	return nil
}

// localSDP is our description for the current session: the given codecs
// and telephone-event.
func (c *call) localSDP(codecs []media.Codec) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sdpVer++
	la := c.sess.LocalAddr()
	return buildSDP(c.p.mediaIP, la.Port(), c.sessID, c.sdpVer, codecs, true)
}

// newInDialog builds a request inside the dialog (BYE): Request-URI is the
// peer's Contact, Route the route set, tags and CSeq from the dialog.
func (c *call) newInDialog(method sipgo.RequestMethod) *sipgo.Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	req := sipgo.NewRequest(method, c.target)
	from := &sipgo.FromHeader{DisplayName: c.localName, Address: c.local}
	from.Params.Add("tag", c.localTag)
	to := &sipgo.ToHeader{Address: c.remote}
	if c.remoteTag != "" {
		to.Params.Add("tag", c.remoteTag)
	}
	callID := sipgo.CallIDHeader(c.callID)
	c.cseq++
	req.AppendHeader(from)
	req.AppendHeader(to)
	req.AppendHeader(&callID)
	req.AppendHeader(&sipgo.CSeqHeader{SeqNo: c.cseq, MethodName: method})
	maxfwd := sipgo.MaxForwardsHeader(70)
	req.AppendHeader(&maxfwd)
	for _, r := range c.routes {
		req.AppendHeader(&sipgo.RouteHeader{Address: r})
	}
	req.SetTransport(c.transport)
	return req
}

// sendBye sends a BYE carrying cause in a Reason header. The transaction
// runs in the background, owned by the profile.
func (c *call) sendBye(cause hangup.Cause) {
	req := c.newInDialog(sipgo.BYE)
	req.AppendHeader(sipgo.NewHeader("Reason", cause.Reason()))
	c.p.request(req)
}

// xHeaders picks the headers FreeSWITCH stores as sip_h_* variables
// (esl-reference 3.8).
func xHeaders(m sipgo.Message) []Header {
	var out []Header
	for _, h := range headersOf(m) {
		n := h.Name()
		if len(n) >= 2 && (strings.EqualFold(n[:2], "X-") || strings.EqualFold(n[:2], "P-") ||
			strings.EqualFold(n[:2], "K-") || strings.EqualFold(n[:2], "On")) ||
			strings.EqualFold(n, "User-to-User") {
			out = append(out, Header{Name: n, Value: h.Value()})
		}
	}
	return out
}

func headersOf(m sipgo.Message) []sipgo.Header {
	switch m := m.(type) {
	case *sipgo.Request:
		return m.Headers()
	case *sipgo.Response:
		return m.Headers()
	}
	return nil
}

func headerValue(m sipgo.Message, name string) string {
	if hs := m.GetHeaders(name); len(hs) > 0 {
		return hs[0].Value()
	}
	return ""
}
