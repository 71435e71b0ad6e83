package media

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/callplan/callplan/internal/procs"
)

// monoBase anchors monoNow: due times other wheels read without a lock are
// nanoseconds on the monotonic clock since it (time.Time's own monotonic
// reading cannot be stored atomically).
var monoBase = time.Now()

func monoNow() int64 { return int64(time.Since(monoBase)) }

// idleDue is a stopped wheel's nextDue: never overdue, never hedged.
const idleDue = math.MaxInt64

// shard is one timer wheel and the goroutine that turns it. The goroutine
// runs only while the wheel holds sessions or delayed packets: it starts with the first add and
// returns when the last session leaves (its source ended, or it closed), so
// nothing outlives the calls it serves. Another wheel's thread may serve its
// overdue slots under mu (scheduler.hedge); next says which slot is due
// whoever serves it, so no slot is served twice or skipped.
type shard struct {
	sched *scheduler
	index int // the wheel's place in sched.shards: which CPU it binds to

	mu      sync.Mutex
	slots   [slotsPerFrame][]*Session
	n       int
	running bool
	epoch   time.Time  // due time of absolute slot 0 of the running goroutine
	next    int        // the absolute slot served next
	delayq  delayQueue // packets an impairment holds back
	// pendingLate counts late packets other wheels sent for this one
	// since its last wake: its next wake says why they were late.
	pendingLate atomic.Uint64

	// nextDue is slot next's due time on monoNow's clock, idleDue while
	// stopped; other wheels read it without mu to see this one is late.
	nextDue atomic.Int64

	// stallForTest, when set, runs on the owner's thread before each
	// sleep: a test blocks it there to stall the wheel as the host does.
	stallForTest func()
}

func (sh *shard) add(s *Session) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	now := time.Now()
	if !sh.running {
		sh.running = true
		sh.epoch, sh.next = now, 0
		sh.nextDue.Store(int64(now.Sub(monoBase)))
		sh.slots[0] = append(sh.slots[0], s)
		sh.n++
		go sh.run()
		return
	}
	// The next slot due at or after now, and not one served already.
	i := max(sh.next, int((now.Sub(sh.epoch)+slotInterval-1)/slotInterval))
	k := i % slotsPerFrame
	sh.slots[k] = append(sh.slots[k], s)
	sh.n++
}

// run turns the wheel: at each slot's due time it ticks the slot's sessions
// and drops those with nothing more to send. When it falls behind (a loaded
// machine) it serves the overdue slots one after the other without sleeping,
// so no frame is skipped; the lateness is counted. After its own slots it
// serves those of any other wheel that is stalled (scheduler.hedge). A
// real-time wheel that keeps its CPU busy gives real-time priority up
// (pacer_linux.go).
func (sh *shard) run() {
	procs.MediaStarting() // the Ps for the wheels and receivers (threads.go)
	pacer := pinPacer(sh.index)
	sh.sched.notePacer(pacer.mode)
	watch := newStallWatch()
	defer watch.close()
	// The thread's own batch (and io_uring): it sends whatever slots the
	// thread serves, its wheel's or another's.
	var batch sendBatch
	defer batch.close()
	// cause holds from a late wake through the overdue slots it left to
	// serve: they are late for the same reason.
	cause := lateWork
	for {
		if sh.stallForTest != nil {
			sh.stallForTest()
		}
		due := monoBase.Add(time.Duration(sh.nextDue.Load()))
		if pacer.sleepUntil(due) {
			cause = watch.woke(time.Since(due))
			sh.sched.causes[cause].Add(sh.pendingLate.Swap(0))
		}
		if _, stopped := sh.serveDue(cause, watch, &batch, nil); stopped {
			return
		}
		sh.sched.hedge(sh, watch, &batch)
		if pacer.hogging(time.Now()) && pacer.demote() {
			sh.sched.notePacer(pacer.mode)
		}
	}
}

// serveDue serves, in order, every slot due by now, whichever wheel's
// thread calls it: under mu it ticks the slot's sessions and releases the
// delayed packets now due, then it sends them in batch with mu released,
// so that another wheel can serve the next slots if this thread stalls in
// the system call. cause is why the calling thread is late, if it is
// (lateOwner: it serves another wheel's slots, whose own wake will say);
// watch is that thread's. The owner's call stops the wheel when it finds
// nothing left to do (stopped). Another wheel's call (helper, the wheel
// whose thread it is) leaves that to the owner, and returns as soon as
// its own wheel's next slot is due: a thread keeps its own wheel on time
// and serves the other's backlog in between.
func (sh *shard) serveDue(cause lateCause, watch *stallWatch, batch *sendBatch, helper *shard) (sent int, stopped bool) {
	owner := helper == nil
	for {
		if helper != nil && monoNow() >= helper.nextDue.Load() {
			return sent, false
		}
		if owner {
			sh.mu.Lock()
		} else if !sh.mu.TryLock() {
			return sent, false
		}
		due := sh.epoch.Add(time.Duration(sh.next) * slotInterval)
		if !sh.running || time.Now().Before(due) {
			if owner && sh.n == 0 && sh.delayq.Len() == 0 {
				sh.sched.causes[cause].Add(sh.pendingLate.Swap(0))
				sh.running = false
				sh.nextDue.Store(idleDue)
				stopped = true
			}
			sh.mu.Unlock()
			return sent, stopped
		}
		n := sh.serveSlot(sh.next%slotsPerFrame, batch)
		sh.next++
		sh.nextDue.Store(int64(due.Add(slotInterval).Sub(monoBase)))
		sh.delayq.flush(time.Now(), batch)
		sh.mu.Unlock()

		// Each packet counts as sent when its slot's batch went out
		// (monotonic clock: due and now both carry it).
		batch.flush()
		if n == 0 {
			continue
		}
		late := time.Since(due)
		if late > lateThreshold && cause == lateWork {
			// Woke on time, late anyway: what did the thread do
			// meanwhile? Asked once: the answer holds for the rest of
			// this pass.
			cause = watch.workCause()
		}
		sh.sched.record(n, late, cause)
		if late > lateThreshold && cause == lateOwner {
			sh.pendingLate.Add(uint64(n))
		}
		sent += n
	}
}

// serveSlot ticks slot k's sessions, adds their packets to batch, drops
// the sessions with nothing more to send, and says how many sent.
func (sh *shard) serveSlot(k int, batch *sendBatch) int {
	list := sh.slots[k]
	kept := list[:0]
	sent := 0
	for _, s := range list {
		keep, didSend := s.tick(time.Now(), &sh.delayq, batch)
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
	return sent
}
