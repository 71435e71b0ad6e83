package report

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/metrics"
)

func render(t *testing.T, rep Reporter) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, rep(&b))
	return b.String()
}

func fixture(t *testing.T, name string) *Results {
	t.Helper()
	r, err := Read(filepath.Join("testdata", name))
	require.NoError(t, err)
	return r
}

// The JUnit shape Jenkins' junit plugin and GitLab's parser read, as a
// generic structure: it is decoded without our own types so a renamed tag
// or attribute shows up here.
type xTestsuites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    *int     `xml:"tests,attr"`
	Failures *int     `xml:"failures,attr"`
	Errors   *int     `xml:"errors,attr"`
	Suites   []struct {
		Name     string  `xml:"name,attr"`
		Tests    *int    `xml:"tests,attr"`
		Failures *int    `xml:"failures,attr"`
		Errors   *int    `xml:"errors,attr"`
		Skipped  *int    `xml:"skipped,attr"`
		Time     *string `xml:"time,attr"`
		Cases    []struct {
			Name      string  `xml:"name,attr"`
			Classname string  `xml:"classname,attr"`
			Time      *string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
			} `xml:"error"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestJUnitStructure(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                     string
		tests, failures, errors  int
		assertionCases, failedAs int
	}{
		{"pass", 7, 1, 0, 5, 0},        // reject's unexpected 603s fail its flow case only
		{"fail", 10, 9, 0, 8, 7},       // 7 of 8 assertions, and both flow cases
		{"aborted", 3, 2, 0, 2, 1},     // the aborting assertion, and park's 503s
		{"unhealthy", 8, 1, 1, 5, 0},   // + "run is trustworthy" errored
		{"interrupted", 8, 1, 1, 5, 0}, // windows judge finished calls: the stop fails none; + errored case
		{"media", 9, 7, 0, 7, 5},       // mos, loss, bert sync, dtmf digits, mos window; both flow cases
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := fixture(t, tc.name)
			out := render(t, JUnit(r))
			require.True(t, strings.HasPrefix(out, xml.Header))
			var doc xTestsuites
			require.NoError(t, xml.Unmarshal([]byte(out), &doc))
			require.NotNil(t, doc.Tests)
			require.NotNil(t, doc.Failures)
			require.NotNil(t, doc.Errors)
			assert.Equal(t, tc.tests, *doc.Tests)
			assert.Equal(t, tc.failures, *doc.Failures)
			assert.Equal(t, tc.errors, *doc.Errors)
			require.Len(t, doc.Suites, 2)
			sumTests, sumFail, sumErr := 0, 0, 0
			for _, s := range doc.Suites {
				require.NotNil(t, s.Tests)
				require.NotNil(t, s.Failures)
				require.NotNil(t, s.Errors)
				require.NotNil(t, s.Skipped)
				require.NotNil(t, s.Time)
				assert.NotEmpty(t, s.Name)
				assert.Len(t, s.Cases, *s.Tests, "suite %s: tests attribute counts its cases", s.Name)
				failed, errored := 0, 0
				for _, c := range s.Cases {
					assert.NotEmpty(t, c.Name)
					assert.NotEmpty(t, c.Classname)
					require.NotNil(t, c.Time)
					if c.Failure != nil {
						failed++
						assert.NotEmpty(t, c.Failure.Message)
						assert.NotEmpty(t, c.Failure.Type)
					}
					if c.Error != nil {
						errored++
					}
				}
				assert.Equal(t, failed, *s.Failures, "suite %s failures attribute", s.Name)
				assert.Equal(t, errored, *s.Errors, "suite %s errors attribute", s.Name)
				sumTests, sumFail, sumErr = sumTests+*s.Tests, sumFail+*s.Failures, sumErr+*s.Errors
			}
			assert.Equal(t, *doc.Tests, sumTests)
			assert.Equal(t, *doc.Failures, sumFail)
			assert.Equal(t, *doc.Errors, sumErr)

			plan := doc.Suites[0]
			assert.Equal(t, r.Plan.Name, plan.Name)
			failedAs := 0
			for i, v := range r.Verdicts {
				c := plan.Cases[i]
				assert.Equal(t, v.Name, c.Name)
				assert.Equal(t, !v.Pass, c.Failure != nil, "case %s", c.Name)
				if c.Failure != nil {
					failedAs++
					// Failures carry the observed values.
					assert.Contains(t, c.Failure.Message, v.ObservedText())
				}
			}
			assert.Equal(t, tc.failedAs, failedAs)
			assert.Len(t, r.Verdicts, tc.assertionCases)
		})
	}
}

func TestTableFitsIn100Columns(t *testing.T) {
	t.Parallel()
	for name := range scenarios {
		out := render(t, Table(fixture(t, name)))
		for i, line := range strings.Split(out, "\n") {
			assert.LessOrEqual(t, utf8.RuneCountInString(line), 100, "%s line %d: %q", name, i+1, line)
		}
	}
}

func TestTableShowsVerdictMarks(t *testing.T) {
	t.Parallel()
	out := render(t, Table(fixture(t, "aborted")))
	assert.Contains(t, out, "ABORTED (aborted by keep answering)")
	assert.Contains(t, out, "✗ abort")
	assert.Contains(t, out, "✓")
}

func TestCSV(t *testing.T) {
	t.Parallel()
	r := fixture(t, "fail")
	rows, err := csv.NewReader(strings.NewReader(render(t, CSV(r)))).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 1+1+2+2+2) // header, run, 2 stages, 2 flows, 2 nodes
	assert.Equal(t, csvHeader, rows[0])
	assert.Equal(t, []string{"run", r.Summary.Run}, rows[1][:2])
	assert.Equal(t, "100", rows[1][3])
	assert.Equal(t, []string{"stage", "warm"}, rows[2][:2], "stages in the order they ran")
	assert.Equal(t, []string{"stage", "ramp"}, rows[3][:2])
	for _, row := range rows {
		assert.Len(t, row, len(csvHeader))
	}
}

// TestHTMLSelfContained: nothing in the page is fetched: no scripts, no
// stylesheets or images by URL, only relative links to the run's files.
func TestHTMLSelfContained(t *testing.T) {
	t.Parallel()
	for name := range scenarios {
		out := render(t, HTML(fixture(t, name)))
		for _, bad := range []string{"<script", "<link", "src=", "http://", "https://", "@import", "url("} {
			if bad == "http://" {
				// The SVG namespace is an identifier, not a fetch.
				out = strings.ReplaceAll(out, `xmlns="http://www.w3.org/2000/svg"`, "")
			}
			assert.NotContains(t, out, bad, "%s: HTML must be self-contained", name)
		}
		assert.Contains(t, out, `<a href="cdr.csv">`)
		// cps, active, failures, a chart per latency interval measured,
		// calls by node when there are two.
		assert.GreaterOrEqual(t, strings.Count(out, `<svg class="chart"`), 6, name)
	}
}

func TestHTMLEscapes(t *testing.T) {
	t.Parallel()
	r := fixture(t, "pass")
	r.Plan.Name = `<script>alert(1)</script>`
	r.Verdicts[0].Name = `"><img src=x>`
	out := render(t, HTML(r))
	assert.NotContains(t, out, "<script>alert")
	assert.NotContains(t, out, "<img src=x>")
}

func TestCompare(t *testing.T) {
	t.Parallel()
	base, cur := fixture(t, "pass"), fixture(t, "fail")
	c := Compare(base, cur, 0.10)
	assert.True(t, c.Regressed())
	got := map[string]bool{}
	for _, d := range c.Deltas {
		got[d.Metric] = d.Regressed
	}
	assert.True(t, got["asr"], "asr fell from 89% to 76%%")
	assert.True(t, got["pdd.p95"], "pdd p95 doubled")

	same := Compare(base, base, 0)
	assert.False(t, same.Regressed(), "a run never regresses against itself")
	for _, d := range same.Deltas {
		assert.Equal(t, "+0.0%", d.ChangeText)
	}
	// Improvements are not regressions, whatever the tolerance.
	assert.False(t, Compare(cur, base, 0).Deltas[0].Regressed)

	cur.Baseline = c
	out := render(t, Table(cur))
	assert.Contains(t, out, "Against baseline run-pass (tolerance 10.0%)")
}

func TestTargetCPS(t *testing.T) {
	t.Parallel()
	p := fixture(t, "pass").Plan // warm 5s at 4; ramp 10s from 4 to 12
	for _, tc := range []struct {
		sec  int
		want float64
	}{{0, 4}, {4, 4}, {5, 4.4}, {14, 11.6}, {15, 0}} {
		assert.InDelta(t, tc.want, p.TargetCPS(tc.sec), 1e-9, "TargetCPS(%d)", tc.sec)
	}
}

func TestWriteDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := fixture(t, "pass")
	require.NoError(t, WriteDir(dir, r, []Format{FormatTable, FormatJUnit}))
	back, err := Read(dir)
	require.NoError(t, err, "report.json is always written")
	assert.Equal(t, r, back)
	for _, f := range []string{TableFile, JUnitFile} {
		assert.FileExists(t, filepath.Join(dir, f))
	}
	assert.NoFileExists(t, filepath.Join(dir, HTMLFile))
	_, err = For("pdf", r)
	assert.ErrorContains(t, err, "unknown report format")
}

func TestTargetSeriesStartsWithFirstStage(t *testing.T) {
	t.Parallel()
	p := fixture(t, "pass").Plan // warm 5s at 4; ramp 10s from 4 to 12
	secs := []metrics.Second{{Index: 0}, {Index: 1}, {Index: 2, Stage: "warm"}, {Index: 7, Stage: "ramp"}}
	got := targetSeries(p, perSecond(secs))
	require.Len(t, got, 8)
	assert.Equal(t, []float64{0, 0, 4, 4, 4, 4, 4}, got[:7], "two seconds of preflight before the first stage")
	assert.InDelta(t, 4.4, got[7], 1e-9)
}

func TestWrapText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		w    int
		want string
	}{
		{"asr = 0.9943, in [23s, 33s)", 22, "asr = 0.9943, in [23s,\n33s)"},
		{"short", 10, "short"},
		{"averyveryverylongword x", 5, "averyveryverylongword\nx"},
		{"name\nexpr a b", 6, "name\nexpr a\nb"},
	} {
		assert.Equal(t, tc.want, wrapText(tc.in, tc.w), "wrapText(%q, %d)", tc.in, tc.w)
	}
}

func TestFitRows(t *testing.T) {
	t.Parallel()
	header := []string{"a", "b", "c"}
	rows := [][]string{{"x", strings.Repeat("word ", 20), strings.Repeat("more ", 10)}}
	got := fitRows(header, rows, 60)
	widths := columnWidths(header, got)
	total := 1
	for _, w := range widths {
		total += w + 3
	}
	assert.LessOrEqual(t, total, 60)
	assert.Equal(t, strings.Fields(rows[0][1]), strings.Fields(got[0][1]), "wrapping keeps every word")
	assert.Equal(t, rows, fitRows(header, rows, 1000), "a table that fits is left alone")
	assert.Equal(t, "x", got[0][0])
}

func TestDownsample(t *testing.T) {
	t.Parallel()
	short := []float64{1, 2, 3}
	assert.Equal(t, short, downsample(short), "series that fit are left alone")

	// An hour and a bit: 3 seconds per point, means over each bucket,
	// gaps (NaN) skipped, all-gap buckets stay gaps.
	long := make([]float64, maxPoints*3)
	for i := range long {
		long[i] = float64(i % 3) // 0, 1, 2 → mean 1
	}
	long[3], long[4], long[5] = math.NaN(), math.NaN(), math.NaN()
	long[6] = math.NaN()
	got := downsample(long)
	require.Len(t, got, maxPoints)
	assert.Equal(t, 1.0, got[0])
	assert.True(t, math.IsNaN(got[1]))
	assert.Equal(t, 1.5, got[2], "mean of the two seconds with data")

	// A damaged file cannot make the charts allocate without bound.
	assert.Len(t, perSecond([]metrics.Second{{Index: -1}, {Index: maxSeconds}, {Index: 2}}), 3)
}
