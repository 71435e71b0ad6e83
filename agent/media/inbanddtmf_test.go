package media

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// digitTones is each digit's tone_stream, as a client plays it.
var digitTones = map[byte]string{
	'1': "697,1209", '2': "697,1336", '3': "697,1477", 'A': "697,1633",
	'4': "770,1209", '5': "770,1336", '6': "770,1477", 'B': "770,1633",
	'7': "852,1209", '8': "852,1336", '9': "852,1477", 'C': "852,1633",
	'*': "941,1209", '0': "941,1336", '#': "941,1477", 'D': "941,1633",
}

// detectStream plays spec through a detector frame by frame (and some
// silence after) and returns the digits it reports.
func detectStream(t *testing.T, spec string) []Digit {
	t.Helper()
	ts, err := ParseToneStream(spec)
	require.NoError(t, err)
	var got []Digit
	s := NewInbandDTMF(func(d Digit) { got = append(got, d) })
	frame := make([]int16, 160)
	for n := 0; n < 5000; n++ {
		if !ts.Read(frame) {
			clear(frame)
			for range 10 {
				s.Write(nil, frame)
			}
			break
		}
		s.Write(nil, frame)
	}
	return got
}

func TestInbandDTMFHearsEveryDigit(t *testing.T) {
	for digit, freqs := range digitTones {
		t.Run(string(digit), func(t *testing.T) {
			got := detectStream(t, "tone_stream://%(100,100,"+freqs+")")
			require.Len(t, got, 1)
			assert.Equal(t, digit, got[0].Digit)
			// Counted in whole frames from the beginning to the end.
			assert.Zero(t, got[0].Duration%160)
			assert.InDelta(t, 800, int(got[0].Duration), 480)
		})
	}
}

func TestInbandDTMFSequences(t *testing.T) {
	tests := []struct {
		name, spec, want string
	}{
		{"digits with gaps", "tone_stream://%(100,100,697,1209);%(100,100,697,1336);%(100,100,941,1477)", "12#"},
		{"a repeated digit with a gap", "tone_stream://%(100,100,770,1336);%(100,100,770,1336)", "55"},
		{"a long digit is one digit", "tone_stream://%(1000,100,852,1477)", "9"},
		{"a lone tone is no digit", "tone_stream://%(500,100,1004)", ""},
		{"digit A-D", "tone_stream://%(100,100,697,1633);%(100,100,941,1633)", "AD"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s []byte
			for _, d := range detectStream(t, tc.spec) {
				s = append(s, d.Digit)
			}
			assert.Equal(t, tc.want, string(s))
		})
	}
}
