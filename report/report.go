package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/callplan/callplan/metrics"
)

// Reporter writes one report format.
type Reporter func(io.Writer) error

// Format is one report format, as plans and --format name them.
type Format string

// Formats.
const (
	FormatTable Format = "table"
	FormatJSON  Format = "json"
	FormatJUnit Format = "junit"
	FormatCSV   Format = "csv"
	FormatHTML  Format = "html"
)

// Formats are every format, in the order WriteDir writes them.
var Formats = []Format{FormatTable, FormatJSON, FormatJUnit, FormatCSV, FormatHTML}

// FileName is where a format is written in a results directory.
func (f Format) FileName() string {
	switch f {
	case FormatTable:
		return TableFile
	case FormatJSON:
		return ResultsFile
	case FormatJUnit:
		return JUnitFile
	case FormatCSV:
		return CSVFile
	case FormatHTML:
		return HTMLFile
	}
	return ""
}

// For returns the reporter of format f over r.
func For(f Format, r *Results) (Reporter, error) {
	switch f {
	case FormatTable:
		return Table(r), nil
	case FormatJSON:
		return JSON(r), nil
	case FormatJUnit:
		return JUnit(r), nil
	case FormatCSV:
		return CSV(r), nil
	case FormatHTML:
		return HTML(r), nil
	}
	return nil, fmt.Errorf("unknown report format %q (known: table, json, junit, csv, html)", f)
}

// WriteDir writes report.json, junit.xml and each of formats into dir.
// report.json is always written: it is the run's saved results, which
// `callplan report` re-renders; junit.xml too, so a CI JUnit publisher
// finds every run, including one that failed before its load started.
func WriteDir(dir string, r *Results, formats []Format) error {
	want := []Format{FormatJSON, FormatJUnit}
	for _, f := range formats {
		if f != FormatJSON && f != FormatJUnit {
			want = append(want, f)
		}
	}
	for _, f := range want {
		rep, err := For(f, r)
		if err != nil {
			return err
		}
		if err := writeFile(filepath.Join(dir, f.FileName()), rep); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, rep Reporter) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating report: %w", err)
	}
	if err := rep(f); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", filepath.Base(path), err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", filepath.Base(path), err)
	}
	return nil
}

// JSON writes the results as report.json: indented, keys in struct order
// and maps sorted (encoding/json), so it is stable; each second of the
// series is one compact line, which keeps an hour-long run's file about
// half the size it would be fully indented.
func JSON(r *Results) Reporter {
	return func(w io.Writer) error {
		shadow := *r
		shadow.Seconds = nil
		b, err := json.MarshalIndent(struct {
			*Results
			Seconds json.RawMessage `json:"seconds"`
		}{&shadow, json.RawMessage(secondsMarker)}, "", "  ")
		if err != nil {
			return fmt.Errorf("encoding json report: %w", err)
		}
		var secs bytes.Buffer
		secs.WriteString("[")
		for i := range r.Seconds {
			line, err := json.Marshal(&r.Seconds[i])
			if err != nil {
				return fmt.Errorf("encoding json report: %w", err)
			}
			if i > 0 {
				secs.WriteString(",")
			}
			secs.WriteString("\n    ")
			secs.Write(line)
		}
		if len(r.Seconds) > 0 {
			secs.WriteString("\n  ")
		}
		secs.WriteString("]")
		// The series is the last field, so its marker is the last match
		// (a name that happened to spell the marker comes earlier).
		at := bytes.LastIndex(b, []byte(secondsMarker))
		if at < 0 {
			return fmt.Errorf("encoding json report: series marker lost")
		}
		out := append(append(append([]byte(nil), b[:at]...), secs.Bytes()...), b[at+len(secondsMarker):]...)
		_, err = w.Write(append(out, '\n'))
		return err
	}
}

// secondsMarker stands in for the series while the rest is indented; it is
// valid JSON, so MarshalIndent accepts it.
const secondsMarker = `"\u0000seconds\u0000"`

// Shared formatting, so every format shows a figure the same way.

func pct(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" }

func num(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "-"
	}
	return strconv.FormatFloat(f, 'f', 2, 64)
}

func count(n int64) string { return strconv.FormatInt(n, 10) }

// ms writes a latency in milliseconds, "-" when there was none.
func ms(d time.Duration, n int64) string {
	if n == 0 {
		return "-"
	}
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64)
}

// byCount returns a breakdown's keys, largest count first, ties by name.
func byCount(m map[string]int64) []string {
	ks := slices.Sorted(maps.Keys(m))
	sort.SliceStable(ks, func(i, j int) bool { return m[ks[i]] > m[ks[j]] })
	return ks
}

// stageNames are the stages in the order they ran, then any the summary
// has that did not run (sorted).
func stageNames(s *metrics.Summary) []string {
	out := append([]string(nil), s.StageOrder...)
	seen := map[string]bool{}
	for _, n := range out {
		seen[n] = true
	}
	for _, n := range slices.Sorted(maps.Keys(s.Stages)) {
		if !seen[n] {
			out = append(out, n)
		}
	}
	return out
}

// group is one named group for per-stage/flow/node tables.
type group struct {
	kind, name string
	g          metrics.Group
}

func groups(s *metrics.Summary) []group {
	var out []group
	for _, n := range stageNames(s) {
		out = append(out, group{"stage", n, s.Stages[n]})
	}
	for _, n := range slices.Sorted(maps.Keys(s.Flows)) {
		out = append(out, group{"flow", n, s.Flows[n]})
	}
	for _, n := range slices.Sorted(maps.Keys(s.Nodes)) {
		out = append(out, group{"node", n, s.Nodes[n]})
	}
	return out
}

// targetPeak is the highest planned rate of any stage.
func (p PlanInfo) targetPeak() float64 {
	var m float64
	for _, s := range p.Stages {
		m = max(m, s.RateFrom, s.RateTo)
	}
	return m
}

// targetMean is the planned calls over the planned time.
func (p PlanInfo) targetMean() float64 {
	var calls, secs float64
	for _, s := range p.Stages {
		d := time.Duration(s.Duration).Seconds()
		calls += (s.RateFrom + s.RateTo) / 2 * d
		secs += d
	}
	if secs == 0 {
		return 0
	}
	return calls / secs
}
