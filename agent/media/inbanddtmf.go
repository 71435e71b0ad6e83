package media

import (
	"math"
	"sync"

	"github.com/pion/rtp"
)

// DTMFDetector hears DTMF digits in audio, as libteletone's
// teletone_dtmf_detect does for FreeSWITCH's start_dtmf
// (libteletone_detect.c; switch_ivr_inband_dtmf_session in
// switch_ivr_async.c feeds it every received frame). It keeps that
// detector's arithmetic (float32 Goertzel resonators, 102-sample blocks)
// and its quirks where they decide what a client sees:
//
//   - a block is a candidate when the strongest row and column reach
//     8e7, their twist is within 6.3 (normal) / 2.5 (reverse), no other
//     row or column is within 6.3 of them, they hold over 1/42 of the
//     block's energy and their second harmonics are weak;
//   - a digit begins on the second identical candidate after a
//     different one; the resonators are not cleared between blocks, only
//     when a digit ends;
//   - once begun, each call looks at one block only, and the digit ends
//     when two blocks in a row fall under 1e7 of energy, twice (ZC = 2);
//   - the duration counts the samples of the calls between its beginning
//     and its end (less the last call), so for 20 ms frames it is a
//     multiple of 160.
type DTMFDetector struct {
	row, col, row2, col2 [4]resonator
	energy, lenergy      float32
	cur                  int
	hit2, hit3           byte
	digit                byte
	zc                   int
	dur                  int
}

type resonator struct{ fac, v2, v3 float32 }

func (r *resonator) init(freq float64) {
	r.fac = float32(2 * math.Cos(2*math.Pi*freq/8000))
	r.v2, r.v3 = 0, 0
}

func (r *resonator) result() float64 {
	v2, v3, fac := float64(r.v2), float64(r.v3), float64(r.fac)
	return v3*v3 + v2*v2 - v2*v3*fac
}

var (
	dtmfRows      = [4]float64{697, 770, 852, 941}
	dtmfCols      = [4]float64{1209, 1336, 1477, 1633}
	dtmfPositions = "123A456B789C*0#D"
)

// libteletone_detect.h and .c constants.
const (
	dtmfBlock         = 102
	dtmfThreshold     = 8.0e7
	dtmfNormalTwist   = 6.3
	dtmfReverseTwist  = 2.5
	dtmfRelativePeak  = 6.3
	dtmf2ndHarmRow    = 2.5
	dtmf2ndHarmCol    = 63.1
	dtmfLowEnergy     = 10000000
	dtmfZeroCrossings = 2
)

// DTMFHit is what one call of Detect saw.
type DTMFHit int

// The results of Detect, libteletone's teletone_hit_type_t.
const (
	DTMFNone DTMFHit = iota
	DTMFBegin
	DTMFMiddle
	DTMFEnd
)

// NewDTMFDetector makes a detector for 8 kHz audio.
func NewDTMFDetector() *DTMFDetector {
	d := &DTMFDetector{}
	d.reset()
	return d
}

func (d *DTMFDetector) reset() {
	for i := range 4 {
		d.row[i].init(dtmfRows[i])
		d.col[i].init(dtmfCols[i])
		d.row2[i].init(2 * dtmfRows[i])
		d.col2[i].init(2 * dtmfCols[i])
	}
}

// Detect feeds samples; DTMFEnd means a digit is ready for Digit.
func (d *DTMFDetector) Detect(pcm []int16) DTMFHit {
	r := DTMFNone
	for sample, limit := 0, 0; sample < len(pcm); sample = limit {
		limit = min(len(pcm), sample+dtmfBlock-d.cur)
		for _, x := range pcm[sample:limit] {
			f := float32(x)
			d.energy += f * f
			for i := range 4 {
				for _, g := range []*resonator{&d.row[i], &d.col[i], &d.col2[i], &d.row2[i]} {
					v1 := g.v2
					g.v2 = g.v3
					g.v3 = g.fac*g.v2 - v1 + f
				}
			}
		}
		if d.zc > 0 {
			if d.energy < dtmfLowEnergy && d.lenergy < dtmfLowEnergy {
				d.zc--
				if d.zc == 0 {
					d.hit2 = 0
					d.reset()
					d.dur -= len(pcm)
					return DTMFEnd
				}
			}
			d.dur += len(pcm)
			d.lenergy, d.energy, d.cur = d.energy, 0, 0
			return DTMFMiddle
		} else if d.digit != 0 {
			return DTMFEnd
		}
		d.cur += limit - sample
		if d.cur < dtmfBlock {
			continue
		}
		if d.block() && r == DTMFNone {
			r = DTMFBegin
			break
		}
	}
	return r
}

// block ends a detection block; true when a digit begins.
func (d *DTMFDetector) block() bool {
	var rowE, colE [4]float64
	br, bc := 0, 0
	for i := range 4 {
		rowE[i], colE[i] = d.row[i].result(), d.col[i].result()
		if rowE[i] > rowE[br] {
			br = i
		}
		if colE[i] > colE[bc] {
			bc = i
		}
	}
	var hit byte
	if rowE[br] >= dtmfThreshold && colE[bc] >= dtmfThreshold &&
		colE[bc] < rowE[br]*dtmfReverseTwist && colE[bc]*dtmfNormalTwist > rowE[br] && d.peaks(rowE, colE, br, bc) &&
		rowE[br]+colE[bc] > 42*float64(d.energy) &&
		d.col2[bc].result()*dtmf2ndHarmCol < colE[bc] && d.row2[br].result()*dtmf2ndHarmRow < rowE[br] {
		hit = dtmfPositions[br<<2+bc]
		if hit == d.hit3 && d.hit3 != d.hit2 {
			d.digit = hit
			if d.zc == 0 {
				d.zc, d.dur = dtmfZeroCrossings, 0
				// libteletone leaves the loop here, before the block's
				// bookkeeping.
				return true
			}
		}
	}
	d.hit2, d.hit3 = d.hit3, hit
	d.energy, d.cur = 0, 0
	return false
}

// peaks is the relative peak test: no other row or column near the best.
func (d *DTMFDetector) peaks(rowE, colE [4]float64, br, bc int) bool {
	for i := range 4 {
		if (i != bc && colE[i]*dtmfRelativePeak > colE[bc]) || (i != br && rowE[i]*dtmfRelativePeak > rowE[br]) {
			return false
		}
	}
	return true
}

// Digit takes the digit that ended and its duration in samples
// (teletone_dtmf_get); ok is false when there is none.
func (d *DTMFDetector) Digit() (Digit, bool) {
	if d.digit == 0 {
		return Digit{}, false
	}
	out := Digit{Digit: d.digit, Duration: uint32(max(d.dur, 0)), Inband: true}
	if d.zc == 0 {
		d.dur, d.digit = 0, 0
	}
	return out, true
}

// InbandDTMF is a Sink running a DTMFDetector over a leg's received audio
// and calling onDigit (from the receiver: it must not block) for each
// digit when it ends.
type InbandDTMF struct {
	mu      sync.Mutex
	det     *DTMFDetector
	onDigit func(Digit)
}

var _ Sink = (*InbandDTMF)(nil)

// NewInbandDTMF makes the sink.
func NewInbandDTMF(onDigit func(Digit)) *InbandDTMF {
	return &InbandDTMF{det: NewDTMFDetector(), onDigit: onDigit}
}

// Write feeds one received frame.
func (s *InbandDTMF) Write(_ *rtp.Header, frame []int16) {
	s.mu.Lock()
	var dg Digit
	ok := false
	if s.det.Detect(frame) == DTMFEnd {
		dg, ok = s.det.Digit()
		// switch_channel_queue_dtmf's clamp.
		dg.Duration = min(max(dg.Duration, MinDTMFDuration), MaxDTMFDuration)
	}
	s.mu.Unlock()
	if ok && s.onDigit != nil {
		s.onDigit(dg)
	}
}
