package media

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/zaf/g711"
)

// BERT is bert_test: a RawSource that sends the µ-law digital milliwatt and
// a Sink that checks what comes back, with the state machine of FreeSWITCH's
// mod_bert (mod_bert.c, "Naive BERT tester"). A client sees the same
// events, at the same points:
//
//   - every received frame is checked against the pattern; errors are
//     counted in samples, and a window (bert_window_ms, 1000 ms) is judged
//     when the next frame arrives after it is full, so the first in_sync
//     comes with the 51st frame (captured: in_sync about 1.02 s after
//     bert_test starts, fixture 06);
//   - a window with an error rate above bert_max_err (10 %, an integer)
//     loses sync if in sync (lost_sync with sync_lost_percent,
//     sync_lost_count, cng_count, err_samples of that window); one at or
//     under it regains sync if out of sync (in_sync, which also resets
//     cng_count and cancels the timeout);
//   - a window length that is not a multiple of 20 ms is never judged:
//     mod_bert compares processed == window samples exactly;
//   - no first sync within bert_timeout_ms (10 s) fires timeout once;
//   - frames that never arrive count as comfort noise (CNG): silence, all
//     errors, counted in cng_count. FreeSWITCH's timed RTP read hands the
//     app a CNG frame each 20 ms tick without a packet; here a lost packet
//     (a sequence gap) is one, and so is each tick once nothing has arrived
//     for a second (a peer that went quiet).
//
// The send side calls ReadRaw once per 20 ms tick; that tick also drives
// the timeout and the starved-peer check. Events go to onEvent, called
// without locks held from the session's goroutines: it must not block.
type BERT struct {
	mu      sync.Mutex
	cfg     BERTConfig
	now     func() time.Time
	onEvent func(BERTEvent)

	deadline          time.Time // first-sync timeout; zero once synced or fired
	synced, inSync    bool
	processed, errs   uint32 // this window, in samples
	lostCount, cngCnt uint32
	clean             bool
	maxErrHit         float32
	maxErrEver        float32

	dbgIn, dbgOut io.Writer // bert_debug_io_file's <prefix>.in and .out

	haveSeq   bool
	lastSeq   uint16
	idleTicks int // ticks since the last received frame
	filled    int // CNG frames put in since the last received frame
	buf       [FrameSamples]byte
}

var (
	_ RawSource = (*BERT)(nil)
	_ Sink      = (*BERT)(nil)
)

// BERTMilliwatt is the G.711 µ-law digital milliwatt mod_bert sends and
// expects: a 1 kHz sine at 0 dBm0, eight samples a period.
var BERTMilliwatt = [8]byte{0x1e, 0x0b, 0x0b, 0x1e, 0x9e, 0x8b, 0x8b, 0x9e}

// bertFrame is the pattern repeated to one 20 ms frame.
var bertFrame = func() (f [FrameSamples]byte) {
	for i := range f {
		f[i] = BERTMilliwatt[i%8]
	}
	return f
}()

// ulawIdle is G711_ULAW_IDLE_OCTET, what a CNG frame is read as.
const ulawIdle = 0xff

// bertStarved is how many ticks without a received frame pass before each
// further tick counts a CNG frame: a second, far more than the scheduling
// jitter of an overloaded machine (packets that come late are checked when
// they come, so counting their slots as CNG too would count them twice;
// 200 ms did, on a 2-core machine at load 13 with 400 BERT legs).
const bertStarved = 50

// bertMaxGap bounds the CNG frames one sequence jump stands for (a peer
// that restarted its sequence is not minutes of loss).
const bertMaxGap = 50

// BERTConfig is what bert_test reads from channel variables as it starts.
type BERTConfig struct {
	Window        time.Duration // bert_window_ms (1000)
	Timeout       time.Duration // bert_timeout_ms (10000)
	MaxErr        float32       // bert_max_err, percent, read as an integer (10)
	HangupOnError bool          // bert_hangup_on_error
	TimerName     string        // bert_timer_name
	DebugIOFile   string        // bert_debug_io_file
}

// BERTConfigFromVars reads the variables as mod_bert does: atoi, and a
// value of 0 or less (or none) keeps the default.
func BERTConfigFromVars(get func(name string) (string, bool)) BERTConfig {
	cfg := BERTConfig{Window: time.Second, Timeout: 10 * time.Second, MaxErr: 10}
	if v, ok := get("bert_window_ms"); ok {
		if n := cAtoi(v); n > 0 {
			cfg.Window = time.Duration(n) * time.Millisecond
		}
	}
	if v, ok := get("bert_timeout_ms"); ok {
		if n := cAtoi(v); n > 0 {
			cfg.Timeout = time.Duration(n) * time.Millisecond
		}
	}
	if v, ok := get("bert_max_err"); ok {
		if n := cAtoi(v); n > 0 {
			cfg.MaxErr = float32(n)
		}
	}
	if v, ok := get("bert_hangup_on_error"); ok {
		cfg.HangupOnError = switchTrue(v)
	}
	cfg.TimerName, _ = get("bert_timer_name")
	cfg.DebugIOFile, _ = get("bert_debug_io_file")
	return cfg
}

// switchTrue is FreeSWITCH's switch_true: yes/on/true/t/enabled/active/
// allow, or a number other than 0.
func switchTrue(s string) bool {
	switch strings.ToLower(s) {
	case "yes", "on", "true", "t", "enabled", "active", "allow":
		return true
	}
	if s == "" {
		return false
	}
	for i, c := range s {
		if (c < '0' || c > '9') && !(i == 0 && c == '-') {
			return false
		}
	}
	return cAtoi(s) != 0
}

// BERTEventKind is which mod_bert CUSTOM event happened.
type BERTEventKind int

// The events, by their Event-Subclass.
const (
	BERTInSync   BERTEventKind = iota // mod_bert::in_sync
	BERTLostSync                      // mod_bert::lost_sync
	BERTTimeout                       // mod_bert::timeout
)

// Subclass is the event's Event-Subclass.
func (k BERTEventKind) Subclass() string {
	return [...]string{"mod_bert::in_sync", "mod_bert::lost_sync", "mod_bert::timeout"}[k]
}

// BERTEvent is one mod_bert event. The figures are those of lost_sync.
type BERTEvent struct {
	Kind        BERTEventKind
	LostPercent float32 // sync_lost_percent: the window's error rate
	LostCount   uint32  // sync_lost_count
	CNGCount    uint32  // cng_count
	ErrSamples  uint32  // err_samples: the window's error samples
	// Hangup: bert_hangup_on_error is set and this is a timeout or a lost
	// sync, so the leg is to hang up with MEDIA_TIMEOUT.
	Hangup bool
}

// NewBERT starts a test now (now() is its clock; time.Now if nil).
func NewBERT(cfg BERTConfig, now func() time.Time, onEvent func(BERTEvent)) *BERT {
	if now == nil {
		now = time.Now
	}
	return &BERT{cfg: cfg, now: now, onEvent: onEvent, deadline: now().Add(cfg.Timeout)}
}

// windowSamples is switch_samples_per_packet(8000, window_ms).
func (b *BERT) windowSamples() uint32 {
	return uint32(b.cfg.Window / time.Millisecond * 8)
}

// SetDebugIO makes the test copy every frame it sends to out and every
// frame it checks (comfort noise as 0xff) to in, as mod_bert writes
// bert_debug_io_file's <prefix>.out and <prefix>.in. Either may be nil;
// call it before the test runs. Write errors are ignored, as mod_bert
// only logs them.
func (b *BERT) SetDebugIO(in, out io.Writer) { b.dbgIn, b.dbgOut = in, out }

// ReadRaw sends the pattern on a PCMU leg; it is also the test's tick.
func (b *BERT) ReadRaw(c Codec, payload []byte) (filled, ok bool) {
	b.tick()
	if c.PayloadType != PCMU.PayloadType {
		return false, true
	}
	for i := range payload {
		payload[i] = BERTMilliwatt[i%8]
	}
	if b.dbgOut != nil {
		_, _ = b.dbgOut.Write(payload)
	}
	return true, true
}

// Read is the pattern as audio, for a leg whose codec is not PCMU (where
// mod_bert does not run; the agent's app refuses such legs first).
func (b *BERT) Read(frame []int16) bool {
	b.tick()
	for i := range frame {
		frame[i] = g711.DecodeUlawFrame(BERTMilliwatt[i%8])
	}
	return true
}

// tick is one pass of mod_bert's loop without a read frame: the timeout,
// and a CNG frame when the peer has gone quiet.
func (b *BERT) tick() {
	var evs []BERTEvent
	b.mu.Lock()
	if !b.deadline.IsZero() && !b.synced && !b.now().Before(b.deadline) {
		b.deadline = time.Time{}
		evs = append(evs, BERTEvent{Kind: BERTTimeout, Hangup: b.cfg.HangupOnError})
	}
	b.idleTicks++
	if b.idleTicks > bertStarved {
		b.filled++
		evs = b.frame(bertCNG[:], true, evs)
	}
	b.mu.Unlock()
	b.emit(evs)
}

var bertCNG = func() (f [FrameSamples]byte) {
	for i := range f {
		f[i] = ulawIdle
	}
	return f
}()

// Write checks one received frame; a sequence gap first counts its lost
// frames as CNG (less those the starved ticks already counted).
func (b *BERT) Write(h *rtp.Header, frame []int16) {
	var evs []BERTEvent
	b.mu.Lock()
	gap := 0
	if b.haveSeq {
		// A late or repeated packet is checked like any other, as
		// FreeSWITCH without a jitter buffer reads it; it moves nothing.
		gap = int(int16(h.SequenceNumber-b.lastSeq)) - 1
	}
	for range min(gap, bertMaxGap) - min(b.filled, gap) {
		evs = b.frame(bertCNG[:], true, evs)
	}
	if !b.haveSeq || gap >= 0 {
		b.haveSeq, b.lastSeq = true, h.SequenceNumber
	}
	b.idleTicks, b.filled = 0, 0
	n := min(len(frame), FrameSamples)
	for i, s := range frame[:n] {
		b.buf[i] = g711.EncodeUlawFrame(s)
	}
	evs = b.frame(b.buf[:n], false, evs)
	b.mu.Unlock()
	b.emit(evs)
}

func (b *BERT) emit(evs []BERTEvent) {
	if b.onEvent == nil {
		return
	}
	for _, e := range evs {
		b.onEvent(e)
	}
}

// frame is the body of mod_bert's loop for one read frame: b.mu is held.
func (b *BERT) frame(data []byte, cng bool, evs []BERTEvent) []BERTEvent {
	if cng {
		b.cngCnt++
	}
	if len(data) != FrameSamples {
		return evs // "Read %d samples, expected %d!": skipped
	}
	if b.dbgIn != nil {
		_, _ = b.dbgIn.Write(data)
	}
	if b.processed == b.windowSamples() {
		evs = b.judge(evs)
	}
	defer func() { b.processed += FrameSamples }()
	if (b.inSync || b.clean) && bytes.Equal(data, bertFrame[:]) {
		return evs
	}
	// Find the pattern's start: the samples before it are errors, and so
	// is every sample after it that breaks the pattern.
	m := bytes.Index(data, BERTMilliwatt[:])
	if m < 0 {
		b.errs += FrameSamples
		b.clean = false
		return evs
	}
	before := b.errs
	rest := data[m+len(BERTMilliwatt):]
	switch {
	case len(rest) == 0:
		// mod_bert counts nothing here: a frame whose only whole pattern
		// ends it has no errors (its own quirk).
	case bytes.Equal(rest, bertFrame[:len(rest)]):
		b.errs += uint32(m)
	default:
		b.errs += uint32(m)
		for s, v := range rest {
			if BERTMilliwatt[s%8] != v {
				b.errs++
			}
		}
	}
	b.clean = before == b.errs
	return evs
}

// judge ends a window: lost sync, regained sync, or nothing new.
func (b *BERT) judge(evs []BERTEvent) []BERTEvent {
	errPct := float32(b.errs) / float32(b.processed) * 100
	switch {
	case errPct > b.cfg.MaxErr:
		if b.inSync {
			b.inSync = false
			b.lostCount++
			evs = append(evs, BERTEvent{Kind: BERTLostSync, LostPercent: errPct, LostCount: b.lostCount,
				CNGCount: b.cngCnt, ErrSamples: b.errs, Hangup: b.cfg.HangupOnError})
		}
	case !b.inSync:
		b.inSync, b.synced = true, true
		b.cngCnt = 0
		b.deadline = time.Time{}
		evs = append(evs, BERTEvent{Kind: BERTInSync})
	}
	if b.synced && errPct > b.maxErrHit {
		b.maxErrHit = errPct
	}
	b.maxErrEver = max(b.maxErrEver, errPct)
	b.processed, b.errs = 0, 0
	return evs
}

// BERTStats is the state of a test, for its end.
type BERTStats struct {
	InSync    bool
	Synced    bool    // reached sync at least once
	LostCount uint32  // times sync was lost
	MaxErr    float32 // worst window since the first sync (before it, the worst of all)
}

// Stats reports where the test stands.
func (b *BERT) Stats() BERTStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	maxErr := b.maxErrEver
	if b.synced {
		maxErr = b.maxErrHit
	}
	return BERTStats{InSync: b.inSync, Synced: b.synced, LostCount: b.lostCount, MaxErr: maxErr}
}
