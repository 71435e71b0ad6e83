package plan

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestYAMLErrorPosition: yaml.v3 reports its parser's errors with a 0-based
// line; diagnostics point at the 1-based line, and at the opening bracket
// of an unclosed flow collection.
func TestYAMLErrorPosition(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, src, want string
	}{
		{"unclosed sequence on line 2", "name: x\nnodes: [embedded\nstages: []\n",
			"p.yaml:2:8: invalid YAML: did not find expected ',' or ']'"},
		{"unclosed sequence on line 1", "nodes: [embedded\n",
			"p.yaml:1:8: invalid YAML: did not find expected ',' or ']'"},
		{"unclosed sequence, no newline", "nodes: [embedded",
			"p.yaml:1:8: invalid YAML: did not find expected ',' or ']'"},
		{"nested unclosed sequence", "name: x\nnodes: ['a[', [b]\n",
			"p.yaml:2:8: invalid YAML: did not find expected ',' or ']'"},
		{"unclosed mapping", "name: x\nreport: {dir: out # {\n",
			"p.yaml:2:9: invalid YAML: did not find expected ',' or '}'"},
		{"bad indentation in a sequence", "stages:\n  - duration: 5s\n   rate: 1\n",
			"p.yaml:2: invalid YAML: did not find expected '-' indicator"},
		{"sequence item in a mapping", "a: 1\nb: 2\n- c\n",
			"p.yaml:3: invalid YAML: did not find expected key"},
		{"scanner error keeps its line", "name: x\n  foo: 1\n",
			"p.yaml:2: invalid YAML: mapping values are not allowed in this context"},
		{"no line at all", "a: &x 1\nb: *y\n",
			"p.yaml: invalid YAML: unknown anchor 'y' referenced"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("p.yaml", []byte(tt.src), Options{})
			var errs Errors
			require.True(t, errors.As(err, &errs), "Parse(%q) = %v; want Errors", tt.src, err)
			require.Len(t, errs, 1)
			assert.Equal(t, tt.want, errs[0].String(), "Parse(%q)", tt.src)
		})
	}
}
