package media

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/zaf/g711"
)

// The table encoders give zaf/g711's byte for every 16-bit sample.
func TestEncodeTables(t *testing.T) {
	t.Parallel()
	pcm := make([]int16, 1<<16)
	for i := range pcm {
		pcm[i] = int16(uint16(i))
	}
	for _, tt := range []struct {
		codec Codec
		ref   func(int16) uint8
	}{{PCMU, g711.EncodeUlawFrame}, {PCMA, g711.EncodeAlawFrame}} {
		prefix := []byte{1, 2, 3}
		got := tt.codec.Encode(prefix, pcm)
		require.Len(t, got, 3+len(pcm))
		require.Equal(t, []byte{1, 2, 3}, got[:3], "Encode appends")
		for i, v := range pcm {
			if want := tt.ref(v); got[3+i] != want {
				t.Fatalf("%s: sample %d: got %#x, want %#x", tt.codec.Name, v, got[3+i], want)
			}
		}
	}
}
