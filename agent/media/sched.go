package media

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/callplan/callplan/internal/procs"
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
	lateCauses
)

// SchedulerStats are the send scheduler's counters since the Ports were
// made: how well it kept the 20 ms pace.
type SchedulerStats struct {
	Frames uint64 // packets sent by the scheduler
	Late   uint64 // of those, sent more than 5 ms after their due time
	Late10 uint64 // of those, sent more than 10 ms after their due time
	// Why the late ones were late (stall_linux.go); they add up to Late.
	LateStalled uint64        // the wheel woke late and its thread waited for neither a CPU nor a P: the machine under the process stalled
	LateCPU     uint64        // the wheel woke late, its thread runnable but waiting for a CPU
	LateP       uint64        // the wheel woke late, its thread waiting for a Go P
	LateWork    uint64        // the wheel woke on time, but its slots' work took too long
	MaxLate     time.Duration // the latest any packet was sent
	Streams     int           // sessions on the wheel now
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
	pacer   atomic.Pointer[string]
}

func (sc *scheduler) notePacer(mode string) { sc.pacer.Store(&mode) }

// newScheduler makes n wheels (engineThreads chooses n).
func newScheduler(n int) *scheduler {
	sc := &scheduler{shards: make([]*shard, n)}
	for i := range sc.shards {
		sc.shards[i] = &shard{sched: sc}
	}
	return sc
}

// add puts s on a shard's wheel, round-robin. The caller has set s.onWheel
// under s.mu, so a session is on at most one slot.
func (sc *scheduler) add(s *Session) {
	sh := sc.shards[int(sc.next.Add(1))%len(sc.shards)]
	sh.add(s)
}

func (sc *scheduler) stats() SchedulerStats {
	st := SchedulerStats{Frames: sc.frames.Load(), Late: sc.late.Load(), Late10: sc.late10.Load(), MaxLate: time.Duration(sc.maxLate.Load())}
	st.LateStalled, st.LateCPU = sc.causes[lateStalled].Load(), sc.causes[lateCPU].Load()
	st.LateP, st.LateWork = sc.causes[lateP].Load(), sc.causes[lateWork].Load()
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
// time, for the cause of the wheel's last late wake (lateWork: it woke on
// time).
func (sc *scheduler) record(n int, late time.Duration, cause lateCause) {
	sc.frames.Add(uint64(n))
	if late > lateThreshold {
		sc.late.Add(uint64(n))
		sc.causes[cause].Add(uint64(n))
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

// shard is one timer wheel and the goroutine that turns it. The goroutine
// runs only while the wheel holds sessions or delayed packets: it starts with the first add and
// returns when the last session leaves (its source ended, or it closed), so
// nothing outlives the calls it serves.
type shard struct {
	sched *scheduler

	mu      sync.Mutex
	slots   [slotsPerFrame][]*Session
	n       int
	running bool
	epoch   time.Time  // due time of absolute slot 0 of the running goroutine
	delayq  delayQueue // packets an impairment holds back
	batch   sendBatch  // the slot's packets, sent together
}

func (sh *shard) add(s *Session) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	now := time.Now()
	if !sh.running {
		sh.running = true
		sh.epoch = now
		sh.slots[0] = append(sh.slots[0], s)
		sh.n++
		go sh.run(now)
		return
	}
	// The next slot due at or after now.
	i := int((now.Sub(sh.epoch) + slotInterval - 1) / slotInterval)
	k := i % slotsPerFrame
	sh.slots[k] = append(sh.slots[k], s)
	sh.n++
}

// run turns the wheel: at each slot's due time it ticks the slot's sessions
// and drops those with nothing more to send. When it falls behind (a loaded
// machine) it serves the overdue slots one after the other without sleeping,
// so no frame is skipped; the lateness is counted. A real-time wheel that
// keeps its CPU busy gives real-time priority up (pacer_linux.go).
func (sh *shard) run(epoch time.Time) {
	procs.MediaStarting() // the Ps for the wheels and receivers (threads.go)
	pacer := pinPacer()
	sh.sched.notePacer(pacer.mode)
	watch := newStallWatch()
	defer watch.close()
	// cause holds from a late wake through the overdue slots it left to
	// serve: they are late for the same reason.
	cause := lateWork
	for i := 0; ; i++ {
		due := epoch.Add(time.Duration(i) * slotInterval)
		if pacer.sleepUntil(due) {
			cause = watch.woke(time.Since(due))
		}
		sh.mu.Lock()
		k := i % slotsPerFrame
		list := sh.slots[k]
		kept := list[:0]
		sent := 0
		for _, s := range list {
			keep, didSend := s.tick(time.Now(), &sh.delayq, &sh.batch)
			if didSend {
				sent++
			}
			if keep {
				kept = append(kept, s)
			} else {
				sh.n--
			}
		}
		clear(list[len(kept):])
		sh.slots[k] = kept
		// The slot's packets leave together; each counts as sent when
		// the batch went out (monotonic clock: due and now both carry it).
		sh.batch.flush()
		behind := time.Since(due)
		if sent > 0 {
			sh.sched.record(sent, behind, cause)
		}
		if pacer.hogging(time.Now()) && pacer.demote() {
			sh.sched.notePacer(pacer.mode)
		}
		sh.delayq.flush(time.Now(), &sh.batch)
		if sh.n == 0 && sh.delayq.Len() == 0 {
			sh.batch.close() // a restart makes a new ring
			sh.running = false
			sh.mu.Unlock()
			return
		}
		sh.mu.Unlock()
	}
}
