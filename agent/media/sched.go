package media

import (
	"sync/atomic"
	"time"
)

// The send scheduler paces every session's outgoing audio: one packet per
// 20 ms per stream, from one goroutine per CPU rather than one sleeping
// goroutine (or timer) per stream. Each shard is a timer wheel of 20 slots
// of 1 ms: a session joins the slot due soonest after it gets a source, so
// its first packet leaves within a millisecond (FreeSWITCH starts a
// playback's stream at once) and every later one exactly 20 ms after the
// previous on the shard's clock. Spreading sessions over the slots keeps
// each wake-up short, so a stream is late by the time to serve its slot,
// not by the time to serve every stream.
const (
	frameInterval = 20 * time.Millisecond
	slotInterval  = time.Millisecond
	slotsPerFrame = int(frameInterval / slotInterval)
	// lateThreshold is the lateness counted in SchedulerStats.Late: the
	// issue's benchmark asks for less than 0.1 % of packets later than this.
	lateThreshold = 5 * time.Millisecond
	// veryLateThreshold is counted in SchedulerStats.Late10: a packet this
	// late is half a frame behind, where a jitter buffer starts to notice.
	veryLateThreshold = 10 * time.Millisecond
)

// lateCause is why a wheel's packets went out late (stall_linux.go tells).
type lateCause int

const (
	lateWork    lateCause = iota // the wheel woke on time; its slots' work made them late
	lateStalled                  // the machine under the process stalled
	lateCPU                      // the wheel's thread waited for a CPU
	lateP                        // the wheel's thread waited for a Go P
	lateBlocked                  // the wheel woke on time; its thread blocked during the work
	lateCauses

	// lateOwner marks packets another wheel sent for a late one: they
	// take their cause from the late wheel's own wake (shard.pendingLate).
	lateOwner = lateCauses
)

// SchedulerStats are the send scheduler's counters since the Ports were
// made: how well it kept the 20 ms pace.
type SchedulerStats struct {
	Frames uint64 // packets sent by the scheduler
	Late   uint64 // of those, sent more than 5 ms after their due time
	Late10 uint64 // of those, sent more than 10 ms after their due time
	// Why the late ones were late (stall_linux.go). They add up to Late
	// once every wheel has woken since: a packet another wheel sent for a
	// late one takes its cause from that wheel's own late wake.
	LateStalled uint64        // the wheel woke late and its thread waited for neither a CPU nor a P: the machine under the process stalled
	LateCPU     uint64        // the wheel woke late, its thread runnable but waiting for a CPU
	LateP       uint64        // the wheel woke late, its thread waiting for a Go P
	LateBlocked uint64        // the wheel woke on time, but its thread blocked during its slots' work: on a lock, for a Go P, or in the collector's stop-the-world
	LateWork    uint64        // the wheel woke on time, did not block, and its slots' work (or a stall of the machine in the middle of it) took too long
	MaxLate     time.Duration // the latest any packet was sent
	// Hedged counts the packets a wheel sent for another wheel whose
	// thread was more than hedgeAfter late (shard.go): on time or not,
	// they are also in Frames, Late and Late10.
	Hedged  uint64
	Streams int // sessions on the wheel now
	// Pacer is the scheduling the wheels' threads got the last time one
	// started, or was demoted (pacer_linux.go): "SCHED_FIFO 1", "nice -10",
	// or the process's own priority with the reason it was not raised.
	Pacer string
}

type scheduler struct {
	shards []*shard
	next   atomic.Uint32

	frames  atomic.Uint64
	late    atomic.Uint64
	late10  atomic.Uint64
	causes  [lateCauses]atomic.Uint64
	maxLate atomic.Int64
	hedged  atomic.Uint64
	pacer   atomic.Pointer[string]

	// noHedge turns hedging off, for a benchmark to compare (set before
	// the first wheel starts).
	noHedge bool
}

func (sc *scheduler) notePacer(mode string) { sc.pacer.Store(&mode) }

// newScheduler makes n wheels (engineThreads chooses n).
func newScheduler(n int) *scheduler {
	sc := &scheduler{shards: make([]*shard, n)}
	for i := range sc.shards {
		sc.shards[i] = &shard{sched: sc, index: i}
	}
	return sc
}

// add puts s on a shard's wheel, round-robin. The caller has set s.onWheel
// under s.mu, so a session is on at most one slot.
func (sc *scheduler) add(s *Session) {
	sh := sc.shards[int(sc.next.Add(1))%len(sc.shards)]
	sh.add(s)
}

// ReportSince reports the pacing between prev and s through report
// (testing.B.ReportMetric fits), as the media benchmarks print it: the
// packets sent more than 5 and 10 ms late, why the late ones were late
// (stall_linux.go; only "stalled" is not the engine's doing), those another
// wheel sent (shard.go), as percentages of the packets sent, and the latest
// any packet was sent.
func (s SchedulerStats) ReportSince(prev SchedulerStats, report func(value float64, unit string)) {
	frames := float64(max(s.Frames-prev.Frames, 1))
	for _, c := range []struct {
		unit     string
		now, was uint64
	}{
		{"%late>5ms", s.Late, prev.Late},
		{"%late-stalled", s.LateStalled, prev.LateStalled},
		{"%late-cpu", s.LateCPU, prev.LateCPU},
		{"%late-p", s.LateP, prev.LateP},
		{"%late-blocked", s.LateBlocked, prev.LateBlocked},
		{"%late-work", s.LateWork, prev.LateWork},
		{"%hedged", s.Hedged, prev.Hedged},
		{"%late>10ms", s.Late10, prev.Late10},
	} {
		report(100*float64(c.now-c.was)/frames, c.unit)
	}
	report(float64(s.MaxLate.Microseconds())/1000, "ms-max-late")
}

func (sc *scheduler) stats() SchedulerStats {
	st := SchedulerStats{Frames: sc.frames.Load(), Late: sc.late.Load(), Late10: sc.late10.Load(), MaxLate: time.Duration(sc.maxLate.Load()), Hedged: sc.hedged.Load()}
	st.LateStalled, st.LateCPU = sc.causes[lateStalled].Load(), sc.causes[lateCPU].Load()
	st.LateP, st.LateWork = sc.causes[lateP].Load(), sc.causes[lateWork].Load()
	st.LateBlocked = sc.causes[lateBlocked].Load()
	if p := sc.pacer.Load(); p != nil {
		st.Pacer = *p
	}
	for _, sh := range sc.shards {
		sh.mu.Lock()
		st.Streams += sh.n
		sh.mu.Unlock()
	}
	return st
}

// record counts n session-ticks that sent packets late after their due
// time, for cause (lateOwner: counted when the late wheel wakes).
func (sc *scheduler) record(n int, late time.Duration, cause lateCause) {
	sc.frames.Add(uint64(n))
	if late > lateThreshold {
		sc.late.Add(uint64(n))
		if cause < lateCauses {
			sc.causes[cause].Add(uint64(n))
		}
	}
	if late > veryLateThreshold {
		sc.late10.Add(uint64(n))
	}
	for {
		cur := sc.maxLate.Load()
		if int64(late) <= cur || sc.maxLate.CompareAndSwap(cur, int64(late)) {
			return
		}
	}
}

// hedgeAfter is how late a wheel's next slot may be before another wheel
// serves it. A running wheel's real-time thread wakes within a fraction of
// a millisecond of its slot (docs/performance.md); one that is a
// millisecond late is most often stalled, because the host did not run its
// virtual CPU for 20-30 ms, and the stalls hit one virtual CPU at a time.
// The other wheels look once a millisecond, so a hedged slot leaves about
// 1-2 ms late, inside the 5 ms that counts as late, instead of a whole
// stall late; the sooner they step in, the less a stall of their own CPU
// in the next milliseconds makes it late anyway. Serving a wheel that was
// only slow costs nothing: the slot goes out once, whoever sends it.
const hedgeAfter = time.Millisecond

// hedge is called by self's thread after serving its own slots: it serves
// the overdue slots of any other wheel more than hedgeAfter behind, in
// batch, its own thread's. It only tries a late wheel's lock (a thread
// stalled while ticking a slot holds it), and it never stops another
// wheel's goroutine: the owner does that when it wakes to an empty wheel.
func (sc *scheduler) hedge(self *shard, watch *stallWatch, batch *sendBatch) {
	if sc.noHedge || len(sc.shards) < 2 {
		return
	}
	now := monoNow()
	for _, sh := range sc.shards {
		if sh == self || now-sh.nextDue.Load() < int64(hedgeAfter) {
			continue
		}
		sent, _ := sh.serveDue(lateOwner, watch, batch, self)
		sc.hedged.Add(uint64(sent))
	}
}
