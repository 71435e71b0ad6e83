package sip

import "errors"

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
	EventAnswered                        // 200 OK with SDP sent or received and ACK sent/received
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
	Cause       string // hangup_cause, e.g. NORMAL_CLEARING, USER_BUSY
	Disposition string // sip_hangup_disposition (Disp* constants)
	// TermStatus is sip_term_status: the status of the SIP message that
	// ended the call when we received it (200 for a BYE, 487 for a CANCEL,
	// the final code of a refused INVITE); 0 when we sent it.
	TermStatus int
	// FailureStatus and FailurePhrase are sip_invite_failure_status and
	// _phrase: the final error of an unanswered INVITE (487 "CANCEL" for
	// cancels); 0 and "" for answered calls.
	FailureStatus int
	FailurePhrase string
	// Reason is sip_reason: the Reason header received with the BYE, CANCEL
	// or error response, "" if none.
	Reason string
	// Headers are the X-/P- headers received on the BYE (sip_bye_h_).
	Headers []Header
}
