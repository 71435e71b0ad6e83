// Package runner is the originator: it turns a validated plan into calls.
// It owns pacing through stages, the concurrency limit, weighted flow choice,
// the node pool and node selection, correlation of caller and callee legs,
// stopping and hanging up, and live progress.
//
// The pieces: Pacer and Schedule (arrival times, pacer.go); the engine
// (engine.go), one pacing goroutine, one event pump per node and a short-
// lived actor per call while its flow acts, all state under one mutex; the
// call and its flows.CallControl legs (call.go); nodes, the overdrive guard
// and selection policies (node.go); Preflight; and Conn, the narrow view of
// a node's Event Socket the runner needs, provided by the esl package's
// client through DialESL (eslclient.go). Tests drive the engine against an
// in-memory switch at that boundary and, tagged e2e, against embedded
// agents over real SIP.
package runner
