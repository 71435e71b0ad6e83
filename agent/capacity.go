package agent

// An agent with Config.Capacity set pretends to run on a small machine, so
// tests can saturate a generator node with a handful of calls: each
// channel takes 1/Capacity of its CPU. The idle CPU it reports (the second
// figure of status's "min idle cpu" line, HEARTBEAT's Idle-CPU) is the
// host's, or 100 × (1 − channels/Capacity) when that is lower, never below
// 0, as FreeSWITCH's idle CPU sinks on a node running out of CPU.

// idleCPU is the idle CPU share the agent reports now (percent).
func (a *Agent) idleCPU() float64 {
	idle := a.cpu.idle()
	if c := a.cfg.Capacity; c > 0 {
		a.mu.Lock()
		n := len(a.channels)
		a.mu.Unlock()
		idle = min(idle, max(0, 100*(1-float64(n)/float64(c))))
		// The lowest value reported is status's first figure here.
		for {
			old := a.cpu.minIdle.Load()
			if idle >= floatFromBits(old) || a.cpu.minIdle.CompareAndSwap(old, floatBits(idle)) {
				break
			}
		}
	}
	return idle
}
