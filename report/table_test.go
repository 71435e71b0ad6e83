package report

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

// TestTableFitsWidth: at 100 columns every line of every fixture's table
// fits, so a terminal of that width shows it without wrapping; at 80 the
// text columns give way and only the numeric tables may be wider.
func TestTableFitsWidth(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"pass", "fail", "aborted", "interrupted", "unhealthy"} {
		r := fixture(t, name)
		for _, line := range strings.Split(render(t, TableWidth(r, 100)), "\n") {
			assert.LessOrEqual(t, utf8.RuneCountInString(line), 100, "%s at 100 columns: %q", name, line)
		}
		// Narrower, the assertions' text wraps (words are never broken).
		assert.Less(t, widest(section(render(t, TableWidth(r, 80)), "Assertions")), widest(section(render(t, TableWidth(r, 100)), "Assertions")), name)
	}
}

// section is the table under title in a rendered report.
func section(out, title string) string {
	_, rest, _ := strings.Cut(out, "\n"+title+"\n")
	table, _, _ := strings.Cut(rest, "\n\n")
	return table
}

// TestTableShowsUnknown: calls that ended with no outcome have a column in
// the per-group table and a row among the causes.
func TestTableShowsUnknown(t *testing.T) {
	t.Parallel()
	r := fixture(t, "pass")
	r.Summary.Unknown = 7
	g := r.Summary.Nodes["embedded"]
	g.Unknown = 7
	r.Summary.Nodes["embedded"] = g
	out := render(t, Table(r))
	assert.Regexp(t, `│ unknown +│ no outcome: node lost or run stopped +│ +7 │`, out)
	assert.Regexp(t, `│ node:embedded +│(?: +[0-9.%]+ │){4} +7 │`, out)
}
