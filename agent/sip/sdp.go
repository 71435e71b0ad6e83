package sip

import (
	"bytes"
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
func buildSDP(ip netip.Addr, port uint16, sessID, version uint64, codecs []media.Codec, dtmf bool) []byte {
	var b bytes.Buffer
	ipv := "IP4"
	if ip.Is6() && !ip.Is4In6() {
		ipv = "IP6"
	}
	fmt.Fprintf(&b, "v=0\r\no=callplan %d %d IN %s %s\r\ns=callplan\r\nc=IN %s %s\r\nt=0 0\r\nm=audio %d RTP/AVP", sessID, version, ipv, ip, ipv, ip, port)
	for _, c := range codecs {
		fmt.Fprintf(&b, " %d", c.PayloadType)
	}
	if dtmf {
		fmt.Fprintf(&b, " %d", media.TelephoneEvent)
	}
	b.WriteString("\r\n")
	for _, c := range codecs {
		fmt.Fprintf(&b, "a=rtpmap:%d %s/%d\r\n", c.PayloadType, c.Name, c.ClockRate)
	}
	if dtmf {
		fmt.Fprintf(&b, "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\n", media.TelephoneEvent, media.TelephoneEvent)
	}
	b.WriteString("a=ptime:20\r\na=sendrecv\r\n")
	return b.Bytes()
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
