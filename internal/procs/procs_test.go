package procs

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSpareAndMediaStarting(t *testing.T) {
	tests := []struct {
		name      string
		env       map[string]string
		spare     func(before int) int
		withMedia func(before int) int
	}{
		{"default: one spare, then a wheel, a receiver per CPU and one spare",
			nil, func(b int) int { return b + 1 }, func(b int) int { return 2*b + 1 }},
		{"the user's GOMAXPROCS wins", map[string]string{"GOMAXPROCS": "2"},
			func(b int) int { return b }, func(b int) int { return b }},
		{"even an empty one", map[string]string{"GOMAXPROCS": ""},
			func(b int) int { return b }, func(b int) int { return b }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := runtime.GOMAXPROCS(0)
			restore := Spare(func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			assert.Equal(t, tt.spare(before), runtime.GOMAXPROCS(0))
			MediaStarting()
			MediaStarting()
			assert.Equal(t, tt.withMedia(before), runtime.GOMAXPROCS(0))
			restore()
			assert.Equal(t, before, runtime.GOMAXPROCS(0))
		})
	}
}

func TestMediaStartingWithoutSpareDoesNothing(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	MediaStarting()
	assert.Equal(t, before, runtime.GOMAXPROCS(0))
}

func TestForMedia(t *testing.T) {
	for cpus, want := range map[int]int{0: 3, 1: 3, 2: 5, 8: 17} {
		assert.Equal(t, want, ForMedia(cpus), "cpus %d", cpus)
	}
}
