package procs

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSpare(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		add  int
	}{
		{"default", nil, 1},
		{"the user's GOMAXPROCS wins", map[string]string{"GOMAXPROCS": "2"}, 0},
		{"even an empty one", map[string]string{"GOMAXPROCS": ""}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := runtime.GOMAXPROCS(0)
			restore := Spare(func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			assert.Equal(t, before+tt.add, runtime.GOMAXPROCS(0))
			restore()
			assert.Equal(t, before, runtime.GOMAXPROCS(0))
		})
	}
}
