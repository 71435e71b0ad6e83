package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Digit is one DTMF digit to send or one received. Duration is in samples
// at 8 kHz, as FreeSWITCH counts it (DTMF-Duration, fixture 07: a 250 ms
// digit arrives as 2080). For sending, the digits 'w' and 'W' are pauses of
// 500 ms and 1 s (switch_rtp.c set_dtmf_delay).
type Digit struct {
	Digit    byte
	Duration uint32
	Inband   bool // heard in the audio (start_dtmf), not sent as RFC 4733
}

// FreeSWITCH's DTMF durations in samples (switch_core.c defaults, the
// min/max/default_dtmf_duration settings of switch.conf.xml).
const (
	DefaultDTMFDuration = 2000   // 250 ms
	MinDTMFDuration     = 400    // 50 ms
	MaxDTMFDuration     = 192000 // 24 s
	maxDTMFString       = 99     // switch_core_session_send_dtmf_string refuses longer strings
)

// ErrDTMFString is returned by ParseDTMF for a string FreeSWITCH refuses.
var ErrDTMFString = errors.New("invalid dtmf string")

// ParseDTMF reads a digit string as FreeSWITCH's
// switch_core_session_send_dtmf_string does (uuid_send_dtmf, send_dtmf):
// groups separated by '+', each with an optional "@<ms>" that applies to
// every digit of its group (only when longer than the 50 ms minimum;
// otherwise the default 250 ms stays); digits 0-9 * # A-D (a-d too) and F
// (flash); 'w'/'W' pauses; a leading '~' is ignored; other characters are
// skipped. The empty string, a string of more than 99 characters, and one
// without a single digit are errors, as FreeSWITCH answers them with
// "-ERR Operation failed".
func ParseDTMF(s string) ([]Digit, error) {
	s = strings.TrimPrefix(s, "~")
	if s == "" || len(s) > maxDTMFString {
		return nil, fmt.Errorf("parsing dtmf %q: %w", s, ErrDTMFString)
	}
	var out []Digit
	for _, group := range strings.Split(s, "+") {
		dur := uint32(DefaultDTMFDuration)
		if digits, ms, ok := strings.Cut(group, "@"); ok {
			group = digits
			// atoi: leading digits only, anything after ignored.
			if n := atoiPrefix(ms); n > MinDTMFDuration/8 {
				dur = uint32(min(n*8, MaxDTMFDuration))
			}
		}
		for i := 0; i < len(group); i++ {
			c := group[i]
			if !isDTMF(c) {
				continue
			}
			if c >= 'a' && c <= 'd' || c == 'f' {
				c -= 'a' - 'A'
			}
			out = append(out, Digit{Digit: c, Duration: dur})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("parsing dtmf %q: no digit: %w", s, ErrDTMFString)
	}
	return out, nil
}

// LastDTMFDuration is the last_dtmf_duration variable FreeSWITCH sets after
// sending digits: the sum over the digits (pauses too) of their duration
// plus a 250 ms pause, in milliseconds (fixture 07: "1234#" gives 2500).
func LastDTMFDuration(digits []Digit) int {
	total := 0
	for _, d := range digits {
		total += int(d.Duration) + DefaultDTMFDuration
	}
	return total / 8
}

func atoiPrefix(s string) int {
	s = strings.TrimSpace(s)
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(s[:end])
	if err != nil {
		return 0
	}
	return n
}

// isDTMF is FreeSWITCH's is_dtmf(): the digits, A-D, F (flash) in either
// case, and the pauses w/W.
func isDTMF(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'D' || c >= 'a' && c <= 'd' ||
		c == '*' || c == '#' || c == 'F' || c == 'f' || c == 'w' || c == 'W'
}

// EventCode is the RFC 4733 event of a DTMF digit: 0-9, * = 10, # = 11,
// A-D = 12-15, F (flash) = 16.
func EventCode(d byte) (uint8, bool) {
	switch {
	case d >= '0' && d <= '9':
		return d - '0', true
	case d == '*':
		return 10, true
	case d == '#':
		return 11, true
	case d >= 'A' && d <= 'D':
		return 12 + d - 'A', true
	case d >= 'a' && d <= 'd':
		return 12 + d - 'a', true
	case d == 'F' || d == 'f':
		return 16, true
	}
	return 0, false
}

// EventDigit is the digit of an RFC 4733 event code (the inverse of
// EventCode).
func EventDigit(code uint8) (byte, bool) {
	const digits = "0123456789*#ABCDF"
	if int(code) < len(digits) {
		return digits[code], true
	}
	return 0, false
}

// TelephoneEventPayload is the 4-byte RFC 4733 payload:
// event | E R volume(6) | duration(16).
type TelephoneEventPayload struct {
	Event    uint8
	End      bool
	Volume   uint8 // 0-63, as -dBm0; FreeSWITCH sends 13
	Duration uint16
}

// ErrShortEvent is returned for a telephone-event payload under 4 bytes.
var ErrShortEvent = errors.New("telephone-event payload shorter than 4 bytes")

// ParseTelephoneEvent decodes the first event of an RFC 4733 payload.
func ParseTelephoneEvent(b []byte) (TelephoneEventPayload, error) {
	if len(b) < 4 {
		return TelephoneEventPayload{}, ErrShortEvent
	}
	return TelephoneEventPayload{
		Event:    b[0],
		End:      b[1]&0x80 != 0,
		Volume:   b[1] & 0x3f,
		Duration: binary.BigEndian.Uint16(b[2:4]),
	}, nil
}

// Marshal appends the 4-byte payload to dst.
func (p TelephoneEventPayload) Marshal(dst []byte) []byte {
	b1 := p.Volume & 0x3f
	if p.End {
		b1 |= 0x80
	}
	return append(dst, p.Event, b1, byte(p.Duration>>8), byte(p.Duration))
}
