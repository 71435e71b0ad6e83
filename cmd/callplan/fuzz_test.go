package main

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/callplan/callplan/plan"
)

// FuzzValidateRender: the CLI's checks never panic on a partly broken plan,
// and a plan that validates always renders (validate catches everything
// that would stop render, i.e. the originate builder, from working).
func FuzzValidateRender(f *testing.F) {
	for _, pattern := range []string{"../../scenarios/*.yaml", "testdata/*/*.yaml", "../../plan/testdata/*/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	lookup := func(k string) (string, bool) { return "v", k == "FS_PASSWORD" }
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := plan.Parse("fuzz.yaml", data, plan.Options{Lookup: lookup, Check: checkPlan})
		if err != nil {
			var errs plan.Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error is not a non-empty plan.Errors: %v", err)
			}
			return
		}
		if _, err := renderPlan(p); err != nil {
			t.Fatalf("valid plan does not render: %v", err)
		}
	})
}
