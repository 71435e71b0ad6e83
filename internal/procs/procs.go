// Package procs gives callplan's call-making commands enough Go Ps: one
// spare for a signalling-only run, and enough that the media engine's send
// wheels never wait for one once media flows.
//
// A send wheel (agent/media/pacer_linux.go) sleeps in a system call on its
// own real-time thread and must hold a P again to run when it wakes. While
// it sleeps, Go's sysmon takes its P away to run other goroutines whenever
// no other P is idle, and the woken wheel then waits behind them. The
// engine runs one wheel and one receiver per CPU (agent/media/threads.go),
// and a busy receiver keeps its P; so the wheels keep theirs only when
// there is a P for every wheel, one for every receiver and one more left
// idle: 2 x CPUs + 1. Measured on 2 cores, 2000 streams for 40 s with the
// machine loaded 2-11 (docs/performance.md, "What is left of the lateness,
// and a P for every wheel"): at GOMAXPROCS=3 with three wheels and
// receivers, up to 13.8 % of packets were late because a wheel waited for
// a P; at 5 with two of each, 0-0.007 %.
// Those Ps cost a run without media CPU (more threads spinning for work:
// 5-30 % more per call at 1000 calls/s), so they are taken only when the
// first wheel starts (MediaStarting), and kept from then on: a load test's
// media comes and goes with its calls, and each change of GOMAXPROCS
// stops the world.
//
// A user who sets GOMAXPROCS keeps it: Spare and MediaStarting then do
// nothing.
package procs

import (
	"runtime"
	"sync"
)

// ForMedia is GOMAXPROCS for a machine of cpus CPUs while media flows: a P
// for each CPU's wheel and receiver, and one spare.
func ForMedia(cpus int) int { return 2*max(cpus, 1) + 1 }

var state struct {
	sync.Mutex
	base   int  // the runtime's default GOMAXPROCS, when Spare took over
	spared bool // Spare is in force: MediaStarting may raise
	raised bool
}

// Spare raises GOMAXPROCS by one unless the user set it (read through
// getenv), and lets MediaStarting raise it further. It returns a function
// that restores what it found.
func Spare(getenv func(string) (string, bool)) (restore func()) {
	if _, set := getenv("GOMAXPROCS"); set {
		return func() {}
	}
	state.Lock()
	defer state.Unlock()
	prev := runtime.GOMAXPROCS(0)
	runtime.GOMAXPROCS(prev + 1)
	state.base, state.spared, state.raised = prev, true, false
	return func() {
		state.Lock()
		defer state.Unlock()
		state.spared, state.raised = false, false
		runtime.GOMAXPROCS(prev)
	}
}

// MediaStarting is called by the media engine as a send wheel starts. The
// first call after Spare raises GOMAXPROCS to ForMedia; without Spare (a
// user's GOMAXPROCS, a library use, a test) it does nothing.
func MediaStarting() {
	state.Lock()
	defer state.Unlock()
	if !state.spared || state.raised {
		return
	}
	state.raised = true
	if want := ForMedia(state.base); runtime.GOMAXPROCS(0) < want {
		runtime.GOMAXPROCS(want)
	}
}
