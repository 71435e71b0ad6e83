package assert

import (
	"flag"
	"os"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/metrics"
)

var update = flag.Bool("update", false, "rewrite docs/assertions.md")

const referenceFile = "../docs/assertions.md"

// TestReferenceInSync keeps docs/assertions.md equal to what the Go types
// say; run with -update after changing metrics or the docs text.
func TestReferenceInSync(t *testing.T) {
	t.Parallel()
	got := Reference()
	if *update {
		require.NoError(t, os.WriteFile(referenceFile, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(referenceFile)
	require.NoError(t, err)
	assert.Equal(t, string(want), got, "docs/assertions.md is stale: go test ./assert -run TestReferenceInSync -update")
}

// TestEveryVariableDocumented: a field added to the metrics types must be
// described before it can ship.
func TestEveryVariableDocumented(t *testing.T) {
	t.Parallel()
	for _, typ := range []reflect.Type{reflect.TypeOf(metrics.Group{}), reflect.TypeOf(metrics.Latency{}), reflect.TypeOf(metrics.Generator{})} {
		for i := range typ.NumField() {
			if name, ok := exprName(typ.Field(i)); ok {
				assert.NotEmpty(t, fieldDocs[name], "%s.%s (%s) has no entry in fieldDocs", typ.Name(), typ.Field(i).Name, name)
			}
		}
	}
	gauge := reflect.TypeOf(metrics.Gauge{})
	for i := range gauge.NumField() {
		if name, ok := exprName(gauge.Field(i)); ok {
			assert.NotEmpty(t, gaugeDocs[name], "Gauge.%s has no entry in gaugeDocs", gauge.Field(i).Name)
		}
	}
	// Every group variable in the environment is in the reference.
	for _, f := range groupFields() {
		assert.Contains(t, Reference(), "| `"+f+"` |")
	}
}
