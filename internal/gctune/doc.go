// Package gctune sets the Go garbage collector for callplan's long-running,
// allocation-heavy commands (`run` and `agent`): it trades a bounded amount
// of memory for fewer collections.
//
// A loop call through the agent allocates about 170 kB and leaves almost
// nothing live (the agent's live heap stays near 9 MB), so with Go's default
// GOGC=100 the collector runs every ~9 MB of allocation, about every 50
// calls, and takes about a fifth of the CPU (docs/performance.md, issue 16).
// Raising the percent to 400 makes each cycle wait for 4× the live heap of
// new allocation instead of 1×, so a quarter as many cycles do the same
// work; the cost is a larger heap between collections.
//
// The guard: the percent is re-chosen after every collection from the live
// heap, so that the heap may grow by at most Budget bytes beyond what is
// live, and never by less than the default GOGC=100 allows. A small live
// heap gets the full 400 (9 MB live → about 45 MB peak instead of 18 MB); a
// live heap of Budget or more gets 100, the default, so a big run is never
// collected more often than without this package and never holds more than
// Budget extra. This is a goal, not a hard limit (GOMEMLIMIT is the hard
// one, and the user's to set).
//
// A user who sets GOGC keeps their own setting: Apply then does nothing. A
// GOMEMLIMIT the user sets is honoured by the runtime either way: the
// collector runs early when the process nears it, whatever the percent.
package gctune
