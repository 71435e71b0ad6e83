package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunCapacitySearchOnEmbeddedAgent runs a real search on the embedded
// agent against a pretend SUT limit (an assertion that fails above 10
// calls/s), and checks the rates tried, the answer, and the evidence.
func TestRunCapacitySearchOnEmbeddedAgent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	planFile := filepath.Join(dir, "search.yaml")
	require.NoError(t, os.WriteFile(planFile, []byte(`name: search-test
stages:
  - duration: 2s
    rate: 4
    hold: 100ms
search:
  max: 100
  factor: 2
  precision: 0.3
  max_steps: 4
assertions:
  - name: pretend the SUT takes 10 calls/s
    expr: cps.mean <= 10
`), 0o644))
	out := filepath.Join(dir, "out")
	code, stdout, stderr := runCLI(t, "run", planFile, "--out", out)
	require.Equal(t, ExitPassed, code, "stdout %s\nstderr %s", stdout, stderr)
	assert.Contains(t, stdout, "highest passing rate 8 calls/s, limited by system under test (max_steps reached)")

	b, err := os.ReadFile(filepath.Join(out, SearchFile))
	require.NoError(t, err)
	var res searchResult
	require.NoError(t, json.Unmarshal(b, &res))
	var rates []float64
	for _, st := range res.Steps {
		rates = append(rates, st.Rate)
		_, err := os.Stat(filepath.Join(st.Dir, "report.json"))
		assert.NoError(t, err, "step at %g calls/s keeps its report", st.Rate)
		assert.Equal(t, st.Rate <= 10, st.Passed, "step at %g calls/s: %+v", st.Rate, st)
		assert.Positive(t, st.Answered, "step at %g calls/s placed real calls", st.Rate)
	}
	assert.Equal(t, []float64{4, 8, 16, 12}, rates)
	assert.Equal(t, 8.0, res.Highest)
	assert.Equal(t, []string{"pretend the SUT takes 10 calls/s"}, res.Steps[2].Failing)
}

// A search where no step passes exits 1, with the steps down recorded.
func TestRunCapacitySearchNothingPasses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	planFile := filepath.Join(dir, "search.yaml")
	require.NoError(t, os.WriteFile(planFile, []byte(`name: search-none
stages:
  - duration: 1s
    rate: 4
    hold: 100ms
search:
  max: 100
  max_steps: 2
assertions:
  - name: never
    expr: calls < 0
`), 0o644))
	out := filepath.Join(dir, "out")
	code, stdout, stderr := runCLI(t, "run", planFile, "--out", out)
	require.Equal(t, ExitAssertionsFailed, code, "stdout %s\nstderr %s", stdout, stderr)
	assert.Contains(t, stdout, "no rate passed")
	assert.Contains(t, stderr, "step 2 at 2 calls/s: failed")
}
