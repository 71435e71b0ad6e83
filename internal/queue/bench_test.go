package queue

import (
	"context"
	"testing"
)

// BenchmarkPushPop is the uncontended cost of one item through the queue.
func BenchmarkPushPop(b *testing.B) {
	var q Queue[int]
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		q.Push(i)
		_, _ = q.TryPop()
	}
}

// BenchmarkHandoff passes items from one goroutine to another through the
// queue; BenchmarkHandoffChannel does the same through a buffered channel,
// the bounded structure the queue replaces, as the reference.
func BenchmarkHandoff(b *testing.B) {
	var q Queue[int]
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if _, err := q.Pop(context.Background()); err != nil {
				return
			}
		}
	}()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		q.Push(i)
	}
	q.Close(nil)
	<-done
}

func BenchmarkHandoffChannel(b *testing.B) {
	ch := make(chan int, 1024)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range ch {
		}
	}()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ch <- i
	}
	close(ch)
	<-done
}
