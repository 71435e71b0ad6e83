// Package procs gives callplan's call-making commands one Go P more than
// the runtime's default, so that the media engine's wheels find one free
// when they wake.
//
// A send wheel (agent/media/pacer_linux.go) sleeps in a system call on its
// own real-time thread and must hold a P again to run when it wakes. While
// it sleeps, Go's sysmon takes its P away to run other goroutines whenever
// no other P is idle; with GOMAXPROCS equal to the CPUs, a busy agent
// (receivers, SIP, ESL) keeps every P running, and the woken wheel waits
// behind them. One spare P is usually idle, so the sleeping wheel keeps its
// own and resumes at once. Measured on 2 cores, 1000 calls held 30 s with
// media both ways: packets more than 5 ms late 0.27-0.55 % at GOMAXPROCS=2,
// 0.05-0.14 % at 3 (docs/performance.md, "The wheels' threads").
//
// A user who sets GOMAXPROCS keeps it: Spare then does nothing.
package procs

import "runtime"

// Spare raises GOMAXPROCS by one unless the user set it (read through
// getenv). It returns a function that restores what it found.
func Spare(getenv func(string) (string, bool)) (restore func()) {
	if _, set := getenv("GOMAXPROCS"); set {
		return func() {}
	}
	prev := runtime.GOMAXPROCS(0)
	runtime.GOMAXPROCS(prev + 1)
	return func() { runtime.GOMAXPROCS(prev) }
}
