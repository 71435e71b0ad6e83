// Package runner is the originator: it turns a validated plan into calls.
// It owns pacing through stages, the concurrency limit, weighted flow choice,
// the node pool and node selection, correlation of caller and callee legs,
// stopping and hanging up, and live progress.
package runner
