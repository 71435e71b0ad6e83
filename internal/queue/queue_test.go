package queue

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// take pops everything queued without waiting.
func take[T any](q *Queue[T]) []T {
	var out []T
	for {
		v, ok := q.TryPop()
		if !ok {
			return out
		}
		out = append(out, v)
	}
}

func TestOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ops  func(q *Queue[int])
		want []int
	}{
		{"empty", func(*Queue[int]) {}, nil},
		{"fifo", func(q *Queue[int]) { q.Push(1); q.Push(2); q.Push(3) }, []int{1, 2, 3}},
		{"push front keeps its order", func(q *Queue[int]) {
			q.Push(3)
			q.Push(4)
			q.PushFront(1, 2)
		}, []int{1, 2, 3, 4}},
		{"push front after a take", func(q *Queue[int]) {
			q.Push(9)
			q.Push(3)
			_, _ = q.TryPop()
			q.PushFront(1, 2)
			q.Push(4)
		}, []int{1, 2, 3, 4}},
		{"push front on empty", func(q *Queue[int]) { q.PushFront(1, 2) }, []int{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var q Queue[int]
			tt.ops(&q)
			assert.Equal(t, len(tt.want), q.Len())
			assert.Equal(t, tt.want, take(&q))
			assert.Zero(t, q.Len())
		})
	}
}

func TestDrain(t *testing.T) {
	t.Parallel()
	var q Queue[string]
	assert.Nil(t, q.Drain())
	q.Push("a")
	q.Push("b")
	_, _ = q.TryPop()
	q.Push("c")
	assert.Equal(t, []string{"b", "c"}, q.Drain())
	assert.Zero(t, q.Len())
	q.Push("d")
	assert.Equal(t, []string{"d"}, q.Drain(), "the queue works after a drain")
}

// Taking from the front reclaims the array: many items pushed and taken
// in waves come out in order, and the backing array stays near the
// high-water mark.
func TestCompaction(t *testing.T) {
	t.Parallel()
	var q Queue[int]
	next, want := 0, 0
	for wave := 0; wave < 20; wave++ {
		for i := 0; i < 3000; i++ {
			q.Push(next)
			next++
		}
		for i := 0; i < 2900; i++ {
			v, ok := q.TryPop()
			require.True(t, ok)
			require.Equal(t, want, v, "TryPop() in wave %d", wave)
			want++
		}
	}
	assert.Equal(t, next-want, q.Len())
	assert.LessOrEqual(t, cap(q.items), 8*q.MaxLen(), "backing array %d for a high-water mark of %d", cap(q.items), q.MaxLen())
	for _, v := range take(&q) {
		require.Equal(t, want, v)
		want++
	}
	assert.Equal(t, next, want)
}

func TestMaxLen(t *testing.T) {
	t.Parallel()
	var q Queue[int]
	for i := range 5 {
		q.Push(i)
	}
	take(&q)
	q.Push(1)
	q.PushFront(0)
	assert.Equal(t, 5, q.MaxLen())
	assert.Equal(t, 2, q.Len())
}

func TestClose(t *testing.T) {
	t.Parallel()
	errGone := errors.New("gone")
	tests := []struct {
		name    string
		closeTo error
		want    error
	}{
		{"with an error", errGone, errGone},
		{"with nil", nil, ErrClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var q Queue[int]
			require.True(t, q.Push(1))
			require.True(t, q.Push(2))
			q.Close(tt.closeTo)
			q.Close(errors.New("second close is ignored"))
			assert.False(t, q.Push(3), "Push after Close")
			assert.False(t, q.PushFront(0), "PushFront after Close")
			ctx := context.Background()
			for _, want := range []int{1, 2} {
				v, err := q.Pop(ctx)
				require.NoError(t, err, "queued items come before the close error")
				assert.Equal(t, want, v)
			}
			_, err := q.Pop(ctx)
			assert.ErrorIs(t, err, tt.want)
			_, err = q.Pop(ctx)
			assert.ErrorIs(t, err, tt.want, "the error repeats")
		})
	}
}

func TestPopWaits(t *testing.T) {
	t.Parallel()
	var q Queue[int]
	got := make(chan int)
	go func() {
		v, err := q.Pop(context.Background())
		if err == nil {
			got <- v
		}
		close(got)
	}()
	q.Push(7)
	select {
	case v := <-got:
		assert.Equal(t, 7, v)
	case <-time.After(10 * time.Second):
		t.Fatal("Pop did not return after Push")
	}
}

func TestPopContext(t *testing.T) {
	t.Parallel()
	var q Queue[int]
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := q.Pop(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	q.Push(1)
	v, err := q.Pop(ctx)
	require.NoError(t, err, "a queued item is returned even when ctx is done")
	assert.Equal(t, 1, v)
}

func TestReady(t *testing.T) {
	t.Parallel()
	var q Queue[int]
	select {
	case <-q.Ready():
		t.Fatal("Ready fired on an empty queue")
	default:
	}
	q.Push(1)
	q.Push(2)
	select {
	case <-q.Ready():
	default:
		t.Fatal("Ready did not fire after Push")
	}
	assert.Equal(t, []int{1, 2}, q.Drain(), "one token stands for both pushes")
	q.Close(nil)
	select {
	case <-q.Ready():
	default:
		t.Fatal("Ready did not fire after Close")
	}
}

// Many producers, one consumer selecting on Ready: every item arrives once
// and each producer's items stay in order. Run with -race.
func TestConcurrent(t *testing.T) {
	t.Parallel()
	const producers, each = 8, 2000
	type item struct{ p, i int }
	var q Queue[item]
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				q.Push(item{p, i})
			}
		}()
	}
	go func() { wg.Wait(); q.Close(nil) }()
	next := make([]int, producers)
	n := 0
	for {
		it, err := q.Pop(context.Background())
		if errors.Is(err, ErrClosed) {
			break
		}
		require.NoError(t, err)
		require.Equal(t, next[it.p], it.i, "producer %d out of order", it.p)
		next[it.p]++
		n++
	}
	assert.Equal(t, producers*each, n)
}
