package media

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// Sequence accounting against hand-counted sequences.
func TestSequenceAccounting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                     string
		seqs                     []uint16
		lost, late, dups, bursts uint64
		expected                 uint64
	}{
		{"in order", []uint16{1, 2, 3, 4}, 0, 0, 0, 0, 4},
		{"one lost", []uint16{1, 2, 4, 5}, 1, 0, 0, 1, 5},
		{"burst of three", []uint16{10, 14, 15}, 3, 0, 0, 1, 6},
		{"two bursts", []uint16{1, 3, 4, 7}, 3, 0, 0, 2, 7},
		{"reordered pair", []uint16{1, 3, 2, 4}, 0, 1, 0, 1, 4},
		{"duplicate", []uint16{1, 2, 2, 3}, 0, 0, 1, 0, 3},
		{"late then duplicate of it", []uint16{1, 3, 2, 2}, 0, 1, 1, 1, 3},
		{"wrap", []uint16{65534, 65535, 0, 2}, 1, 0, 0, 1, 5},
		{"far back is counted late", []uint16{5000, 6100, 5001}, 1099, 1, 0, 1, 1102}, // beyond the window: not matched to its gap
	}
	for _, tt := range tests {
		var st Stats
		var r recvState
		for _, q := range tt.seqs {
			st.InMediaPackets++
			r.sequence(&st, q)
		}
		got := [5]uint64{st.InLost, st.InOutOfOrder, st.InDuplicates, st.InBursts, st.Expected()}
		assert.Equalf(t, [5]uint64{tt.lost, tt.late, tt.dups, tt.bursts, tt.expected}, got,
			"%s: lost, late, duplicates, bursts, expected", tt.name)
	}
}

// RFC 3550 jitter by hand: packets 20 ms apart in timestamps arriving at
// 0, 20, 50, 60 ms: |D| = 0, 10, 10 ms, so J = 0, 10/16, 10/16 + (10 -
// 10/16)/16 ms.
func TestJitterByHand(t *testing.T) {
	t.Parallel()
	var st Stats
	var r recvState
	base := time.Unix(1000, 0)
	for i, at := range []time.Duration{0, 20, 50, 60} {
		r.jitterUpdate(&st, 8000, uint32(i*160), base.Add(at*time.Millisecond))
	}
	j1 := 10.0 / 16
	assert.InDelta(t, j1+(10-j1)/16, st.Jitter, 1e-6)
}

func TestIdleFramesAndMeanInterval(t *testing.T) {
	t.Parallel()
	start := time.Unix(1000, 0)
	st := Stats{Started: start, InMediaPackets: 30, FirstIn: start, LastIn: start.Add(29 * 20 * time.Millisecond)}
	assert.EqualValues(t, 20, st.IdleFrames(start.Add(time.Second)), "50 frames in a second, 30 arrived")
	assert.Zero(t, Stats{}.IdleFrames(start), "no media, no reads")
	assert.InDelta(t, 20, st.MeanInterval(), 1e-9)
}
