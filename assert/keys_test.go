package assert

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/plan"
)

// testKnown stands in for the flows registry and the cause table, as the
// CLI wires them: park counts nothing, reject counts unexpected.
var testKnown = Known{
	Counters: func(flow string) ([]string, bool) {
		switch flow {
		case "park":
			return nil, true
		case "reject":
			return []string{"unexpected"}, true
		}
		return nil, false
	},
	Cause: func(name string) bool {
		return slices.Contains([]string{"USER_BUSY", "NORMAL_CLEARING", "NO_ANSWER"}, name)
	},
	Causes: []string{"NORMAL_CLEARING", "NO_ANSWER", "USER_BUSY"},
}

func checkKnown(t *testing.T, assertions string) plan.Errors {
	t.Helper()
	var errs plan.Errors
	CheckWith(testKnown)(planWith(t, assertions), &errs)
	return errs
}

// TestConstantKeys: constant keys that could never occur are validate
// errors, positioned at the key; keys that can occur pass.
func TestConstantKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, expr, want string
	}{
		{"duration typo", `pdd.p95 < duration("3OOms")`,
			`p.yaml:11:11: assertions[0].expr: invalid expression: duration("3OOms"): not a duration (a number and a unit: 300ms, 1.5s, 2m) (did you mean "300ms"?)`},
		{"duration without unit", `pdd.p95 < duration("300")`, `duration("300"): not a duration`},
		{"cause typo", `causes["USER_BUSSY"] == 0`,
			`assertions[0].expr: invalid expression: causes["USER_BUSSY"]: not a FreeSWITCH hangup cause (did you mean "USER_BUSY"?)`},
		{"cause in lower case", `causes.user_busy == 0`, `(did you mean "USER_BUSY"? causes are keyed in upper case)`},
		{"cause of a stage", `stages.ramp.causes["NO_ANSWR"] == 0`, `(did you mean "NO_ANSWER"?)`},
		{"sip out of range", `sip["99"] == 0`, `sip["99"]: a SIP status is a number from 100 to 699`},
		{"sip not a number", `nodes.fs2.sip["busy"] == 0`, `sip["busy"]: a SIP status`},
		{"sip 700", `sip["700"] == 0`, `a SIP status is a number from 100 to 699`},
		{"counter typo", `flows.reject.unexpectd == 0`,
			`p.yaml:11:25: assertions[0].expr: invalid expression: unknown counter unexpectd of flow reject (did you mean unexpected?); it counts unexpected`},
		{"counter of a flow that counts nothing", `flows.park.unexpected == 0`, `unknown counter unexpected of flow park; the flow counts nothing of its own`},
		{"counters map", `flows.reject.counters["unexpectd"] == 0`, `unknown counter unexpectd of flow reject (did you mean unexpected?)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			errs := checkKnown(t, "  - expr: '"+strings.ReplaceAll(tt.expr, "'", "''")+"'\n")
			require.Len(t, errs, 1, "CheckWith(%s)", tt.expr)
			assert.Contains(t, errs[0].String(), tt.want, "CheckWith(%s)", tt.expr)
		})
	}
	t.Run("positioned at the key", func(t *testing.T) {
		t.Parallel()
		// Plain YAML scalars: columns inside quoted ones are not trusted.
		errs := checkKnown(t, "  - expr: pdd.p95 < duration(\"3OOms\")\n  - expr: causes[\"USER_BUSSY\"] == 0\n")
		require.Len(t, errs, 2)
		assert.Equal(t, "p.yaml:11:30", errs[0].Pos.String())
		assert.Equal(t, "p.yaml:12:18", errs[1].Pos.String())
	})
	t.Run("flow scope", func(t *testing.T) {
		t.Parallel()
		errs := checkKnown(t, "  - {expr: 'unexpectd == 0', flow: reject}\n")
		require.Len(t, errs, 1)
		assert.Contains(t, errs[0].String(), "unknown counter unexpectd of flow reject (did you mean unexpected?)")
	})
	for _, ok := range []string{
		`pdd.p95 < duration("300ms") && elapsed > duration("1h2m3.5s")`,
		`causes["USER_BUSY"] == 0 && stages.warm.causes.NO_ANSWER == 0`,
		`sip["503"] == 0 && sip["100"] >= 0 && nodes.fs2.sip["699"] == 0`,
		`flows.reject.unexpected == 0 && flows.reject.counters["unexpected"] == 0`,
		`flows.park.asr > 0.9`,
	} {
		assert.Empty(t, checkKnown(t, "  - expr: '"+strings.ReplaceAll(ok, "'", "''")+"'\n"), "CheckWith(%s)", ok)
	}
}

// TestDurationCheckedWithoutKnown: duration() needs no outside knowledge,
// so Compile (and run) reject a bad constant too.
func TestDurationCheckedWithoutKnown(t *testing.T) {
	t.Parallel()
	assert.Contains(t, compileErr(t, "  - expr: pdd.p95 < duration('1 s')\n"), `duration("1 s"): not a duration`)
}

func TestLookalikeDigits(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"3OOms": "300ms", "1O0ms": "100ms", "l5s": "l5s", "2l0ms": "210ms", "1hour": "1hour", "5oms": "50ms"} {
		assert.Equal(t, want, lookalikeDigits(in), "lookalikeDigits(%q)", in)
	}
}
