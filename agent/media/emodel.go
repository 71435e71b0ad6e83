package media

import "math"

// The E-model of ITU-T G.107 (06/2015) turns transmission impairments into
// a rating R (0-100) and R into an estimated MOS (conversational quality,
// 1-4.5). The agent uses the parts that RTP statistics can feed:
//
//	R = R0 - Is - Id - Ie,eff + A         (G.107 eq. 7-1)
//
// With every other parameter at its G.107 default (Table 3: SLR 8, RLR 2,
// Ds 3, TELR 65, Nc -70, Ps = Pr 35, qdu 1, A 0 ...), R0 - Is = 93.2, the
// rating of a perfect G.711 call.
//
// Id is the delay impairment. Only its absolute-delay term Idd (eq. 7-27)
// depends on what the agent measures; talker echo (Idte) and listener echo
// (Idle) are taken at their defaults, i.e. echo perfectly cancelled:
//
//	Idd = 0                                                  for Ta <= 100 ms
//	Idd = 25 ((1+X^6)^(1/6) - 3 (1+(X/3)^6)^(1/6) + 2),  X = log2(Ta/100)
//
// The one-way delay Ta is not observable from one side's RTP; the agent
// estimates the mouth-to-ear delay it adds as one 20 ms frame plus a
// de-jitter buffer of twice the measured interarrival jitter.
//
// Ie,eff is the equipment impairment under packet loss (eq. 7-29):
//
//	Ie,eff = Ie + (95 - Ie) * Ppl / (Ppl/BurstR + Bpl)
//
// Ppl is the loss in percent, BurstR the burst ratio (1 for random loss,
// Stats.BurstRatio). For G.711, Ie = 0 and Bpl = 25.1 (G.113 Appendix I,
// G.711 with packet loss concealment as receivers apply it).
//
// R maps to MOS by G.107 Annex B (eq. B-4):
//
//	MOS = 1                                              for R < 0
//	MOS = 1 + 0.035 R + 7e-6 R (R-60) (100-R)            for 0 <= R <= 100
//	MOS = 4.5                                            for R > 100
const (
	defaultRating = 93.2
	g711Ie        = 0
	g711Bpl       = 25.1
)

// DelayImpairment is G.107's Idd for an absolute one-way delay ta in ms.
func DelayImpairment(ta float64) float64 {
	if ta <= 100 {
		return 0
	}
	x := math.Log2(ta / 100)
	return 25 * (math.Pow(1+math.Pow(x, 6), 1.0/6) - 3*math.Pow(1+math.Pow(x/3, 6), 1.0/6) + 2)
}

// EffectiveEquipmentImpairment is G.107's Ie,eff for a codec's Ie and Bpl,
// a loss of ppl percent and a burst ratio.
func EffectiveEquipmentImpairment(ie, bpl, ppl, burstR float64) float64 {
	if ppl <= 0 {
		return ie
	}
	if burstR <= 0 {
		burstR = 1
	}
	return ie + (95-ie)*ppl/(ppl/burstR+bpl)
}

// MOSFromR is G.107 Annex B's conversion of a rating to a MOS estimate.
func MOSFromR(r float64) float64 {
	switch {
	case r < 0:
		return 1
	case r > 100:
		return 4.5
	}
	return 1 + 0.035*r + 7e-6*r*(r-60)*(100-r)
}

// Rating is the E-model R of a received G.711 stream: its loss, burst
// ratio and jitter (the codecs the agent speaks both have Ie 0, Bpl 25.1).
func (st Stats) Rating() float64 {
	ta := float64(frameInterval.Milliseconds()) + 2*st.Jitter
	return defaultRating - DelayImpairment(ta) -
		EffectiveEquipmentImpairment(g711Ie, g711Bpl, st.LossPercent(), st.BurstRatio())
}

// MOS is the E-model's MOS estimate of the received stream
// (rtp_audio_in_mos).
func (st Stats) MOS() float64 { return MOSFromR(st.Rating()) }
