package metrics

import (
	"testing"
	"time"
)

// BenchmarkClockBookPerCall is the clock book's share of one call of an
// embedded run: the ten events the runner observes for it (2 legs'
// create, answer, park and hangup, the callee's progress, the originate's
// result), 50 µs apart as at 2 000 calls/s, then the call's record
// assigned its clock as it ends.
func BenchmarkClockBookPerCall(b *testing.B) {
	bk := NewClockBook()
	at := clockEpoch
	rec := Record{CallerNode: "agent", CallerCreate: clockEpoch, Received: Received{CallerCreate: clockEpoch}}
	b.ReportAllocs()
	for b.Loop() {
		for range 10 {
			at = at.Add(50 * time.Microsecond)
			bk.Observe("agent", at, at.Add(100*time.Microsecond))
		}
		r := rec
		bk.assign(&r)
	}
}
