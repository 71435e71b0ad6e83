package media

import (
	"time"

	"golang.org/x/sys/unix"
)

// Telling the machine's stalls from the process's. A wheel that wakes late
// waited for one of three things: a CPU (the kernel had other runnable work
// ahead of it), a P (Go's scheduler had handed its P away while it slept, so
// it blocked again on a futex before it could run), or nothing the guest
// kernel can see: the virtual CPU itself was not running (the host's
// scheduler, a CPU quota; this kernel reports no steal time) or the timer
// interrupt came late. The kernel's per-thread schedstat tells them apart:
// its second field is the time the thread spent runnable but waiting for a
// CPU, its third the number of times it was put on one. A sleep that ends
// on its own wake-up is one switch; a wait for a P adds at least one more.
//
// Measured on this project's machine (docs/performance.md, "What is left of
// the lateness, and a P for every wheel"): the share of packets late this
// way matched what a C thread at SCHED_FIFO, pinned to each CPU, suffered
// at the same time (docs/tools/wheelfloor.c); under load those stalls came
// at one phase of each second, 20-30 ms long, as a CPU quota of the virtual
// machine running out would.

// stallWatch reads the wheel thread's schedstat once per wake.
type stallWatch struct {
	fd          int // /proc/thread-self/schedstat of the wheel's thread, or -1
	wait, count int64
	buf         [96]byte
}

// newStallWatch opens the calling thread's schedstat; the goroutine must be
// locked to its thread (pinPacer), as the file names the thread it was
// opened on.
func newStallWatch() *stallWatch {
	w := &stallWatch{fd: -1}
	fd, err := unix.Open("/proc/thread-self/schedstat", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err == nil {
		w.fd = fd
		w.wait, w.count, _ = w.read()
	}
	return w
}

func (w *stallWatch) close() {
	if w.fd >= 0 {
		_ = unix.Close(w.fd)
		w.fd = -1
	}
}

// read returns the thread's total run-queue wait (ns) and switch count:
// the second and third of the file's three decimal fields. It allocates
// nothing: it runs at every wake of every wheel.
func (w *stallWatch) read() (wait, count int64, ok bool) {
	n, err := unix.Pread(w.fd, w.buf[:], 0)
	if err != nil || n <= 0 {
		return 0, 0, false
	}
	var f [3]int64
	field, digits := 0, false
	for _, c := range w.buf[:n] {
		switch {
		case c >= '0' && c <= '9' && field < len(f):
			f[field] = f[field]*10 + int64(c-'0')
			digits = true
		case digits:
			field, digits = field+1, false
		}
	}
	if digits {
		field++
	}
	return f[1], f[2], field >= 3
}

// woke is called after each sleep of the wheel, with how late it woke, and
// says why (wakeCause). Without schedstat a late wake is put down to the
// wheel's own work, so nothing is excused.
func (w *stallWatch) woke(late time.Duration) lateCause {
	cpuWait, switches, ok := w.since()
	if !ok {
		return lateWork
	}
	return wakeCause(late, cpuWait, switches)
}

// workCause is called when slots a wheel served after an on-time wake went
// out late anyway, and says why from what the thread did since its wake:
// put back on a CPU (it blocked: on a lock, for a P, or in the collector's
// stop-the-world), runnable but waiting for a CPU, or neither: the work
// itself, or a stall of the machine in the middle of it, which the guest
// cannot tell apart.
func (w *stallWatch) workCause() lateCause {
	cpuWait, switches, ok := w.since()
	if !ok {
		return lateWork
	}
	return midWorkCause(cpuWait, switches)
}

// since reads the thread's schedstat and says how long it waited for a CPU
// and how often it was put on one since the previous read.
func (w *stallWatch) since() (cpuWait time.Duration, switches int64, ok bool) {
	if w.fd < 0 {
		return 0, 0, false
	}
	wait, count, ok := w.read()
	if !ok {
		return 0, 0, false
	}
	cpuWait, switches = time.Duration(wait-w.wait), count-w.count
	w.wait, w.count = wait, count
	return cpuWait, switches, true
}

// midWorkCause: a thread that was put on a CPU again since its wake had
// blocked; one that waited for a CPU longer than the threshold was the
// kernel's to run sooner; otherwise the time went on the work (or on a
// stall the guest cannot see).
func midWorkCause(cpuWait time.Duration, switches int64) lateCause {
	switch {
	case switches > 0:
		return lateBlocked
	case cpuWait > lateThreshold:
		return lateCPU
	default:
		return lateWork
	}
}

// wakeCause: a wake late by more than the threshold whose thread was put on
// a CPU more than once since the previous wake blocked again after its own
// wake-up, waiting for a P; one that waited for a CPU longer than the
// threshold was the kernel's to run sooner; otherwise, without what the
// guest cannot see it would have been on time: the machine stalled. A wake
// on time is lateWork: if its slots go out late, the work made them so.
func wakeCause(late, cpuWait time.Duration, switches int64) lateCause {
	switch {
	case late <= lateThreshold:
		return lateWork
	case switches > 1:
		return lateP
	case cpuWait > lateThreshold:
		return lateCPU
	default:
		return lateStalled
	}
}
