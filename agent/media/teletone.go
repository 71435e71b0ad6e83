package media

import "math"

// The tone generator of FreeSWITCH's libteletone (libteletone_generate.h and
// libteletone_generate.c), reproduced sample for sample so a tone_stream the
// agent plays is the one a FreeSWITCH node plays: a direct digital
// synthesiser with a 32-bit phase accumulator indexing a 128-entry quarter
// sine table, a level set in dBm0, and tones of one segment mixed as
// (128 + Σ tone) / n. tone-stream.pcap in testdata/rtp is the check.

// teletoneSines is libteletone's quarter-wave table (TELETONE_SINES).
var teletoneSines = [128]int16{
	0x00c9, 0x025b, 0x03ed, 0x057f, 0x0711, 0x08a2, 0x0a33, 0x0bc4,
	0x0d54, 0x0ee4, 0x1073, 0x1201, 0x138f, 0x151c, 0x16a8, 0x1833,
	0x19be, 0x1b47, 0x1cd0, 0x1e57, 0x1fdd, 0x2162, 0x22e5, 0x2467,
	0x25e8, 0x2768, 0x28e5, 0x2a62, 0x2bdc, 0x2d55, 0x2ecc, 0x3042,
	0x31b5, 0x3327, 0x3497, 0x3604, 0x3770, 0x38d9, 0x3a40, 0x3ba5,
	0x3d08, 0x3e68, 0x3fc6, 0x4121, 0x427a, 0x43d1, 0x4524, 0x4675,
	0x47c4, 0x490f, 0x4a58, 0x4b9e, 0x4ce1, 0x4e21, 0x4f5e, 0x5098,
	0x51cf, 0x5303, 0x5433, 0x5560, 0x568a, 0x57b1, 0x58d4, 0x59f4,
	0x5b10, 0x5c29, 0x5d3e, 0x5e50, 0x5f5e, 0x6068, 0x616f, 0x6272,
	0x6371, 0x646c, 0x6564, 0x6657, 0x6747, 0x6832, 0x691a, 0x69fd,
	0x6add, 0x6bb8, 0x6c8f, 0x6d62, 0x6e31, 0x6efb, 0x6fc2, 0x7083,
	0x7141, 0x71fa, 0x72af, 0x735f, 0x740b, 0x74b3, 0x7556, 0x75f4,
	0x768e, 0x7723, 0x77b4, 0x7840, 0x78c8, 0x794a, 0x79c9, 0x7a42,
	0x7ab7, 0x7b27, 0x7b92, 0x7bf9, 0x7c5a, 0x7cb7, 0x7d0f, 0x7d63,
	0x7db1, 0x7dfb, 0x7e3f, 0x7e7f, 0x7eba, 0x7ef0, 0x7f22, 0x7f4e,
	0x7f75, 0x7f98, 0x7fb5, 0x7fce, 0x7fe2, 0x7ff1, 0x7ffa, 0x7fff,
}

const (
	// teletoneDefaultVolume is teletone_init_session's level in dBm0: the
	// level of every tone_stream that does not say v=.
	teletoneDefaultVolume = -7
	// teletoneVolMin and teletoneVolMax bound v= (TELETONE_VOL_DB_MIN/MAX);
	// a level outside is ignored.
	teletoneVolMin, teletoneVolMax = -63, 0
	// teletoneMaxTones is how many frequencies one tone mixes
	// (TELETONE_MAX_TONES).
	teletoneMaxTones = 6
)

// teletoneScale is teletone_dds_state_set_tx_level's amplitude for a level
// in dBm0, computed in single precision as the C code does: 3.14 dB is
// µ-law's maximum power and 3.02 dB doubles it (DBM0_MAX_POWER), so a full
// sine at the level's power has this peak.
func teletoneScale(level float32) uint32 {
	const maxPower = float32(3.14) + float32(3.02)
	exp := (level - maxPower) / float32(20)
	amp := float32(math.Pow(10, float64(exp)))
	return uint32(int32(amp * (float32(32767.0) * float32(1.414214))))
}

// teletonePhaseRate is teletone_dds_phase_rate: the accumulator step per
// sample for a frequency at 8000 samples/s. The C cast of a double beyond
// int32 gives INT_MIN on x86; the same here, so a frequency of 4000 Hz or
// more sounds as it does on FreeSWITCH.
func teletonePhaseRate(freq float64) uint32 {
	v := freq * (1 << 32) / 8000
	if v >= math.MaxInt32+1 || v < math.MinInt32 || math.IsNaN(v) {
		return 0x80000000
	}
	return uint32(int32(v))
}

// dds is one tone's synthesiser state (teletone_dds_state_t).
type dds struct {
	rate, acc uint32
}

// next is teletone_dds_state_modulate_sample: the table is read by the top
// 9 bits of the accumulator (bit 7 mirrors the quarter, bit 8 the sign).
// The C multiplies an int16 by an unsigned scale, so the product wraps as
// an unsigned 32-bit value before the shift; the same is done here.
func (d *dds) next(scale uint32) int16 {
	bitmask := int32(d.acc) >> 23
	idx := bitmask & 127
	if bitmask&128 != 0 {
		idx = 127 - idx
	}
	s := teletoneSines[idx]
	if bitmask&256 != 0 {
		s = -s
	}
	d.acc += d.rate
	return int16(uint32(int32(s)) * scale >> 15)
}
