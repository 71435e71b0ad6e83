//go:build !linux

package media

import "time"

// Outside Linux there is no per-thread schedstat (stall_linux.go): no late
// packet is put down to the machine.
type stallWatch struct{}

func newStallWatch() *stallWatch { return &stallWatch{} }

func (*stallWatch) close() {}

func (*stallWatch) woke(time.Duration) bool { return false }
