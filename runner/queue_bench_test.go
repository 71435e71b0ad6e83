package runner

import (
	"syscall"
	"testing"
	"time"
)

// BenchmarkEventQueue is a driver handing events to the engine's pump
// through an eventQueue (its own goroutine and channel): the hand-off every
// node event makes, about ten per call. Pushes come in bursts, as a
// driver's reader translates what one read from the socket brought.
func BenchmarkEventQueue(b *testing.B) {
	q := newEventQueue()
	defer q.close()
	ev := LegEvent{Kind: EventAnswered, LegID: "leg", Received: time.Now()}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range b.N {
			<-q.events()
		}
	}()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := benchCPU()
	for i := range b.N {
		q.push(ev)
		if i%8 == 7 {
			// A burst read from the socket is over: wait for the next.
			time.Sleep(time.Microsecond)
		}
	}
	<-done
	b.ReportMetric(float64(benchCPU()-cpu0)/float64(b.N), "cpu-ns/event")
}

// benchCPU is this process's user and system time in nanoseconds.
func benchCPU() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
