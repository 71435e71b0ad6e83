package media

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// A wheel's own thread, raised above the process's other work. A wheel
// goroutine woken by a Go timer waits for a P, and the thread holding one
// may itself be waiting for a CPU on a busy machine: the wake-up then lands
// milliseconds late however light the wheel's work. So each running wheel
// keeps one OS thread to itself, asks the kernel for real-time scheduling
// on it (SCHED_FIFO at the lowest real-time priority, as FreeSWITCH does
// for its threads when started with -rp), falls back to a raised nice
// value, and sleeps in clock_nanosleep there: the kernel wakes it on time
// and it runs ahead of ordinary threads. Measured in docs/performance.md
// ("Media engine: the wheel's thread"): on a machine loaded 3-4x, packets
// more than 5 ms late went from 18-20 % to 0.2-0.4 %.
//
// CALLPLAN_MEDIA_PRIORITY chooses: realtime (the default; falls back to
// nice, then to normal), nice, or normal.

// pacerNice is the nice value asked for when real-time scheduling is not
// allowed: ahead of ordinary work (0) without starving the system's own.
const pacerNice = -10

// pacer is the calling goroutine's hold on its thread.
type pacer struct {
	mode     string // what the thread got, for SchedulerStats.Pacer
	realtime bool
	cpu      int // the one CPU a real-time wheel's thread runs on, or -1

	// The current window of the thread's CPU clock (hogging): a second.
	window      time.Duration
	windowStart time.Time
	windowCPU   time.Duration
}

// maxRealtimeBusy is the share of a second a real-time wheel may keep its
// CPU busy before it gives real-time up: at 1000 calls a wheel is busy
// about a tenth of the time (docs/performance.md), so 0.9 means it can no
// longer keep up, not that it is working hard.
const maxRealtimeBusy = 0.9

// pinPacer locks the calling goroutine to its thread for good (the thread
// ends with the goroutine, so a raised priority never returns to Go's
// pool) and raises the thread's priority as far as it may. A thread that
// gets real time is also bound to one CPU, wheel i to the i-th the process
// may use (bindCPU).
func pinPacer(wheel int) *pacer {
	runtime.LockOSThread()
	p := &pacer{window: time.Second, cpu: -1}
	want := os.Getenv("CALLPLAN_MEDIA_PRIORITY")
	var why []string
	if want == "" || want == "realtime" {
		attr := unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_FIFO, Priority: 1}
		err := unix.SchedSetAttr(0, &attr, 0)
		if err == nil {
			p.mode, p.realtime = "SCHED_FIFO 1", true
			p.bindCPU(wheel)
			return p
		}
		why = append(why, fmt.Sprintf("SCHED_FIFO: %v", err))
	}
	if want == "" || want == "realtime" || want == "nice" {
		err := unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), pacerNice)
		if err == nil {
			p.mode = fmt.Sprintf("nice %d", pacerNice)
			return p
		}
		why = append(why, fmt.Sprintf("nice %d: %v", pacerNice, err))
	}
	p.mode = "normal"
	if len(why) > 0 {
		p.mode = fmt.Sprintf("normal (not raised: %v)", why)
	}
	return p
}

// processCPUs is the set of CPUs the process may run on (its main
// thread's affinity: taskset, a cgroup's cpuset).
var processCPUs = sync.OnceValues(func() (unix.CPUSet, error) {
	var set unix.CPUSet
	err := unix.SchedGetaffinity(os.Getpid(), &set)
	return set, err
})

// bindCPU binds a real-time wheel's thread to one CPU: the wheel-th of the
// process's (modulo their number). Stalls of this project's virtual
// machine hit one CPU at a time, and the wheels serve each other's overdue
// slots (scheduler.hedge); left to wake where they last ran, two real-time
// wheels often shared a CPU, and a stall of it stalled both
// (docs/performance.md, "Wheels that cover for each other"). Only a
// real-time thread is bound: it runs ahead of ordinary work wherever it
// is, where a thread at an ordinary priority bound to a busy CPU would
// wait for it. With one CPU there is nothing to spread.
func (p *pacer) bindCPU(wheel int) {
	set, err := processCPUs()
	n := set.Count()
	if err != nil || n < 2 {
		return
	}
	k := wheel % n
	for cpu := 0; cpu < len(set)*64; cpu++ {
		if !set.IsSet(cpu) {
			continue
		}
		if k > 0 {
			k--
			continue
		}
		var one unix.CPUSet
		one.Set(cpu)
		if unix.SchedSetaffinity(0, &one) == nil {
			p.cpu = cpu
		}
		return
	}
}

// hogging says whether a real-time wheel has kept its CPU busy for most
// of the last second, read from the thread's own CPU clock once a second
// (so a wheel that is behind only because it waited for a CPU or a P is
// not mistaken for one that has more to send than a CPU serves).
func (p *pacer) hogging(now time.Time) bool {
	if !p.realtime {
		return false
	}
	if now.Sub(p.windowStart) < p.window {
		return false
	}
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return false
	}
	cpu := time.Duration(ts.Nano())
	busy := float64(cpu-p.windowCPU) / float64(now.Sub(p.windowStart))
	hog := !p.windowStart.IsZero() && busy > maxRealtimeBusy
	p.windowStart, p.windowCPU = now, cpu
	return hog
}

// demote drops a real-time thread to the raised nice value: a wheel with
// more to send than one CPU serves would, at real-time priority, keep that
// CPU from everything else, the process's own receivers included. true:
// the thread was demoted now.
func (p *pacer) demote() bool {
	if !p.realtime {
		return false
	}
	p.realtime = false
	if p.cpu >= 0 {
		// At an ordinary priority the thread must be free to move
		// off a busy CPU.
		if set, err := processCPUs(); err == nil && unix.SchedSetaffinity(0, &set) == nil {
			p.cpu = -1
		}
	}
	attr := unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_NORMAL, Nice: pacerNice}
	if err := unix.SchedSetAttr(0, &attr, 0); err != nil {
		attr.Nice = 0
		_ = unix.SchedSetAttr(0, &attr, 0)
		p.mode = "normal (real-time dropped: the wheel kept its CPU busy)"
		return true
	}
	p.mode = fmt.Sprintf("nice %d (real-time dropped: the wheel kept its CPU busy)", pacerNice)
	return true
}

// sleepUntil blocks the wheel's thread until due on the monotonic clock
// (time.Until reads CLOCK_MONOTONIC, as clock_nanosleep here does). It
// says whether it slept: a wheel that is behind goes straight on.
func (p *pacer) sleepUntil(due time.Time) bool {
	for slept := false; ; slept = true {
		d := time.Until(due)
		if d <= 0 {
			return slept
		}
		ts := unix.NsecToTimespec(int64(d))
		if unix.ClockNanosleep(unix.CLOCK_MONOTONIC, 0, &ts, nil) == nil {
			return true
		}
		// EINTR (a signal, Go's preemption among them): sleep the rest.
	}
}
