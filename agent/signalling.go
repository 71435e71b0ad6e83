package agent

import (
	"context"

	"github.com/callplan/callplan/agent/media"
	"github.com/callplan/callplan/internal/hangup"
)

// This file holds the narrow interfaces the channel model needs from SIP
// signalling (consumer-defined, so the model is tested with a fake and runs
// on agent/sip in production). Channel code never sees SIP messages, only
// these calls and callbacks.

// signalling places outbound calls. Inbound calls arrive through
// Agent.handleInvite, which the signalling adapter calls.
type signalling interface {
	// Dial sends an INVITE for req and returns at once; progress and the
	// final outcome are reported to ev. An error means the INVITE could not
	// be sent at all.
	Dial(ctx context.Context, req dialRequest, ev legEvents) (sipLeg, error)
}

// dialRequest is what an outbound leg needs to build its INVITE.
type dialRequest struct {
	UUID           string
	User           string // Request-URI user
	Host           string // Request-URI host[:port]
	Proxy          string // next hop host[:port] (fs_path); empty = Host
	Transport      string // "udp" or "tcp"
	CallerIDName   string
	CallerIDNumber string
	Headers        []header // extra headers (from sip_h_* variables), name as written
	Codecs         []string // offered codecs in order (PCMU, PCMA)
}

// sipLeg is the signalling half of one channel: the actions the channel
// model takes. Methods must be safe to call once the leg has ended (they
// then fail or do nothing).
type sipLeg interface {
	// Ring sends 180 Ringing on an inbound leg.
	Ring() error
	// PreAnswer sends 183 with SDP on an inbound leg.
	PreAnswer() error
	// Answer sends 200 OK with SDP on an inbound leg.
	Answer() error
	// Reject refuses an unanswered inbound leg with a final response.
	Reject(code int, phrase string, cause hangup.Cause) error
	// Hangup ends the leg with cause as FreeSWITCH does for its state: BYE
	// after the answer, CANCEL for an unanswered outbound leg, the error
	// response for the cause on an unanswered inbound leg.
	Hangup(cause hangup.Cause) error
	// Media describes the leg's RTP session once negotiated.
	Media() mediaInfo
	// Info describes the dialog for channel variables.
	Info() legInfo
}

// legEvents is how signalling reports what the peer did. Implementations
// (the channel) never block the caller.
type legEvents interface {
	// Ringing: 180 received on an outbound leg.
	Ringing()
	// EarlyMedia: 183 with SDP received on an outbound leg.
	EarlyMedia()
	// Answered: 200 received on an outbound leg.
	Answered()
	// Ended: the leg is over. For an end the peer caused (BYE, CANCEL, a
	// final error to our INVITE, nothing listening) it carries the cause;
	// after a local Hangup/Reject it only confirms the SIP detail.
	Ended(end legEnd)
}

// legEnd is how a leg ended, in FreeSWITCH's variables (3.9).
type legEnd struct {
	Cause       hangup.Cause
	Disposition string // sip_hangup_disposition
	TermStatus  int    // sip_term_status, 0 = absent
	FailStatus  int    // sip_invite_failure_status, 0 = absent
	FailPhrase  string // sip_invite_failure_phrase
	Reason      string // sip_reason received
}

// mediaInfo is the negotiated RTP session of a leg.
type mediaInfo struct {
	LocalIP    string
	LocalPort  int
	RemoteIP   string
	RemotePort int
	Codec      string // PCMU or PCMA; empty until negotiated
	PT         int
	LocalSDP   string
	RemoteSDP  string
	Stats      media.Stats // the RTP figures for the end-of-call variables
}

// legInfo describes a leg's dialog for channel variables.
type legInfo struct {
	CallID    string
	FromUser  string
	FromHost  string
	FromTag   string
	ToUser    string
	ToHost    string
	ToTag     string
	ReqUser   string
	ReqHost   string
	ReqPort   string
	NetworkIP string // where the INVITE came from / went to
	NetPort   string
	Transport string
	UserAgent string
	Headers   []header // received X-/P- headers, name as received
}

// inboundInvite is a new INVITE handed to the agent by signalling.
type inboundInvite interface {
	sipLeg
	// Bind tells the leg where to report the peer's actions.
	Bind(ev legEvents)
}
