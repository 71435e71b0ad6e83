package media

import "runtime"

// The engine runs a send wheel and a receiver per CPU. Each wheel has its
// own real-time thread, so the wheels serve their slots in parallel: a
// loopback send also does the receiving side's kernel work, and one wheel
// alone for 2000 streams left a fifth of their packets late by its work.
// More wheels than CPUs only take more Ps: a sleeping wheel keeps its P
// only while another is idle, and three wheels and three receivers on three
// Ps left up to 13.8 % of packets late waiting for one (internal/procs
// raises GOMAXPROCS to a P for each wheel and receiver and one spare as the
// first wheel starts, which is why it is told: procs.MediaStarting).
func engineThreads() (wheels, receivers int) {
	n := max(1, runtime.NumCPU())
	return n, n
}
