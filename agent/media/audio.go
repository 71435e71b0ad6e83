package media

import "github.com/pion/rtp"

// Source is what a leg sends while a media app runs on it: a tone_stream,
// a file, silence, bert_test's milliwatt pattern, the echo of what arrives.
// The session's send scheduler calls Read once per 20 ms tick, always from
// the same goroutine, with a frame of FrameSamples linear 16-bit samples at
// 8 kHz to fill; the session encodes it with the leg's codec. Read returns
// false when the source has ended (the playback finished); the frame is then
// not sent. A leg with no source sends nothing, as a parked FreeSWITCH leg
// does (../shared/fixtures/rtp/park-then-echo.pcap).
type Source interface {
	Read(frame []int16) bool
}

// RawSource is a Source that can also give the encoded payload directly, for
// patterns defined on the wire rather than as audio: mod_bert sends the µ-law
// digital milliwatt bytes 1e 0b 0b 1e 9e 8b 8b 9e (mod_bert.c), which must go
// out unchanged on a PCMU leg. When the leg's codec is the one ReadRaw
// encodes for, the scheduler calls ReadRaw instead of Read.
type RawSource interface {
	Source
	// ReadRaw fills payload (one frame of codec c) and reports whether it
	// did; false with ok=true means "not for this codec, call Read".
	ReadRaw(c Codec, payload []byte) (filled, ok bool)
}

// Sink sees what a leg receives: one decoded 20 ms audio frame per received
// audio packet (telephone-event packets excluded), in arrival order, called
// from the session's receiver (receiver_linux.go), which serves many
// sessions: it must not block; frame is only valid during the call. Recorders, the BERT checker and tone detectors are
// sinks. h is the packet's RTP header (sequence and timestamp, for gaps).
type Sink interface {
	Write(h *rtp.Header, frame []int16)
}
