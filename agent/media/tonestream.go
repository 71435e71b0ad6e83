package media

import (
	"errors"
	"fmt"
	"strings"
)

// ErrToneSyntax reports a tone_stream script libteletone would stop at.
var ErrToneSyntax = errors.New("tone_stream syntax error")

// ToneStream is a tone_stream:// playback: a Source that plays a teletone
// (TGML) script the way FreeSWITCH's mod_tone_stream does. The subset:
//
//	%(on_ms,off_ms,f1[,f2...])   up to 6 frequencies mixed, then silence
//	0-9 * # A-D                  DTMF tones, d= long, then w= of silence
//	x(on_ms,off_ms)              a DTMF tone with its own timing
//	v=<dBm0>                     level, -63..0 (default -7)
//	d=<ms> w=<ms>                default tone and gap length for DTMF tones
//	l=<n>                        play the next tone n times (-1: forever)
//	L=<n>                        run the whole script n times
//	;loops=<n>                   play everything n times (-1: forever)
//
// Items are separated by ';'. The decay settings (>, <, +), c= and r= are
// read and ignored: the agent's legs are mono at 8 kHz.
type ToneStream struct {
	first, later []toneSegment // pass 1 of the script, and every later pass
	passes       int           // L=
	loops        int           // ;loops=: <0 forever, else max(loops,1) times

	// cursor
	loop, pass, seg, rep, pos int
	osc                       [teletoneMaxTones]dds
	done                      bool
}

var _ Source = (*ToneStream)(nil)

// toneSegment is one teletone_mux_tones call: on samples of the mixed
// frequencies, then off samples of silence, played repeat times (-1:
// forever), the oscillators restarting at phase 0 each time.
type toneSegment struct {
	rates   []uint32 // phase steps of the mixed frequencies
	on, off int
	repeat  int
	scale   uint32
}

// ParseToneStream parses what follows "tone_stream://". Like FreeSWITCH it
// keeps the tones before a syntax error, so the stream is never nil: the
// error says the script was cut short.
func ParseToneStream(spec string) (*ToneStream, error) {
	ts := &ToneStream{passes: 1}
	// mod_tone_stream cuts ";loops=" (any case) and all after it off the
	// script before libteletone sees it.
	if i := indexASCIIFold(spec, ";loops="); i >= 0 {
		ts.loops = int(cAtoi(spec[i+len(";loops="):]))
		spec = spec[:i]
	}
	st := newTeletoneState()
	var err error
	ts.first, err = st.run(spec)
	if st.passes > 1 {
		// Every later pass starts from the state the first left, sets the
		// same fields and so ends in it too: passes 2..L are identical.
		ts.passes = st.passes
		ts.later, _ = st.run(spec)
	}
	if len(ts.first) == 0 && len(ts.later) == 0 {
		ts.done = true
	}
	ts.settle()
	if err != nil {
		return ts, fmt.Errorf("tone_stream://%s: %w", spec, err)
	}
	return ts, nil
}

// indexASCIIFold is strings.Index ignoring ASCII case (switch_stristr).
func indexASCIIFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		j := 0
		for j < len(sub) && lowerASCII(s[i+j]) == lowerASCII(sub[j]) {
			j++
		}
		if j == len(sub) {
			return i
		}
	}
	return -1
}

func lowerASCII(b byte) byte {
	if b >= 'A' && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// Read fills frame with the next 20 ms; the last frame is padded with
// silence. It reports false once the stream has ended.
func (t *ToneStream) Read(frame []int16) bool {
	n := 0
	for n < len(frame) && !t.done {
		s := t.current()
		if t.pos == 0 {
			// Each repetition restarts its oscillators at phase 0, as each
			// teletone_mux_tones call does.
			for i, r := range s.rates {
				t.osc[i] = dds{rate: r}
			}
		}
		length := s.on + s.off
		for n < len(frame) && t.pos < length {
			if t.pos < s.on {
				frame[n] = s.mix(&t.osc)
			} else {
				frame[n] = 0
			}
			n++
			t.pos++
		}
		if t.pos >= length {
			t.advance()
		}
	}
	if n == 0 {
		return false
	}
	clear(frame[n:])
	return true
}

func (t *ToneStream) segments() []toneSegment {
	if t.pass == 0 {
		return t.first
	}
	return t.later
}

func (t *ToneStream) current() *toneSegment { return &t.segments()[t.seg] }

// advance moves past one repetition of the current segment, skipping
// empty passes, and ends the stream after the last loop.
func (t *ToneStream) advance() {
	t.pos = 0
	s := t.current()
	t.rep++
	if s.repeat >= 0 && t.rep >= s.repeat {
		t.rep = 0
		t.seg++
	}
	t.settle()
}

// settle moves the cursor off the end of a pass, onto the next segment
// there is. Later passes are all alike, so when they are empty they are
// skipped at once (L= may ask for two billion of them).
func (t *ToneStream) settle() {
	for !t.done && t.seg >= len(t.segments()) {
		t.seg = 0
		t.pass++
		if t.pass < t.passes && len(t.later) == 0 {
			t.pass = t.passes
		}
		if t.pass >= t.passes {
			t.pass = 0
			t.loop++
			if t.loops >= 0 && t.loop >= max(t.loops, 1) {
				t.done = true
				return
			}
		}
	}
}

// mix is one sample of teletone_mux_tones: the oscillators' sum plus 128,
// divided by their number (C integer division).
func (s *toneSegment) mix(osc *[teletoneMaxTones]dds) int16 {
	sum := int32(128)
	for i := range s.rates {
		sum += int32(osc[i].next(s.scale))
	}
	return int16(sum / int32(len(s.rates)))
}

// teletoneState is a teletone_generation_session's settings while a
// script runs (teletone_run in libteletone_generate.c).
type teletoneState struct {
	duration, wait int // samples, for DTMF tones
	volume         float32
	loops          int // l=
	passes         int // L=
	looping        bool
}

func newTeletoneState() *teletoneState {
	// teletone_init_session: 2000 samples on, 500 off, -7 dBm0.
	return &teletoneState{duration: 2000, wait: 500, volume: teletoneDefaultVolume}
}

// samplesPerMs is rate/1000 at the agent's 8 kHz.
const samplesPerMs = 8

// run interprets one pass of the script and returns its segments. Its
// cursor walks the bytes as the C does, quirks included: a setting that
// ends the script without a ';' is re-read from its '=' on, so the digits
// of "v=-10" at the very end also play as DTMF tones.
func (st *teletoneState) run(spec string) ([]toneSegment, error) {
	var out []toneSegment
	i := 0
	for i < len(spec) {
		if c := spec[i]; c == ' ' || c == '\r' || c == '\n' {
			i++
			continue
		}
		end := strings.IndexByte(spec[i:], ';')
		tok := spec[i:]
		if end >= 0 {
			tok = spec[i : i+end]
		}
		if len(tok) > 1 && tok[1] == '=' {
			st.set(tok[0], tok[2:])
		} else {
			segs, err := st.tones(tok)
			out = append(out, segs...)
			if err != nil {
				return out, err
			}
			if end < 0 {
				break // the tone loop consumed the token up to the end
			}
		}
		if end >= 0 {
			i += end + 1
		} else {
			i++
		}
	}
	return out, nil
}

// set applies one "x=value" setting.
func (st *teletoneState) set(name byte, val string) {
	switch name {
	case 'd':
		st.duration = int(cAtoi(val)) * samplesPerMs
	case 'w':
		st.wait = int(cAtoi(val)) * samplesPerMs
	case 'v':
		if v := float32(cAtof(val)); v <= teletoneVolMax && v >= teletoneVolMin {
			st.volume = v
		}
	case 'l':
		st.loops = int(cAtoi(val))
	case 'L':
		if n := int(cAtoi(val)); !st.looping && n > 0 {
			st.passes, st.looping = n, true
		}
	}
}

// tones interprets a token of tone characters and %(...) lists.
func (st *teletoneState) tones(tok string) ([]toneSegment, error) {
	var out []toneSegment
	for j := 0; j < len(tok); {
		c := tok[j]
		if c == ' ' || c == '\r' || c == '\n' {
			j++
			continue
		}
		on, off := -1, -1
		var freqs []float64
		next := j + 1
		if j+1 < len(tok) && tok[j+1] == '(' {
			list := tok[j+2:]
			if k := strings.IndexByte(list, ')'); k >= 0 {
				list, next = list[:k], j+2+k+1
			} else if k := strings.IndexByte(list, ','); k >= 0 {
				// No ')': the C has cut the token at the list's first comma,
				// so scanning goes on through "(<on_ms>" and stops there.
				tok = tok[:j+2+k]
			}
			var n int
			on, off, freqs, n = parseToneList(list)
			switch {
			case n > 2 && c == '%':
			case n != 2 || c == '%':
				return out, fmt.Errorf("%w: %q", ErrToneSyntax, tok[j:])
			default:
				freqs = nil // x(on,off): the character's own tones
			}
		}
		if freqs == nil && c > 0 && c < 127 {
			freqs = dtmfTones[c]
		}
		if len(freqs) > 0 && freqs[0] != 0 {
			out = st.emit(out, freqs, on, off)
		}
		j = next
	}
	return out, nil
}

// parseToneList splits "on,off,f1,..." as the C does: at most 6
// frequencies, values read with atoi/atof; n counts the elements read.
func parseToneList(list string) (on, off int, freqs []float64, n int) {
	for {
		el, rest, more := strings.Cut(list, ",")
		switch n {
		case 0:
			on = int(cAtoi(el)) * samplesPerMs
		case 1:
			off = int(cAtoi(el)) * samplesPerMs
		default:
			freqs = append(freqs, cAtof(el))
		}
		n++
		list = rest
		if !more || n-2 >= teletoneMaxTones {
			return on, off, freqs, n
		}
	}
}

// emit appends the segment for one tone map, repeated as l= says.
func (st *teletoneState) emit(out []toneSegment, freqs []float64, on, off int) []toneSegment {
	if on < 0 {
		on = st.duration
	}
	if off < 0 {
		off = st.wait
	}
	s := toneSegment{on: max(on, 0), off: max(off, 0), scale: teletoneScale(st.volume), repeat: 1}
	if freqs[0] > 0 {
		// teletone_mux_tones mixes the frequencies up to the first zero.
		n := 0
		for n < len(freqs) && freqs[n] != 0 {
			n++
		}
		for _, f := range freqs[:n] {
			s.rates = append(s.rates, teletonePhaseRate(f))
		}
	} else {
		s.on = 0 // a first frequency below zero: only the silence
	}
	switch {
	case st.loops > 0:
		s.repeat, st.loops = st.loops, 0
	case st.loops < 0:
		s.repeat = -1
	}
	if s.on+s.off == 0 {
		return out // nothing to hear, even forever
	}
	return append(out, s)
}

// dtmfTones are teletone_init_session's tone maps.
var dtmfTones = map[byte][]float64{
	'1': {697, 1209}, '2': {697, 1336}, '3': {697, 1477}, 'A': {697, 1633},
	'4': {770, 1209}, '5': {770, 1336}, '6': {770, 1477}, 'B': {770, 1633},
	'7': {859, 1209}, '8': {859, 1336}, '9': {859, 1477}, 'C': {859, 1633},
	'*': {941, 1209}, '0': {941, 1336}, '#': {941, 1477}, 'D': {941, 1633},
}
