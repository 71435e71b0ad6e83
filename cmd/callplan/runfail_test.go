package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/metrics"
	"github.com/callplan/callplan/report"
)

// junitDoc is the part of junit.xml these tests read.
type junitDoc struct {
	Errors int `xml:"errors,attr"`
	Suites []struct {
		Cases []struct {
			Name  string `xml:"name,attr"`
			Error *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"error"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func readJUnit(t *testing.T, dir string) junitDoc {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, report.JUnitFile))
	require.NoError(t, err, "junit.xml is written for every run")
	var doc junitDoc
	require.NoError(t, xml.Unmarshal(b, &doc))
	return doc
}

// erroredCases maps each errored JUnit case to its message.
func erroredCases(doc junitDoc) map[string]string {
	out := map[string]string{}
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			if c.Error != nil {
				out[c.Name] = c.Error.Message
			}
		}
	}
	return out
}

// TestRunUnreachableNodesLeaveAReport: a run whose nodes cannot be reached
// exits 3, names every failing node, and still writes report.json and
// junit.xml, which `callplan report` reads back with the same status.
func TestRunUnreachableNodesLeaveAReport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	planFile := filepath.Join(dir, "two-down.yaml")
	require.NoError(t, os.WriteFile(planFile, []byte(`name: two-down
nodes:
  - {uri: "fs://127.0.0.1:1", name: first}
  - {uri: "fs://127.0.0.1:2", name: second}
stages:
  - {duration: 1s, rate: 1, hold: 1s}
assertions:
  - {expr: asr >= 0.9}
`), 0o644))
	out := filepath.Join(dir, "out")
	code, _, errOut := runCLI(t, "run", planFile, "--out", out, "--quiet")
	require.Equal(t, ExitInfrastructure, code, "stderr %s", errOut)
	assert.Contains(t, errOut, "node first")
	assert.Contains(t, errOut, "node second", "every failing node is named, not only the first")

	r, err := report.Read(out)
	require.NoError(t, err)
	assert.Equal(t, report.StatusInfrastructure, r.Status)
	require.NotNil(t, r.Failure)
	assert.Equal(t, "2 of 2 node(s) could not be used", r.Failure.Reason)
	require.Len(t, r.Failure.Nodes, 2)
	assert.Equal(t, "first", r.Failure.Nodes[0].Node)
	assert.Contains(t, r.Failure.Nodes[0].Error, "127.0.0.1:1")
	assert.Equal(t, "second", r.Failure.Nodes[1].Node)
	assert.Equal(t, "two-down", r.Plan.Name)
	assert.NotEmpty(t, r.Summary.Run)

	doc := readJUnit(t, out)
	errored := erroredCases(doc)
	assert.Equal(t, "2 of 2 node(s) could not be used", errored["run completed"])
	assert.Contains(t, errored, "node first")
	assert.Contains(t, errored, "node second")
	assert.Equal(t, 3, doc.Errors)

	code, stdout, _ := runCLI(t, "report", out)
	assert.Equal(t, ExitInfrastructure, code)
	assert.Contains(t, stdout, "run failed: 2 of 2 node(s) could not be used")
	assert.Contains(t, stdout, "node second:")
}

// TestRunSmokeCallFailureSaysWhatAndWhy: the smoke call dials a SUT
// address where nothing listens. The run exits 3 and its error and report
// say what was dialled, what came back and the likely cause.
func TestRunSmokeCallFailureSaysWhatAndWhy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	planFile := filepath.Join(dir, "no-sut.yaml")
	require.NoError(t, os.WriteFile(planFile, []byte(`name: no-sut
originate:
  destination: "sut@127.0.0.1:1"
  timeout: 3s
stages:
  - {duration: 1s, rate: 1, hold: 1s}
`), 0o644))
	out := filepath.Join(dir, "out")
	code, _, errOut := runCLI(t, "run", planFile, "--out", out, "--quiet")
	require.Equal(t, ExitInfrastructure, code, "stderr %s", errOut)
	for _, want := range []string{"smoke call failed on node embedded", "dialled:      sofia/external/sut@127.0.0.1:1",
		"came back:", "likely cause:", "127.0.0.1:1"} {
		assert.Contains(t, errOut, want)
	}
	r, err := report.Read(out)
	require.NoError(t, err)
	assert.Equal(t, report.StatusInfrastructure, r.Status)
	require.NotNil(t, r.Failure)
	assert.Contains(t, r.Failure.Reason, "dialled:")
	assert.Contains(t, r.Failure.Reason, "likely cause:")
	require.Len(t, r.Failure.Nodes, 1)
	assert.Equal(t, "embedded", r.Failure.Nodes[0].Node)
	assert.Contains(t, erroredCases(readJUnit(t, out))["run completed"], "smoke call failed on node embedded")

	b, err := os.ReadFile(filepath.Join(out, SummaryFile))
	require.NoError(t, err)
	var s metrics.Summary
	require.NoError(t, json.Unmarshal(b, &s))
	assert.Equal(t, int64(0), s.Calls, "the smoke call is not counted")
}
