package gctune

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
)

const (
	// Percent is the GC percent for a small live heap (GOGC=400).
	Percent = 400
	// Budget bounds the heap growth between collections that Percent may
	// add: above Budget/4 live the percent comes down, to 100 at Budget.
	Budget = 128 << 20
	// floor is Go's default percent, never undercut.
	floor = 100
)

// PercentFor is the GC percent for a live heap of live bytes: Percent,
// lowered so that live × percent / 100 stays within Budget, but never below
// the default 100.
func PercentFor(live uint64) int {
	if live == 0 {
		return Percent
	}
	p := uint64(Budget) * 100 / live
	switch {
	case p >= Percent:
		return Percent
	case p <= floor:
		return floor
	}
	return int(p)
}

// Tuner re-chooses the GC percent after every collection. Stop ends it.
type Tuner struct {
	mu      sync.Mutex // orders Stop's restore after any tune in progress
	prev    int
	stopped bool
	sample  [2]metrics.Sample // live heap, GC percent in force
	tunes   atomic.Int64
}

// Apply sets the GC percent for the current live heap and keeps it set as
// the heap changes, unless the user set GOGC (read through getenv): then it
// returns nil and changes nothing. Stop a non-nil Tuner to restore the
// percent it found (tests and benchmarks do; commands let it run until exit).
func Apply(getenv func(string) (string, bool)) *Tuner {
	if _, set := getenv("GOGC"); set {
		return nil
	}
	t := &Tuner{}
	t.sample[0].Name = "/gc/heap/live:bytes"
	t.sample[1].Name = "/gc/gogc:percent"
	live, _ := t.read()
	t.prev = debug.SetGCPercent(PercentFor(live))
	t.arm()
	return t
}

// Stop restores the percent Apply found; collections after it are not
// re-tuned. Stop on a nil Tuner does nothing.
func (t *Tuner) Stop() {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.stopped {
		t.stopped = true
		debug.SetGCPercent(t.prev)
	}
}

// Tunes is how many collections the tuner has seen (for tests).
func (t *Tuner) Tunes() int64 { return t.tunes.Load() }

// read returns the live heap after the last collection and the GC percent
// in force (0 for either if this Go does not publish it).
func (t *Tuner) read() (live uint64, percent int) {
	metrics.Read(t.sample[:])
	if t.sample[0].Value.Kind() == metrics.KindUint64 {
		live = t.sample[0].Value.Uint64()
	}
	if t.sample[1].Value.Kind() == metrics.KindUint64 {
		percent = int(t.sample[1].Value.Uint64())
	}
	return live, percent
}

// sentinel is garbage from the moment it is made: its finalizer runs after
// the next collection that finds it, once per cycle, which is how the tuner
// hears of each collection without a goroutine of its own (the pattern
// Go's own finalizer docs allow: a finalizer may re-arm with a new object).
// The pointer field keeps it out of the tiny allocator, whose objects may
// never be finalized.
type sentinel struct{ t *Tuner }

func (t *Tuner) arm() {
	runtime.SetFinalizer(&sentinel{t: t}, func(s *sentinel) {
		if s.t.tune() {
			s.t.arm()
		}
	})
}

// tune sets the percent for the live heap the last collection left and
// says whether to keep tuning. The setting changes only when the choice
// does, so a steady heap costs one metrics read per collection.
func (t *Tuner) tune() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return false
	}
	t.tunes.Add(1)
	live, cur := t.read()
	if want := PercentFor(live); want != cur {
		debug.SetGCPercent(want)
	}
	return true
}
