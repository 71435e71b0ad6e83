// Package procs gives callplan's call-making commands enough Go Ps that the
// media engine's send wheels never wait for one when they wake.
//
// A send wheel (agent/media/pacer_linux.go) sleeps in a system call on its
// own real-time thread and must hold a P again to run when it wakes. While
// it sleeps, Go's sysmon takes its P away to run other goroutines whenever
// no other P is idle, and the woken wheel then waits behind them. The
// engine runs one wheel and one receiver per CPU (agent/media/ports.go),
// and a busy receiver keeps its P; so the wheels keep theirs only when
// there is a P for every wheel, one for every receiver and one more left
// idle: 2 x CPUs + 1. Measured on 2 cores, 2000 streams for 40 s with the
// machine loaded 2-11 (docs/performance.md, "A P for every wheel"): at
// GOMAXPROCS=3 with three wheels and receivers, 0.2-13.8 % of packets were
// late because a wheel waited for a P; at 5 with two of each, 0-0.007 %.
//
// A user who sets GOMAXPROCS keeps it: Spare then does nothing.
package procs

import "runtime"

// ForMedia is GOMAXPROCS for a machine of cpus CPUs: a P for each CPU's
// wheel and receiver, and one spare.
func ForMedia(cpus int) int { return 2*max(cpus, 1) + 1 }

// Spare sets GOMAXPROCS to ForMedia of the CPUs the runtime's default
// counts, unless the user set it (read through getenv). It returns a
// function that restores what it found.
func Spare(getenv func(string) (string, bool)) (restore func()) {
	if _, set := getenv("GOMAXPROCS"); set {
		return func() {}
	}
	prev := runtime.GOMAXPROCS(0)
	runtime.GOMAXPROCS(ForMedia(prev))
	return func() { runtime.GOMAXPROCS(prev) }
}
