package flows

import (
	"flag"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite docs/flows.md")

const referenceFile = "../docs/flows.md"

// TestReferenceInSync keeps docs/flows.md equal to what the flows' Specs
// say; run with -update after changing a Spec or the guide's text.
func TestReferenceInSync(t *testing.T) {
	t.Parallel()
	got := Reference()
	if *update {
		require.NoError(t, os.WriteFile(referenceFile, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(referenceFile)
	require.NoError(t, err)
	assert.Equal(t, string(want), got, "docs/flows.md is stale: go test ./flows -run TestReferenceInSync -update")
}

// TestReferenceCoversEverySpec: every flow, parameter and counter appears.
func TestReferenceCoversEverySpec(t *testing.T) {
	t.Parallel()
	ref := Reference()
	for _, s := range Specs() {
		assert.Contains(t, ref, "\n## "+s.Name+"\n")
		for _, p := range s.Params {
			assert.Contains(t, ref, "| `"+p.Name+"` |")
		}
		for _, c := range s.Counters {
			assert.Contains(t, ref, "| `"+c.Name+"` |")
		}
	}
}
