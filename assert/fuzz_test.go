package assert

import (
	"strings"
	"testing"

	"github.com/callplan/callplan/metrics"
	"github.com/callplan/callplan/plan"
)

// FuzzCompile: any expression text either compiles or is reported as
// positioned plan errors; it never panics, and what compiles evaluates
// (to a verdict, possibly failed with an error) without panicking.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		`asr >= 0.99`, `pdd.p95 < duration("300ms")`, `failed / calls < 0.01`,
		`causes["USER_BUSY"] == 0`, `flows.reject.unexpected == 0`, `stages.ramp.asr`,
		`all(values(causes), # < 3)`, `let x = calls; x > 0`, `(asr`, `pdd.p96`, "asr >=\n 1",
		`nodes["embedded"].calls % 0 == 1`, `sip?.x == nil`, `{"a": 1}.a == 1`, `calls[0]`,
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	sum := &metrics.Summary{Group: metrics.Group{Calls: 3, ASR: 0.5, Causes: map[string]int64{"X": 1}}}
	secs := []metrics.Second{{Index: 0, Calls: 2, Answered: 1}, {Index: 1, Calls: 1}}
	f.Fuzz(func(t *testing.T, src string, flow bool) {
		a := plan.Assertion{Name: "fuzz", Expr: src, ExprSource: plan.Source{Pos: plan.Pos{File: "f.yaml", Line: 3, Col: 11}, Inline: true}}
		if flow {
			a.Flow = "reject"
		}
		p := &plan.Plan{
			Stages:     []plan.Stage{{Name: "ramp"}},
			Flows:      []plan.Flow{{Name: "reject"}},
			Assertions: []plan.Assertion{a},
		}
		s, err := Compile(p)
		if err != nil {
			errs, ok := err.(plan.Errors)
			if !ok || len(errs) == 0 {
				t.Fatalf("Compile(%q) error %T %v; want plan.Errors", src, err, err)
			}
			for _, e := range errs {
				if e.Pos.File != "f.yaml" || e.Pos.Line < 3 {
					t.Fatalf("Compile(%q): diagnostic %v not positioned in the plan", src, e)
				}
			}
			return
		}
		vs := s.Evaluate(sum, secs, nil)
		want := 1
		if strings.TrimSpace(src) == "" {
			want = 0 // plan reports an empty expression; nothing to compile
		}
		if len(vs) != want {
			t.Fatalf("Compile(%q): %d verdicts, want %d", src, len(vs), want)
		}
		_ = s.Live().Check(0, sum, secs)
	})
}
