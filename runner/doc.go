// Package runner is the originator: it turns a validated plan into calls.
// It owns pacing through stages, the concurrency limit, weighted flow choice,
// the node pool and node selection, correlation of caller and callee legs,
// stopping and hanging up, and live progress.
//
// The pieces: Pacer and Schedule (arrival times, pacer.go); the engine,
// one pacing goroutine, one event pump per node and a short-lived actor per
// call while its flow acts, all state under one mutex, in files by job:
// the run and its configuration (engine.go), arrivals and pacing
// (arrivals.go), starting calls (originate.go), matching the drivers'
// events to calls (correlate.go), a call's life to its end (lifecycle.go)
// and draining and stopping (stop.go); the call and its flows.CallControl
// legs (call.go); nodes, the overdrive guard
// and selection policies (node.go); and Driver, a generator node in the
// runner's own terms, delivering typed LegEvents (driver.go). The ESL
// driver (esldriver.go, eslcommands.go, eslevents.go, eslpreflight.go) is
// the only part that knows FreeSWITCH's command text and header names.
// Tests drive the engine through an in-memory Driver double and, tagged
// e2e, against embedded agents over real SIP.
package runner
