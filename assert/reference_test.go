package assert

import (
	"flag"
	"os"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/flows"
	"github.com/callplan/callplan/metrics"
)

var update = flag.Bool("update", false, "rewrite docs/assertions.md")

const referenceFile = "../docs/assertions.md"

// TestReferenceInSync keeps docs/assertions.md equal to what the Go types
// say; run with -update after changing metrics or the docs text.
func TestReferenceInSync(t *testing.T) {
	t.Parallel()
	got := Reference(registryVars())
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
		assert.Contains(t, Reference(nil), "| `"+f+"` |")
	}
}

// registryVars are the flows registry's counters and figures, as the CLI
// passes them (cmd/callplan's flowVars); the test may import flows, which
// assert itself may not.
func registryVars() []FlowVars {
	var out []FlowVars
	for _, s := range flows.Specs() {
		fv := FlowVars{Flow: s.Name}
		for _, c := range s.Counters {
			fv.Counters = append(fv.Counters, Var{Name: c.Name, Doc: c.Doc})
		}
		for _, f := range s.Figures {
			fv.Figures = append(fv.Figures, Var{Name: f.Name, Doc: f.Doc, Duration: f.Duration})
		}
		out = append(out, fv)
	}
	return out
}

// TestReferenceListsFlowVariables: every counter and figure a flow
// declares is in docs/assertions.md with its type.
func TestReferenceListsFlowVariables(t *testing.T) {
	t.Parallel()
	ref := Reference(registryVars())
	for _, fv := range registryVars() {
		for _, c := range fv.Counters {
			assert.Contains(t, ref, "| `flows."+fv.Flow+"."+c.Name+"` | int64 |")
		}
		for _, f := range fv.Figures {
			typ := "Score"
			if f.Duration {
				typ = "TimeScore"
			}
			assert.Contains(t, ref, "| `flows."+fv.Flow+"."+f.Name+"` | "+typ+" |")
		}
	}
	assert.Contains(t, ref, "| `flows.bert.sync_time` | TimeScore |")
	assert.Contains(t, ref, "| `flows.dtmf.missing` | int64 |")
}
