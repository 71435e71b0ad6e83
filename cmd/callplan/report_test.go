package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/report"
)

// reportFixtures are the report package's recorded results; their golden
// files are named out_<name>.<exitcode>.<format> (goss's habit).
const reportFixtures = "../../report/testdata"

var reportGoldenRe = regexp.MustCompile(`^out_([a-z]+)\.(\d)\.([a-z]+)$`)

// TestReportGolden: `callplan report DIR --format F` prints exactly the
// golden file and exits with the code in its name.
func TestReportGolden(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(reportFixtures, "out_*"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		m := reportGoldenRe.FindStringSubmatch(filepath.Base(f))
		require.NotNil(t, m, f)
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			want, err := os.ReadFile(f)
			require.NoError(t, err)
			code, out, errOut := runWithEnv(t, nil, "report", filepath.Join(reportFixtures, m[1]), "--format", m[3])
			wantCode, _ := strconv.Atoi(m[2])
			assert.Equal(t, ExitCode(wantCode), code, "stderr: %s", errOut)
			assert.Equal(t, string(want), out)
		})
	}
}

func TestReportToFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "junit.xml")
	code, out, _ := runWithEnv(t, nil, "report", "--format=junit", "--out", path, filepath.Join(reportFixtures, "pass"))
	assert.Equal(t, ExitPassed, code)
	assert.Empty(t, out)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	want, err := os.ReadFile(filepath.Join(reportFixtures, "out_pass.0.junit"))
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))
}

func TestReportBaseline(t *testing.T) {
	t.Parallel()
	pass, fail := filepath.Join(reportFixtures, "pass"), filepath.Join(reportFixtures, "fail")
	// A baseline that was faster than the passing run: pdd p95 half.
	better := t.TempDir()
	base, err := report.Read(pass)
	require.NoError(t, err)
	base.Summary.Run = "run-better"
	base.Summary.PDD.P95 /= 2
	require.NoError(t, report.WriteDir(better, base, nil))
	// The same passing run, saved by a plan that tolerates doubling.
	lenient := t.TempDir()
	cur, err := report.Read(pass)
	require.NoError(t, err)
	cur.Plan.Tolerance = 1.5
	require.NoError(t, report.WriteDir(lenient, cur, nil))
	for _, tc := range []struct {
		name   string
		args   []string
		code   ExitCode
		out    string
		stderr string
	}{
		{"same run", []string{pass, "--baseline", pass}, ExitPassed, "Against baseline run-pass (tolerance 10.0%)", ""},
		{"passing run regressed", []string{pass, "--baseline", better}, ExitAssertionsFailed, "✗ │ pdd.p95", "regressed against baseline run-better"},
		{"within tolerance", []string{pass, "--baseline", better, "--tolerance", "1.5"}, ExitPassed, "+100.0%", ""},
		{"plan's tolerance when no flag", []string{lenient, "--baseline", better}, ExitPassed, "(tolerance 150.0%)", ""},
		{"flag overrides the plan", []string{lenient, "--baseline", better, "--tolerance", "0.1"}, ExitAssertionsFailed, "(tolerance 10.0%)", "regressed"},
		{"failed run keeps its own code", []string{fail, "--baseline", pass}, ExitAssertionsFailed, "✗", ""},
		{"json carries the comparison", []string{pass, "--baseline", pass, "--format", "json"}, ExitPassed, `"baseline": {`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runWithEnv(t, nil, append([]string{"report"}, tc.args...)...)
			assert.Equal(t, tc.code, code, "stderr: %s", errOut)
			assert.Contains(t, out, tc.out)
			assert.Contains(t, errOut, tc.stderr)
		})
	}
}

func TestReportInvalid(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no dir", []string{}, "want exactly one results directory"},
		{"missing dir", []string{"testdata/no-such-run"}, "reading results"},
		{"bad format", []string{filepath.Join(reportFixtures, "pass"), "--format", "pdf"}, "unknown report format"},
		{"bad baseline", []string{filepath.Join(reportFixtures, "pass"), "--baseline", "testdata/none"}, "baseline: reading results"},
		{"negative tolerance", []string{filepath.Join(reportFixtures, "pass"), "--tolerance", "-1"}, "--tolerance must be >= 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, errOut := runWithEnv(t, nil, append([]string{"report"}, tc.args...)...)
			assert.Equal(t, ExitInvalid, code)
			assert.Contains(t, errOut, tc.want)
		})
	}
}

// TestReportHTMLElsewhere: an HTML report written outside the results
// directory says where it went, and its links lead back to the run's
// files from where it landed.
func TestReportHTMLElsewhere(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	results := filepath.Join(dir, "results", "smoke-1")
	require.NoError(t, os.MkdirAll(results, 0o755))
	b, err := os.ReadFile(filepath.Join(reportFixtures, "pass", report.ResultsFile))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(results, report.ResultsFile), b, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(results, "cdr.csv"), []byte("x\n"), 0o644))
	out := filepath.Join(dir, "pages", "report.html")
	require.NoError(t, os.MkdirAll(filepath.Dir(out), 0o755))

	code, stdout, stderr := runWithEnv(t, nil, "report", "--format", "html", "--out", out, results)
	require.Equal(t, ExitPassed, code, stderr)
	assert.Empty(t, stdout)
	assert.Equal(t, "callplan report: wrote "+out+" (html) from "+results+"\n", stderr)
	page, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(page), `<a href="../results/smoke-1/cdr.csv">cdr.csv</a>`)
	_, err = os.Stat(filepath.Join(filepath.Dir(out), "../results/smoke-1/cdr.csv"))
	assert.NoError(t, err, "the link resolves from where the page is")

	// In the results directory itself the links stay bare.
	code, _, _ = runWithEnv(t, nil, "report", "--format", "html", "--out", filepath.Join(results, "again.html"), results)
	require.Equal(t, ExitPassed, code)
	page, err = os.ReadFile(filepath.Join(results, "again.html"))
	require.NoError(t, err)
	assert.Contains(t, string(page), `<a href="cdr.csv">cdr.csv</a>`)
}

func TestReportFloorFlag(t *testing.T) {
	t.Parallel()
	pass := filepath.Join(reportFixtures, "pass")
	tests := []struct {
		floor    string
		want     ExitCode
		inStderr string
	}{
		{"pdd.p95=5ms", ExitPassed, ""},
		{"asr=0.01", ExitPassed, ""},
		{"pdd.p59=5ms", ExitInvalid, `unknown metric "pdd.p59" (did you mean "pdd.p95"?)`},
		{"pdd.p95=5", ExitInvalid, "want a duration such as 5ms"},
		{"asr=2", ExitInvalid, "want a ratio from 0 to 1"},
	}
	for _, tt := range tests {
		code, _, errOut := runWithEnv(t, nil, "report", "--baseline", pass, "--floor", tt.floor, pass)
		assert.Equal(t, tt.want, code, "--floor %s: %s", tt.floor, errOut)
		assert.Contains(t, errOut, tt.inStderr, "--floor %s", tt.floor)
	}
	// Runs of different plans are compared with a warning.
	code, _, errOut := runWithEnv(t, nil, "report", "--baseline", filepath.Join(reportFixtures, "fail"), pass)
	assert.Equal(t, ExitPassed, code)
	assert.Contains(t, errOut, `callplan report: warning: the runs come from different plans: baseline "smoke-fail", this run "smoke-pass"`)
}
