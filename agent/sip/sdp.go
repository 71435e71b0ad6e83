package sip

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"

	"github.com/callplan/callplan/agent/media"
)

// sdpMedia is what the agent needs from a session description: where the
// peer's audio goes and which codecs it lists, in its order.
type sdpMedia struct {
	addr   netip.AddrPort
	codecs []media.Codec // known codecs only, in m= line order
	dtmf   bool          // telephone-event listed
	dtmfPT uint8         // its payload type, what RFC 4733 events are sent with
	raw    string        // the body as received
}

// maxSDP bounds what parseSDP reads; a real audio offer is a few hundred
// bytes.
const maxSDP = 16 << 10

// parseSDP reads the first audio m= line of an SDP body (RFC 4566) with its
// connection address (media-level c= wins over session-level). Payload types
// map to codecs by rtpmap name, or by static number without rtpmap.
func parseSDP(body []byte) (sdpMedia, error) {
	if len(body) > maxSDP {
		return sdpMedia{}, fmt.Errorf("parsing sdp: body of %d bytes is too large", len(body))
	}
	var (
		sessConn, mediaConn string
		port                = -1
		pts                 []string
		rtpmap              = map[string]string{}
		inAudio, seenAudio  bool
	)
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimRight(line, "\r")
		if len(line) < 2 || line[1] != '=' {
			continue
		}
		k, v := line[0], line[2:]
		switch k {
		case 'm':
			inAudio = false
			if seenAudio {
				continue
			}
			f := strings.Fields(v)
			if len(f) < 3 || f[0] != "audio" {
				continue
			}
			p, err := strconv.Atoi(strings.SplitN(f[1], "/", 2)[0])
			if err != nil || p < 0 || p > 65535 {
				return sdpMedia{}, fmt.Errorf("parsing sdp: bad audio port %q", f[1])
			}
			port, pts, inAudio, seenAudio = p, f[3:], true, true
		case 'c':
			f := strings.Fields(v)
			if len(f) < 3 || f[0] != "IN" {
				continue
			}
			addr := strings.SplitN(f[2], "/", 2)[0]
			if inAudio {
				mediaConn = addr
			} else if !seenAudio {
				sessConn = addr
			}
		case 'a':
			if !inAudio {
				continue
			}
			if rest, ok := strings.CutPrefix(v, "rtpmap:"); ok {
				pt, enc, ok := strings.Cut(rest, " ")
				if ok {
					rtpmap[pt] = strings.TrimSpace(enc)
				}
			}
		}
	}
	if !seenAudio {
		return sdpMedia{}, fmt.Errorf("parsing sdp: no audio m= line")
	}
	conn := mediaConn
	if conn == "" {
		conn = sessConn
	}
	ip, err := netip.ParseAddr(conn)
	if err != nil {
		return sdpMedia{}, fmt.Errorf("parsing sdp: connection address %q: %w", conn, err)
	}
	m := sdpMedia{addr: netip.AddrPortFrom(ip.Unmap(), uint16(port)), raw: string(body)}
	for _, pt := range pts {
		if enc, ok := rtpmap[pt]; ok {
			name, _, _ := strings.Cut(enc, "/")
			if strings.EqualFold(name, "telephone-event") {
				if n, err := strconv.Atoi(pt); err == nil && n >= 0 && n <= 127 && !m.dtmf {
					m.dtmf, m.dtmfPT = true, uint8(n)
				}
				continue
			}
			if c, ok := media.CodecByName(name); ok {
				n, err := strconv.Atoi(pt)
				if err != nil || n < 0 || n > 127 {
					continue
				}
				c.PayloadType = uint8(n)
				m.codecs = append(m.codecs, c)
			}
			continue
		}
		n, err := strconv.Atoi(pt)
		if err != nil || n < 0 || n > 127 {
			continue
		}
		if c, ok := media.CodecByPayloadType(uint8(n)); ok {
			m.codecs = append(m.codecs, c)
		}
	}
	return m, nil
}

// buildSDP writes an offer or answer listing codecs (in order) and, when
// dtmf is set, telephone-event 101. version is the o= line's session
// version (RFC 3264 5: it grows when the description changes).
// teText is media.TelephoneEvent in decimal.
var teText = strconv.Itoa(int(media.TelephoneEvent))

func buildSDP(ip netip.Addr, port uint16, sessID, version uint64, codecs []media.Codec, dtmf bool) []byte {
	// Appended by hand rather than through fmt: every leg builds one (the
	// offer or the answer), and fmt's boxing of each figure was 17
	// allocations a loop call; now one, the body.
	ipv := "IP4"
	if ip.Is6() && !ip.Is4In6() {
		ipv = "IP6"
	}
	b := make([]byte, 0, 256)
	b = append(b, "v=0\r\no=callplan "...)
	b = strconv.AppendUint(b, sessID, 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, version, 10)
	b = append(b, " IN "...)
	b = append(b, ipv...)
	b = append(b, ' ')
	b = ip.AppendTo(b)
	b = append(b, "\r\ns=callplan\r\nc=IN "...)
	b = append(b, ipv...)
	b = append(b, ' ')
	b = ip.AppendTo(b)
	b = append(b, "\r\nt=0 0\r\nm=audio "...)
	b = strconv.AppendUint(b, uint64(port), 10)
	b = append(b, " RTP/AVP"...)
	for _, c := range codecs {
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(c.PayloadType), 10)
	}
	if dtmf {
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(media.TelephoneEvent), 10)
	}
	b = append(b, "\r\n"...)
	for _, c := range codecs {
		b = append(b, "a=rtpmap:"...)
		b = strconv.AppendUint(b, uint64(c.PayloadType), 10)
		b = append(b, ' ')
		b = append(b, c.Name...)
		b = append(b, '/')
		b = strconv.AppendInt(b, int64(c.ClockRate), 10)
		b = append(b, "\r\n"...)
	}
	if dtmf {
		b = append(b, "a=rtpmap:"...)
		b = append(b, teText...)
		b = append(b, " telephone-event/8000\r\na=fmtp:"...)
		b = append(b, teText...)
		b = append(b, " 0-16\r\n"...)
	}
	return append(b, "a=ptime:20\r\na=sendrecv\r\n"...)
}

// pickCodec is the answerer's choice: the first codec of the offer, in the
// offer's order, that allowed also lists (FreeSWITCH's default "generous"
// inbound negotiation). The offer's payload type is kept.
func pickCodec(offer, allowed []media.Codec) (media.Codec, bool) {
	for _, o := range offer {
		for _, a := range allowed {
			if strings.EqualFold(o.Name, a.Name) {
				return o, true
			}
		}
	}
	return media.Codec{}, false
}

// parseCodecs turns a codec list (absolute_codec_string) into codecs,
// dropping unknown names and duplicates.
func parseCodecs(names []string) ([]media.Codec, error) {
	var out []media.Codec
	for _, n := range names {
		c, ok := media.CodecByName(n)
		if !ok {
			continue
		}
		dup := false
		for _, o := range out {
			dup = dup || o.Name == c.Name
		}
		if !dup {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("codecs %q: %w", strings.Join(names, ","), ErrNoCodec)
	}
	return out, nil
}

// randomID returns a number for SDP o= lines.
func randomID() uint64 { return rand.Uint64() >> 1 }
