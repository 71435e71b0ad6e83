// Package sip owns the agent's SIP user agent, shaped like one FreeSWITCH
// sofia profile: a Profile listens on one address over UDP and TCP (the same
// port), places calls (Dial → *Outbound) and hands incoming INVITEs to its
// owner (Config.OnInvite → *Inbound). It is built on github.com/emiago/sipgo's
// transport and transaction layers; dialogs (tags, CSeq, route set, ACK, 2xx
// retransmission, BYE, CANCEL) are kept here so the behaviour matches
// FreeSWITCH's (docs/agent-sip.md has the details and the goroutines a
// call costs).
//
// What a caller sees of a call is FreeSWITCH's model, not the RFC's:
//
//   - Progress arrives in order on Events(): EventTrying (100),
//     EventRinging (180/181/182 without SDP, once), EventEarlyMedia (183 or
//     any 1xx with SDP, once; media starts), EventAnswered (200 received
//     and ACKed, or 200 sent), and exactly one EventHangup,
//     whichever side ended the call, after which the channel is closed.
//     EventHangup carries an End with FreeSWITCH's hangup variables (cause,
//     sip_hangup_disposition, sip_term_status, sip_invite_failure_status,
//     sip_reason, received BYE headers).
//   - Causes, not status codes, cross the API: Hangup(cause) sends a BYE
//     with `Reason: Q.850;cause=N;text="CAUSE"` after the answer, a CANCEL
//     with the same Reason before it (outbound), or the error response
//     Cause.SIPStatus gives, with the Reason (inbound; Reject, the respond
//     app, sends none). A received final error maps through a
//     Q.850 Reason header if present, else hangup.ForSIPStatus; a received
//     CANCEL always ends the leg ORIGINATOR_CANCEL; a received BYE ends it
//     with its Q.850 Reason's cause, else NORMAL_CLEARING. The table is in
//     internal/hangup and docs/agent-sip.md.
//   - Nothing listening: a TCP connect refused, or an ICMP port unreachable
//     for a UDP INVITE (seen on a connected probe socket, see probe.go), ends
//     the call at once with a locally made 503, NORMAL_TEMPORARY_FAILURE, as
//     FreeSWITCH does (fixture 03a).
//   - Media: each call gets one media.Session from Config.Media when its SDP
//     is built; it starts receiving on early media or answer, sends nothing
//     unless asked (a parked leg), and is closed when the call ends.
//   - SDP offers PCMU (0), PCMA (8) and telephone-event (101) in the order
//     of Offer.Codecs (absolute_codec_string); an answer picks the first
//     codec of the offer that the answerer also allows. An INVITE without
//     SDP (late offer) gets the offer in the 200 and the answer from the ACK.
package sip
