package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/metrics"
)

var update = flag.Bool("update", false, "re-record fixtures and rewrite golden files")

type bytesBuffer = bytes.Buffer

// goldenRe is goss's fixture naming: out_<name>.<exitcode>.<format>.
var goldenRe = regexp.MustCompile(`^out_([a-z]+)\.(\d)\.([a-z]+)$`)

// TestGolden renders every format over every recorded results directory
// and compares with testdata/out_<name>.<exitcode>.<format>; the exit
// code in the name is the one the run's status maps to.
func TestGolden(t *testing.T) {
	t.Parallel()
	dirs, err := filepath.Glob("testdata/*/" + ResultsFile)
	require.NoError(t, err)
	require.Len(t, dirs, len(scenarios))
	for _, path := range dirs {
		name := filepath.Base(filepath.Dir(path))
		r, err := Read(filepath.Dir(path))
		require.NoError(t, err)
		code := r.Status.ExitCode()
		for _, f := range Formats {
			t.Run(name+"/"+string(f), func(t *testing.T) {
				t.Parallel()
				rep, err := For(f, r)
				require.NoError(t, err)
				var b bytes.Buffer
				require.NoError(t, rep(&b))
				golden := filepath.Join("testdata", "out_"+name+"."+strconv.Itoa(code)+"."+string(f))
				if *update {
					require.NoError(t, os.WriteFile(golden, b.Bytes(), 0o644))
					return
				}
				want, err := os.ReadFile(golden)
				require.NoError(t, err, "missing golden file (go test ./report -update)")
				assert.Equal(t, string(want), b.String(), "%s differs (go test ./report -update)", golden)
			})
		}
	}
}

// TestGoldenNamesCarryExitCodes: every golden file belongs to a fixture
// and names that fixture's exit code, so a stale file cannot linger.
func TestGoldenNamesCarryExitCodes(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/out_*")
	require.NoError(t, err)
	require.Len(t, files, len(scenarios)*len(Formats))
	want := map[string]int{"pass": 0, "fail": 1, "aborted": 1, "unhealthy": 3, "interrupted": 4, "media": 1}
	for _, f := range files {
		m := goldenRe.FindStringSubmatch(filepath.Base(f))
		require.NotNil(t, m, "bad golden name %s", f)
		code, _ := strconv.Atoi(m[2])
		assert.Equal(t, want[m[1]], code, "%s", f)
	}
}

// TestJSONRoundTrip: report.json decodes to the same results, and is what
// re-rendering reads.
func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	r, err := Read("testdata/fail")
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, JSON(r)(&b))
	r2, err := Decode(&b)
	require.NoError(t, err)
	assert.Equal(t, r, r2)
	assert.Equal(t, StatusFailed, r.Status)

	// A name spelling the series marker does not confuse the encoder.
	r.Plan.Name = "\x00seconds\x00"
	b.Reset()
	require.NoError(t, JSON(r)(&b))
	r3, err := Decode(&b)
	require.NoError(t, err)
	assert.Equal(t, r, r3)

	_, err = Decode(strings.NewReader(`{"schema": "callplan.report/v0"}`))
	assert.ErrorIs(t, err, ErrSchema)
}

func TestStatus(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]Status{
		"pass": StatusPassed, "fail": StatusFailed, "aborted": StatusAborted,
		"unhealthy": StatusInfrastructure, "interrupted": StatusInterrupted,
	} {
		r, err := Read(filepath.Join("testdata", name))
		require.NoError(t, err)
		assert.Equal(t, want, r.Status, name)
		assert.Equal(t, want, r.status(), "%s: stored status must match the figures", name)
	}
}

// TestNewKeepsPlanInfo checks New records the caller's plan view as is and
// writes a nil stage list as [] in report.json, as it always has.
func TestNewKeepsPlanInfo(t *testing.T) {
	t.Parallel()
	pi := PlanInfo{Name: "p", File: "p.yaml", Tolerance: 0.2, Stages: []StageInfo{{Name: "s", RateFrom: 1, RateTo: 3, Limit: 4}}}
	r := New(pi, metrics.Summary{}, nil, nil, nil)
	assert.Equal(t, pi, r.Plan)

	r = New(PlanInfo{Name: "p"}, metrics.Summary{}, nil, nil, nil)
	var buf bytes.Buffer
	require.NoError(t, JSON(r)(&buf))
	assert.Contains(t, buf.String(), `"stages": []`)
	assert.NotContains(t, buf.String(), `"stages": null`)
}
