package pcapfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Datagram is one captured UDP datagram.
type Datagram struct {
	Time             time.Time
	SrcPort, DstPort uint16
	Payload          []byte
}

// Link types this reader understands (pcap LINKTYPE_* values).
const (
	linkEthernet = 1
	linkLinuxSLL = 113
)

// ErrFormat is returned for a file that is not a capture this reader knows.
var ErrFormat = errors.New("not a supported pcap file")

// ReadUDP returns every IPv4 UDP datagram of the capture at path, in
// capture order. Frames of other protocols are skipped.
func ReadUDP(path string) ([]Datagram, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading capture: %w", err)
	}
	return ParseUDP(b)
}

// ParseUDP is ReadUDP on the capture's bytes.
func ParseUDP(b []byte) ([]Datagram, error) {
	if len(b) < 24 {
		return nil, fmt.Errorf("%w: short header", ErrFormat)
	}
	var bo binary.ByteOrder
	nanos := false
	switch binary.LittleEndian.Uint32(b) {
	case 0xa1b2c3d4:
		bo = binary.LittleEndian
	case 0xa1b23c4d:
		bo, nanos = binary.LittleEndian, true
	default:
		switch binary.BigEndian.Uint32(b) {
		case 0xa1b2c3d4:
			bo = binary.BigEndian
		case 0xa1b23c4d:
			bo, nanos = binary.BigEndian, true
		default:
			return nil, fmt.Errorf("%w: magic %x", ErrFormat, b[:4])
		}
	}
	link := bo.Uint32(b[20:24])
	if link != linkEthernet && link != linkLinuxSLL {
		return nil, fmt.Errorf("%w: link type %d", ErrFormat, link)
	}
	var out []Datagram
	for off := 24; off < len(b); {
		if len(b)-off < 16 {
			return out, fmt.Errorf("record header at %d: %w", off, io.ErrUnexpectedEOF)
		}
		sec, frac := bo.Uint32(b[off:]), bo.Uint32(b[off+4:])
		incl := int(bo.Uint32(b[off+8:]))
		off += 16
		if incl < 0 || len(b)-off < incl {
			return out, fmt.Errorf("record at %d: %w", off, io.ErrUnexpectedEOF)
		}
		frame := b[off : off+incl]
		off += incl
		ns := int64(frac) * 1000
		if nanos {
			ns = int64(frac)
		}
		if d, ok := udp(frame, link); ok {
			d.Time = time.Unix(int64(sec), ns)
			out = append(out, d)
		}
	}
	return out, nil
}

// udp digs an IPv4 UDP datagram out of one link-layer frame.
func udp(frame []byte, link uint32) (Datagram, bool) {
	var ip []byte
	switch link {
	case linkEthernet:
		if len(frame) < 14 || binary.BigEndian.Uint16(frame[12:]) != 0x0800 {
			return Datagram{}, false
		}
		ip = frame[14:]
	case linkLinuxSLL:
		if len(frame) < 16 || binary.BigEndian.Uint16(frame[14:]) != 0x0800 {
			return Datagram{}, false
		}
		ip = frame[16:]
	}
	if len(ip) < 20 || ip[0]>>4 != 4 || ip[9] != 17 {
		return Datagram{}, false
	}
	ihl := int(ip[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(ip[2:]))
	if total > len(ip) || ihl+8 > total {
		return Datagram{}, false
	}
	u := ip[ihl:total]
	ulen := int(binary.BigEndian.Uint16(u[4:]))
	if ulen < 8 || ulen > len(u) {
		return Datagram{}, false
	}
	return Datagram{
		SrcPort: binary.BigEndian.Uint16(u[0:]),
		DstPort: binary.BigEndian.Uint16(u[2:]),
		Payload: u[8:ulen],
	}, true
}
