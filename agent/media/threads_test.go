package media

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestEngineThreads(t *testing.T) {
	for _, tc := range []struct {
		cpus, procs, wheels, receivers int
	}{
		{2, 5, 2, 2},  // callplan's own setting on 2 CPUs: a P for each, one spare
		{8, 17, 8, 8}, // the same on 8
		{2, 3, 2, 1},  // fewer Ps: the receivers give way first
		{2, 2, 2, 1},  // the runtime's default (benchmarks, tests)
		{1, 1, 1, 1},  // never none
		{0, 1, 1, 1},
		{4, 64, 4, 4}, // more Ps than needed: one of each per CPU
	} {
		t.Run(fmt.Sprintf("%d cpus %d procs", tc.cpus, tc.procs), func(t *testing.T) {
			w, r := engineThreads(tc.cpus, tc.procs)
			assert.Equal(t, tc.wheels, w, "wheels")
			assert.Equal(t, tc.receivers, r, "receivers")
		})
	}
}
