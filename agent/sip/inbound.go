package sip

import (
	"context"

	"github.com/callplan/callplan/agent/media"
)

// Inbound is a call received by the profile. It starts unanswered and
// "parked": the owner decides with Ringing, PreAnswer, Answer, Reject or
// Hangup. Its methods are safe for concurrent use.
type Inbound struct{}

// CallID is the SIP Call-ID.
func (c *Inbound) CallID() string { return "" }

// FromUser and FromName are the caller (Caller-Caller-ID-Number / -Name).
func (c *Inbound) FromUser() string { return "" }

// FromName is the From display name.
func (c *Inbound) FromName() string { return "" }

// ToUser is the To header's user.
func (c *Inbound) ToUser() string { return "" }

// RequestUser is the Request-URI's user (Caller-Destination-Number).
func (c *Inbound) RequestUser() string { return "" }

// RemoteAddr is the host:port the INVITE came from (sip_network_ip/port).
func (c *Inbound) RemoteAddr() string { return "" }

// Transport is "udp" or "tcp".
func (c *Inbound) Transport() string { return "" }

// Headers are the INVITE's headers that FreeSWITCH turns into sip_h_*
// variables (esl-reference 3.8): names starting X-, P-, K-, On, and
// User-to-User, name as received, in order. A repeated name appears
// repeatedly (FreeSWITCH names the repeats sip_h_<name>-1, -2, ...).
func (c *Inbound) Headers() []Header { return nil }

// Events delivers EventRinging, EventEarlyMedia, EventAnswered as they are
// sent and one EventHangup (CANCEL or BYE received, or a local end), then is
// closed.
func (c *Inbound) Events() <-chan Event { return nil }

// Done is closed when the call has ended.
func (c *Inbound) Done() <-chan struct{} { return nil }

// Media is the call's RTP session, nil until PreAnswer or Answer.
func (c *Inbound) Media() *media.Session { return nil }

// Codec is the negotiated codec (known from the offer on).
func (c *Inbound) Codec() media.Codec { return media.Codec{} }

// Ringing sends 180 Ringing (uuid_ring_ready). A second call is a no-op.
func (c *Inbound) Ringing() error { return errNotImplemented }

// PreAnswer sends 183 Session Progress with SDP and starts media
// (uuid_pre_answer). A second call is a no-op.
func (c *Inbound) PreAnswer() error { return errNotImplemented }

// Answer sends 200 OK with SDP, starts media and returns once the ACK
// arrives (the 200 is retransmitted over UDP meanwhile). If no ACK comes
// within 32 s the call is hung up with a BYE, RECOVERY_ON_TIMER_EXPIRE. ctx
// bounds the wait only; the call stays answered if ctx ends first.
func (c *Inbound) Answer(ctx context.Context) error { return errNotImplemented }

// Reject refuses the unanswered call with a final response (respond <code>
// [reason]): phrase "" means the standard phrase, cause "" means
// CauseForStatus(code). The response carries a Q.850 Reason header. The leg
// ends with Disposition send_refuse.
func (c *Inbound) Reject(code int, phrase, cause string) error { return errNotImplemented }

// Hangup ends the call with cause: before the answer it refuses the INVITE
// with StatusForCause(cause) (uuid_kill <inbound> CALL_REJECTED → 603),
// after it sends a BYE with a Q.850 Reason. The EventHangup is delivered
// before Hangup returns. ErrEnded if the call already ended.
func (c *Inbound) Hangup(cause string) error { return errNotImplemented }
