package media

import (
	"runtime"
	"testing"

	"github.com/callplan/callplan/internal/procs"
	"github.com/stretchr/testify/assert"
)

// The first wheel to start takes the Ps the engine needs (internal/procs),
// once the command has let it (procs.Spare): a signalling-only run keeps
// one spare P, a run with media gets one per wheel and receiver and a spare.
func TestFirstWheelTakesTheMediaPs(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	restore := procs.Spare(func(string) (string, bool) { return "", false })
	defer restore()
	assert.Equal(t, before+1, runtime.GOMAXPROCS(0), "no media yet: one spare P")
	s, far := started(t, PCMU)
	p := s.SetSource(&frames{n: 3})
	readPackets(t, far, 3)
	waitDone(t, p)
	assert.Equal(t, procs.ForMedia(before), runtime.GOMAXPROCS(0))
	wheels, receivers := engineThreads()
	assert.Equal(t, runtime.NumCPU(), wheels)
	assert.Equal(t, runtime.NumCPU(), receivers)
}
