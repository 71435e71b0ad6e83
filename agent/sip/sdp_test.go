package sip

import (
	"bytes"
	"fmt"
	"net/netip"
	"testing"

	"github.com/callplan/callplan/agent/media"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSDP(t *testing.T) {
	t.Parallel()
	pcmu97 := media.PCMU
	pcmu97.PayloadType = 97
	tests := []struct {
		name string
		body string
		want sdpMedia
		err  bool
	}{
		{
			name: "freeswitch offer",
			body: "v=0\r\no=FreeSWITCH 1 2 IN IP4 127.0.0.1\r\ns=FreeSWITCH\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
				"m=audio 24680 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\n",
			want: sdpMedia{addr: netip.MustParseAddrPort("127.0.0.1:24680"), codecs: []media.Codec{media.PCMU, media.PCMA}, dtmf: true, dtmfPT: 101},
		},
		{
			name: "telephone-event on another payload type",
			body: "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 4000 RTP/AVP 0 96\r\na=rtpmap:96 telephone-event/8000\r\n",
			want: sdpMedia{addr: netip.MustParseAddrPort("127.0.0.1:4000"), codecs: []media.Codec{media.PCMU}, dtmf: true, dtmfPT: 96},
		},
		{
			name: "sipp style, no rtpmap, media-level c= wins, LF only",
			body: "v=0\no=user1 1 1 IN IP4 10.0.0.1\ns=-\nc=IN IP4 10.0.0.1\nt=0 0\nm=audio 6000 RTP/AVP 8 18 0\nc=IN IP4 127.0.0.2\n",
			want: sdpMedia{addr: netip.MustParseAddrPort("127.0.0.2:6000"), codecs: []media.Codec{media.PCMA, media.PCMU}},
		},
		{
			name: "dynamic payload type by rtpmap, video ignored",
			body: "v=0\r\nc=IN IP6 ::1\r\nm=video 5000 RTP/AVP 96\r\nm=audio 5002 RTP/AVP 97\r\na=rtpmap:97 pcmu/8000\r\n",
			want: sdpMedia{addr: netip.MustParseAddrPort("[::1]:5002"), codecs: []media.Codec{pcmu97}},
		},
		{name: "no audio", body: "v=0\r\nc=IN IP4 1.2.3.4\r\nm=video 5000 RTP/AVP 96\r\n", err: true},
		{name: "no address", body: "v=0\r\nm=audio 5000 RTP/AVP 0\r\n", err: true},
		{name: "bad port", body: "v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 99999 RTP/AVP 0\r\n", err: true},
		{name: "empty", body: "", err: true},
	}
	for _, tt := range tests {
		got, err := parseSDP([]byte(tt.body))
		if tt.err {
			assert.Errorf(t, err, "parseSDP(%s)", tt.name)
			continue
		}
		require.NoErrorf(t, err, "parseSDP(%s)", tt.name)
		assert.Equalf(t, tt.body, got.raw, "parseSDP(%s) keeps the body", tt.name)
		got.raw = ""
		assert.Equalf(t, tt.want, got, "parseSDP(%s)", tt.name)
	}
}

func TestBuildSDPRoundTrip(t *testing.T) {
	t.Parallel()
	body := buildSDP(netip.MustParseAddr("127.0.0.1"), 30000, 1, 2, []media.Codec{media.PCMA, media.PCMU}, true)
	got, err := parseSDP(body)
	require.NoError(t, err)
	got.raw = ""
	assert.Equal(t, sdpMedia{addr: netip.MustParseAddrPort("127.0.0.1:30000"), codecs: []media.Codec{media.PCMA, media.PCMU}, dtmf: true, dtmfPT: 101}, got)
	assert.Contains(t, string(body), "m=audio 30000 RTP/AVP 8 0 101\r\n")
}

func TestPickCodec(t *testing.T) {
	t.Parallel()
	u, a := media.PCMU, media.PCMA
	tests := []struct {
		offer, allowed []media.Codec
		want           string
		ok             bool
	}{
		{[]media.Codec{a, u}, []media.Codec{u, a}, "PCMA", true},
		{[]media.Codec{u, a}, []media.Codec{a}, "PCMA", true},
		{[]media.Codec{u}, []media.Codec{a}, "", false},
		{nil, []media.Codec{a}, "", false},
	}
	for _, tt := range tests {
		got, ok := pickCodec(tt.offer, tt.allowed)
		assert.Equal(t, tt.ok, ok)
		assert.Equal(t, tt.want, got.Name)
	}
}

func FuzzParseSDP(f *testing.F) {
	f.Add([]byte("v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"))
	f.Add([]byte("m=audio 1 RTP/AVP 97\nc=IN IP6 ::1\na=rtpmap:97 PCMA/8000/1\n"))
	f.Add([]byte("c=IN IP4 1.1.1.1/127\nm=audio 0/2 RTP/AVP x\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := parseSDP(body)
		if err != nil {
			return
		}
		if !m.addr.IsValid() {
			t.Fatalf("parseSDP(%q) accepted without an address", body)
		}
		// Whatever parses must survive a rebuild and parse to the same media.
		again, err := parseSDP(buildSDP(m.addr.Addr(), m.addr.Port(), 1, 1, m.codecs, m.dtmf))
		if err != nil {
			t.Fatalf("rebuilt sdp of %q does not parse: %v", body, err)
		}
		if again.addr != m.addr || len(again.codecs) != len(m.codecs) || again.dtmf != m.dtmf {
			t.Fatalf("round trip of %q: %+v != %+v", body, again, m)
		}
	})
}

// buildSDPFmt is buildSDP as it was written with fmt, kept as the oracle of
// the hand-appended version.
func buildSDPFmt(ip netip.Addr, port uint16, sessID, version uint64, codecs []media.Codec, dtmf bool) []byte {
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

func TestBuildSDPMatchesFmt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ip      string
		port    uint16
		id, ver uint64
		codecs  []media.Codec
		dtmf    bool
	}{
		{"127.0.0.1", 30000, 1, 2, []media.Codec{media.PCMA, media.PCMU}, true},
		{"10.1.2.3", 65534, 18446744073709551615, 0, []media.Codec{media.PCMU}, false},
		{"::1", 16384, 42, 43, []media.Codec{media.PCMU, media.PCMA}, true},
		{"fe80::1%eth0", 2, 7, 7, nil, true},
		{"::ffff:192.0.2.1", 20000, 9, 10, []media.Codec{media.PCMA}, false},
	}
	for _, tt := range tests {
		ip := netip.MustParseAddr(tt.ip)
		want := buildSDPFmt(ip, tt.port, tt.id, tt.ver, tt.codecs, tt.dtmf)
		assert.Equal(t, string(want), string(buildSDP(ip, tt.port, tt.id, tt.ver, tt.codecs, tt.dtmf)), tt.ip)
	}
}
