// Package media owns the agent's RTP layer: the RTP port range (Ports) and one
// call's RTP socket (Session).
//
// It behaves like a FreeSWITCH media endpoint on a parked leg: a Session is
// bound when the SIP layer needs a local port for its SDP, starts receiving
// when early media or the answer happens, counts what arrives (packets,
// bytes, sequence gaps, DTMF events) and sends nothing unless something asks
// it to: SetEcho reflects received packets (the echo app), Write sends one
// frame of the negotiated codec (playback, BERT, tones in the next issue),
// WritePacket sends any payload type (RFC 2833 events), and a tap set with
// SetTap sees every received packet (record, DTMF detection, BERT).
//
// Only G.711 is spoken: PCMU (payload type 0), PCMA (8), plus
// telephone-event (101) for DTMF. One frame is 20 ms: 160 bytes, 160 samples.
package media
