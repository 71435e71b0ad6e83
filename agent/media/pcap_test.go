package media

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/stretchr/testify/require"
)

// capturedPacket is one RTP packet of a FreeSWITCH capture in testdata/rtp.
type capturedPacket struct {
	at       time.Duration // since the capture's first packet
	src, dst uint16        // UDP ports
	rtp.Packet
}

// readCapture reads the RTP packets (UDP, not port 5080's SIP) of a
// classic pcap file with encoding/binary: link types Ethernet (1), Linux
// cooked (113) and null/loopback (0).
func readCapture(t *testing.T, name string) []capturedPacket {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "rtp", name))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(b), 24, "pcap header")
	var order binary.ByteOrder = binary.LittleEndian
	switch binary.LittleEndian.Uint32(b) {
	case 0xa1b2c3d4:
	case 0xd4c3b2a1:
		order = binary.BigEndian
	default:
		t.Fatalf("%s: not a microsecond pcap file", name)
	}
	linkHeader := map[uint32]int{0: 4, 1: 14, 113: 16}[order.Uint32(b[20:])]
	require.NotZero(t, linkHeader, "%s: link type", name)
	var out []capturedPacket
	var first time.Time
	for off := 24; off+16 <= len(b); {
		sec, usec, incl := order.Uint32(b[off:]), order.Uint32(b[off+4:]), int(order.Uint32(b[off+8:]))
		require.LessOrEqual(t, off+16+incl, len(b), "%s: truncated record", name)
		frame := b[off+16 : off+16+incl]
		off += 16 + incl
		at := time.Unix(int64(sec), int64(usec)*1000)
		if first.IsZero() {
			first = at
		}
		ip := frame[linkHeader:]
		if len(ip) < 20 || ip[0]>>4 != 4 || ip[9] != 17 {
			continue // IPv4 UDP only
		}
		udp := ip[int(ip[0]&0xf)*4:]
		src, dst := binary.BigEndian.Uint16(udp), binary.BigEndian.Uint16(udp[2:])
		if src == 5080 || dst == 5080 {
			continue // SIP
		}
		var p rtp.Packet
		if err := p.Unmarshal(append([]byte(nil), udp[8:]...)); err != nil {
			continue
		}
		out = append(out, capturedPacket{at: at.Sub(first), src: src, dst: dst, Packet: p})
	}
	return out
}

// streams splits a capture's packets by source port, in capture order.
func streams(pkts []capturedPacket) map[uint16][]capturedPacket {
	out := map[uint16][]capturedPacket{}
	for _, p := range pkts {
		out[p.src] = append(out[p.src], p)
	}
	return out
}
