package sip

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/callplan/callplan/agent/media"
)

var errNotImplemented = errors.New("not implemented yet")

// Offer describes an outbound call, as the sofia part of a dial string and
// its channel variables do.
type Offer struct {
	// Target is "user@host[:port]" with an optional "sip:" prefix and
	// ";transport=udp|tcp" parameter: the Request-URI, and where the INVITE
	// goes when Proxy is empty.
	Target string
	// Proxy is fs_path, "sip:host[:port][;transport=tcp]": the INVITE goes
	// there with a `Route: <proxy;lr>` header while the Request-URI stays
	// Target, as FreeSWITCH does. Its transport wins over Target's.
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
	Cause string
	Err   error
}

func (e *DialError) Error() string { return fmt.Sprintf("dial: %s: %v", e.Cause, e.Err) }
func (e *DialError) Unwrap() error { return e.Err }

// Outbound is a call the profile placed. Its methods are safe for
// concurrent use.
type Outbound struct {
	mu sync.Mutex
}

// Dial sends an INVITE and returns at once; progress and the outcome arrive
// on the call's Events. A destination that refuses at once (TCP connect
// refused, ICMP port unreachable) or a final error response is an
// EventHangup with Disposition recv_refuse, not an error here: Dial returns
// an error (a *DialError) only when no INVITE could be sent. ctx bounds the
// sending (a TCP connect), not the call.
func (p *Profile) Dial(ctx context.Context, o Offer) (*Outbound, error) {
	return nil, &DialError{Cause: "DESTINATION_OUT_OF_ORDER", Err: errNotImplemented}
}

// CallID is the SIP Call-ID.
func (c *Outbound) CallID() string { return "" }

// Events delivers the call's progress in order; it is closed after the
// EventHangup. Every event kind appears at most once, and the channel is
// buffered for all of them, so a slow reader never stalls SIP.
func (c *Outbound) Events() <-chan Event { return nil }

// Done is closed when the call has ended.
func (c *Outbound) Done() <-chan struct{} { return nil }

// Media is the call's RTP session: bound from Dial on (its address is in
// the offer), receiving from early media or answer on, closed at hangup.
func (c *Outbound) Media() *media.Session { return nil }

// Codec is the negotiated codec, zero before early media or answer.
func (c *Outbound) Codec() media.Codec { return media.Codec{} }

// Hangup ends the call with cause: a BYE with a Q.850 Reason after the
// answer, a CANCEL with the Reason before it (FreeSWITCH's uuid_kill on a
// ringing leg; the 487 is absorbed). The EventHangup (send_bye or
// send_cancel) is delivered before Hangup returns; the SIP transaction
// finishes in the background. ErrEnded if the call already ended.
func (c *Outbound) Hangup(cause string) error { return errNotImplemented }
