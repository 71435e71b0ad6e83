package report

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReport: `callplan report` reads report.json files from anywhere; a
// damaged one is an error or renders in every format, never a panic.
func FuzzReport(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/" + ResultsFile)
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"schema":"callplan.report/v1","seconds":[{"t":-5},{"t":99999999}],"verdicts":[{"window":"1s","span":{"from":3,"to":1}}]}`))
	f.Add([]byte(`{"schema":"callplan.report/v1","plan":{"stages":[{"duration":"-1s","rate_from":1e308,"rate_to":-1e308}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, format := range Formats {
			rep, err := For(format, r)
			if err != nil {
				t.Fatalf("For(%s): %v", format, err)
			}
			if err := rep(io.Discard); err != nil {
				t.Fatalf("%s report of decoded results: %v", format, err)
			}
		}
	})
}
