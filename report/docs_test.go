package report

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	verdict "github.com/callplan/callplan/assert"
)

// TestSchemaDocumented keeps docs/reports.md in step with report.json:
// every JSON key of the results, the plan info, the verdicts and the
// baseline comparison is named there as `key`.
func TestSchemaDocumented(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/reports.md")
	require.NoError(t, err)
	text := string(doc)
	assert.Contains(t, text, Schema)
	for _, v := range []any{Results{}, PlanInfo{}, StageInfo{}, Files{}, Comparison{}, Delta{},
		Failure{}, NodeFailure{}, verdict.Verdict{}, verdict.Source{}, verdict.Span{}, verdict.Observed{}} {
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			assert.True(t, strings.Contains(text, "`"+name+"`"), "%s.%s (json %q) is not documented in docs/reports.md", typ.Name(), typ.Field(i).Name, name)
		}
	}
	for _, f := range Formats {
		assert.Contains(t, text, "`"+f.FileName()+"`")
	}
}
