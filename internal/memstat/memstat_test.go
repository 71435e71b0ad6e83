package memstat

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseVmRSS(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, status string
		want         float64
		err          string
	}{
		{"kernel format", "Name:\tx\nVmPeak:\t  9000 kB\nVmRSS:\t    4096 kB\nThreads:\t4\n", 4.194304, ""},
		{"no line", "Name:\tx\n", 0, "no VmRSS line"},
		{"not a number", "VmRSS:\t 12x kB\n", 0, `VmRSS "12x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseVmRSS([]byte(tc.status))
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.InDelta(t, tc.want, got, 1e-9)
		})
	}
}

// TestReadSeesWhatIsKept: 32 MB held between two readings shows in the
// heap and, on Linux, in the RSS (the pages are written to).
func TestReadSeesWhatIsKept(t *testing.T) {
	// Not parallel: it measures the heap.
	before := Read()
	kept := make([]byte, 32<<20)
	for i := range kept {
		kept[i] = byte(i)
	}
	after := Read()
	assert.Greater(t, after.Heap-before.Heap, 30.0, "%s then %s", before, after)
	if runtime.GOOS == "linux" {
		assert.Greater(t, after.RSS-before.RSS, 30.0, "%s then %s", before, after)
		assert.Greater(t, after.Released-before.Released, 30.0, "kept pages are not released: %s then %s", before, after)
	}
	runtime.KeepAlive(kept)
	// Dropped, the 32 MB go back to the OS at the next Read.
	kept = nil
	freed := Read()
	if runtime.GOOS == "linux" {
		assert.Less(t, freed.Released, after.Released-30.0, "%s then %s", after, freed)
	}
}
