package media

import "runtime"

// engineThreads chooses how many send wheels and receivers the engine runs
// on a machine of cpus CPUs with gomaxprocs Ps: a wheel per CPU (each on its
// own real-time thread, so the wheels serve their slots in parallel: a
// loopback send also does the receiving side's kernel work, and one wheel
// alone left a fifth of 2000 streams' packets late by its work), then a
// receiver for each P left once one is kept spare, up to one per CPU. A
// wheel keeps its P while it sleeps only if some P stays idle
// (internal/procs says why), so with GOMAXPROCS = 2 x CPUs + 1, what
// `callplan run` and `agent` take, there is a P for each wheel, each
// receiver and one more; with fewer, the receivers give way first.
func engineThreads(cpus, gomaxprocs int) (wheels, receivers int) {
	wheels = max(1, cpus)
	receivers = max(1, min(cpus, gomaxprocs-1-wheels))
	return wheels, receivers
}

// defaultEngineThreads is engineThreads for this process.
func defaultEngineThreads() (wheels, receivers int) {
	return engineThreads(runtime.NumCPU(), runtime.GOMAXPROCS(0))
}
