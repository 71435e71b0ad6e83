package agent

import "time"

// stamp is the time an event is stamped with. With Config.EventClockStep
// set, the agent stamps events as FreeSWITCH does with its default timer
// settings: from a cached clock that moves once per tick
// (switch_micro_time_now returns runtime.timestamp, updated every
// runtime.microseconds_per_tick, 20 000 µs by default; src/switch_time.c,
// src/switch_core.c), so every event of a tick carries the tick's time.
// Tests use it to check that callplan notices coarse timestamps and
// measures on its own receipt clock instead.
func (id *identity) stamp(now time.Time) time.Time {
	if id.step <= 0 {
		return now
	}
	return now.Truncate(id.step)
}
