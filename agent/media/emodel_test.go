package media

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Reference values: G.107 Annex B (MOS against R, as tabulated in G.107
// Figure B.1 and G.109 Table 1), eq. 7-27 (Idd) and eq. 7-29 with G.113
// Appendix I's G.711 Bpl (Ie,eff), computed by hand.
func TestMOSFromR(t *testing.T) {
	t.Parallel()
	tests := []struct{ r, mos float64 }{
		{-5, 1}, {0, 1}, {50, 2.575}, {60, 3.1}, {70, 3.597}, {80, 4.024}, {90, 4.339}, {93.2, 4.409}, {100, 4.5}, {120, 4.5},
	}
	for _, tt := range tests {
		assert.InDeltaf(t, tt.mos, MOSFromR(tt.r), 0.001, "MOSFromR(%v)", tt.r)
	}
}

func TestDelayImpairment(t *testing.T) {
	t.Parallel()
	tests := []struct{ ta, idd float64 }{
		{0, 0}, {100, 0}, {150, 0.163}, {200, 3.044}, {400, 24.08},
	}
	for _, tt := range tests {
		assert.InDeltaf(t, tt.idd, DelayImpairment(tt.ta), 0.02, "DelayImpairment(%v)", tt.ta)
	}
}

func TestEffectiveEquipmentImpairment(t *testing.T) {
	t.Parallel()
	tests := []struct{ ie, bpl, ppl, burst, want float64 }{
		{0, 25.1, 0, 1, 0},
		{0, 25.1, 1, 1, 3.64},
		{0, 25.1, 2, 1, 7.01},
		{0, 25.1, 5, 1, 15.78},
		{0, 25.1, 5, 2, 17.21}, // bursty loss hurts more
		{0, 4.3, 1, 1, 17.92},  // G.711 without concealment
		{11, 19, 2, 1, 19},     // G.729A+VAD (G.113 Ie 11, Bpl 19)
	}
	for _, tt := range tests {
		assert.InDeltaf(t, tt.want, EffectiveEquipmentImpairment(tt.ie, tt.bpl, tt.ppl, tt.burst), 0.01,
			"Ie,eff(Ie %v, Bpl %v, Ppl %v, BurstR %v)", tt.ie, tt.bpl, tt.ppl, tt.burst)
	}
}

// A clean G.711 stream rates 93.2 (MOS 4.41); 5 % random loss takes it to
// about 77.4 (3.89), and the figure falls with jitter.
func TestStatsMOS(t *testing.T) {
	t.Parallel()
	clean := Stats{InMediaPackets: 1000}
	assert.InDelta(t, 93.2, clean.Rating(), 0.01)
	assert.InDelta(t, 4.41, clean.MOS(), 0.01)

	lossy := Stats{InMediaPackets: 950, InLost: 50, InBursts: 50}
	assert.InDelta(t, 5, lossy.LossPercent(), 1e-9)
	assert.InDelta(t, 0.95, lossy.BurstRatio(), 1e-9, "single losses at 5 %: 1 x (1-p)")
	assert.InDelta(t, 93.2-95*5/(5/0.95+25.1), lossy.Rating(), 0.01)
	assert.Less(t, lossy.MOS(), clean.MOS()-0.4)

	jittery := Stats{InMediaPackets: 1000, Jitter: 60}
	assert.InDelta(t, 93.2-DelayImpairment(140), jittery.Rating(), 0.01)
	assert.Less(t, jittery.MOS(), clean.MOS())
}
