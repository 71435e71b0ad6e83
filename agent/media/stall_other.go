//go:build !linux

package media

import "time"

// Outside Linux there is no per-thread schedstat (stall_linux.go): every late
// packet is put down to the wheel's own work.
type stallWatch struct{}

func newStallWatch() *stallWatch { return &stallWatch{} }

func (*stallWatch) close() {}

func (*stallWatch) woke(time.Duration) lateCause { return lateWork }

func (*stallWatch) workCause() lateCause { return lateWork }
