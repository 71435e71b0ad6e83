package media

import (
	"math"
	"sync"

	"github.com/pion/rtp"
)

// ToneDetector is a Sink that hears a set of frequencies sounding together,
// as FreeSWITCH's tone_detect app does (switch_ivr_tone_detect_session in
// switch_ivr_async.c over libteletone's multi-tone detector,
// libteletone_detect.c):
//
//   - audio is cut in blocks of 102 samples; a block is positive when the
//     Goertzel energy at the tone frequencies is more than 42 times the
//     block's energy (for a pure tone the ratio is N/2 = 51, so the tones
//     must hold over 80 % of the power);
//   - two positives in a row make a hit pending, the next positive block a
//     hit (about 40 ms of tone); negative blocks wear positives down;
//   - after a hit the detector sleeps for Sleep frames and forgets its
//     hits when Expires frames pass without another;
//   - after Hits hits the tone is detected, OnDetect runs once and the
//     detector stops until Reset.
//
// libteletone also compares two identical Goertzel filters, a test that
// only passes by float rounding; it is left out, so detection here is the
// energy test alone.
type ToneDetector struct {
	mu      sync.Mutex
	coeff   []float64
	onTone  func()
	hitsFor int // hits needed
	sleep   int // frames skipped after a hit
	expires int // frames after which pending hits are forgotten

	up                         bool
	s1, s2                     []float64
	energy                     float64
	n                          int
	positives, negatives, pend int
	hits                       int
	sleeping, expiring         int
}

var _ Sink = (*ToneDetector)(nil)

// ToneDetectorConfig says what to listen for.
type ToneDetectorConfig struct {
	Freqs   []float64 // Hz; zeros end the list, as in the tone map
	Hits    int       // hits needed; 0 means 1
	Sleep   int       // frames; 0 means 25 (tone_detect_sleep)
	Expires int       // frames; 0 means 250 (tone_detect_expires)
}

const (
	toneBlock        = 102 // libteletone's min_samples at 8 kHz
	toneEnergyFactor = 42.0
	tonePositives    = 2 // positive_factor
	toneHitBlocks    = 2 // hit_factor
	toneNegatives    = 10
)

// NewToneDetector makes a detector that calls onTone (from the session's
// receiver: it must not block) when the tones are heard.
func NewToneDetector(cfg ToneDetectorConfig, onTone func()) *ToneDetector {
	d := &ToneDetector{onTone: onTone, hitsFor: max(cfg.Hits, 1), sleep: cfg.Sleep, expires: cfg.Expires, up: true}
	if d.sleep <= 0 {
		d.sleep = 25
	}
	if d.expires <= 0 {
		d.expires = 250
	}
	for _, f := range cfg.Freqs {
		if int(f) == 0 {
			break
		}
		d.coeff = append(d.coeff, 2*math.Cos(2*math.Pi*f/8000))
	}
	d.s1 = make([]float64, len(d.coeff))
	d.s2 = make([]float64, len(d.coeff))
	return d
}

// Reset re-arms a detector that has fired, as a second tone_detect with
// the same key does.
func (d *ToneDetector) Reset() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.up, d.hits, d.sleeping, d.expiring = true, 0, 0, 0
}

// Write feeds one received frame.
func (d *ToneDetector) Write(_ *rtp.Header, frame []int16) {
	d.mu.Lock()
	fire := d.frame(frame)
	d.mu.Unlock()
	if fire && d.onTone != nil {
		d.onTone()
	}
}

// frame is one frame of tone_detect_callback: sleep and expiry count in
// frames, then the block detector runs. d.mu is held.
func (d *ToneDetector) frame(frame []int16) bool {
	skip := false
	if d.sleeping > 0 {
		d.sleeping--
		skip = d.sleeping > 0
	}
	if d.expiring > 0 {
		d.expiring--
		if d.expiring == 0 {
			d.hits, d.sleeping = 0, 0
		}
	}
	if !d.up || skip || len(d.coeff) == 0 {
		return false
	}
	if !d.detect(frame) {
		return false
	}
	d.hits++
	d.sleeping, d.expiring = d.sleep, d.expires
	if d.hits < d.hitsFor {
		return false
	}
	d.up = false
	return true
}

// detect runs the block detector over one frame; true on a hit.
func (d *ToneDetector) detect(frame []int16) bool {
	seen := false
	for _, x := range frame {
		v := float64(x)
		d.energy += v * v
		for i, c := range d.coeff {
			s0 := c*d.s1[i] - d.s2[i] + v
			d.s2[i], d.s1[i] = d.s1[i], s0
		}
		d.n++
		if d.n < toneBlock {
			continue
		}
		var sum float64
		for i, c := range d.coeff {
			sum += d.s1[i]*d.s1[i] + d.s2[i]*d.s2[i] - c*d.s1[i]*d.s2[i]
			d.s1[i], d.s2[i] = 0, 0
		}
		if sum > toneEnergyFactor*d.energy && d.energy > 0 {
			if d.negatives > 0 {
				d.negatives--
			}
			d.positives++
			if d.positives >= tonePositives {
				d.pend++
			}
			if d.pend >= toneHitBlocks {
				seen = true
				d.positives, d.negatives, d.pend = 0, 0, 0
			}
		} else {
			d.negatives++
			if d.positives > 0 {
				d.positives--
			}
			if d.negatives > toneNegatives {
				d.positives, d.pend = 0, 0
			}
		}
		d.energy, d.n = 0, 0
	}
	return seen
}

// GoertzelPower is the squared magnitude of pcm's DTFT at freq (8 kHz).
func GoertzelPower(pcm []int16, freq float64) float64 {
	c := 2 * math.Cos(2*math.Pi*freq/8000)
	var s1, s2 float64
	for _, x := range pcm {
		s1, s2 = c*s1-s2+float64(x), s1
	}
	return s1*s1 + s2*s2 - c*s1*s2
}
