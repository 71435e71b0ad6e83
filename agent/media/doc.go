// Package media owns the agent's RTP layer: the RTP port range (Ports), one
// call's RTP socket (Session) and the send scheduler that paces every
// session's outgoing audio.
//
// It behaves like a FreeSWITCH media endpoint: a Session is bound when the
// SIP layer needs a local port for its SDP, starts receiving when early
// media or the answer happens, counts what arrives (packets, bytes,
// sequence gaps, DTMF events) and sends nothing unless an app gives it a
// Source (audio.go): SetSource makes the scheduler read one 20 ms frame
// per tick and send it, encoded with the negotiated codec, and the returned
// Play tells the app when the source ended, was replaced or the leg closed.
// Sinks added with AddSink see every received audio frame decoded (record,
// BERT check, tone detection). SetEcho reflects received packets (the echo
// app), WritePacket sends any payload type (RFC 2833 events), and a tap set
// with SetTap sees every received packet.
//
// On Linux the sockets are bare descriptors outside Go's network poller:
// one receiver goroutine per CPU reads its share of them through an epoll
// set (receiver_linux.go), and each wheel slot's packets leave in one
// io_uring submission (sendbatch_linux.go), since a call leg's socket has
// one packet per 20 ms and system calls, not UDP, were the cost at a
// thousand calls (docs/performance.md).
//
// Only G.711 is spoken: PCMU (payload type 0), PCMA (8), plus
// telephone-event (101) for DTMF. One frame is 20 ms: 160 bytes, 160 samples.
package media
