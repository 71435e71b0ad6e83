package esl

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSeparateString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		delim byte
		max   int
		want  []string
	}{
		{"originate  {a=b}sofia/x/y   &park()", ' ', 10, []string{"originate", "{a=b}sofia/x/y", "&park()"}},
		{"a 'b c' d", ' ', 10, []string{"a", "b c", "d"}},
		{`a\sb c`, ' ', 10, []string{"a b", "c"}},
		{`a\\sb`, ' ', 10, []string{`a\sb`}},
		{`x=1,y=a\,b,z='q,r'`, ',', 1024, []string{"x=1", "y=a,b", "z=q,r"}},
		{"^^:a=1,2:b=3", ',', 1024, []string{"a=1,2", "b=3"}},
		{"k=v=w", '=', 2, []string{"k", "v=w"}},
		{"k=", '=', 2, []string{"k"}},
		{"  padded  ", ',', 10, []string{"padded"}},
		{`it's`, ',', 10, []string{"it's"}}, // a lone quote is kept
		{`trailing\`, ' ', 10, []string{`trailing\`}},
		{"", ',', 10, nil},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, SeparateString(tt.in, tt.delim, tt.max), "SeparateString(%q, %q, %d)", tt.in, tt.delim, tt.max)
	}
}

func TestFindEndParenAndParseVarBlock(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 6, FindEndParen("{a{b}c}x", '{', '}'))
	assert.Equal(t, 6, FindEndParen("  {a='}'}", '{', '}'), "quotes do not protect a brace")
	assert.Equal(t, -1, FindEndParen("{a", '{', '}'))
	assert.Equal(t, -1, FindEndParen("a}", '{', '}'))
	assert.Equal(t, []Var{{"a", "1"}, {"b", "x,y"}, {"d", "it's"}},
		ParseVarBlock(`a=1,b=x\,y,c=,nameonly,d=it\\\'s`))
	assert.Equal(t, []Var{{"a", "1,2"}, {"b", "3"}}, ParseVarBlock("^^:a=1,2:b=3"))
}

// FuzzSeparateString: FreeSWITCH's splitter, ported, never panics or
// returns more parts than asked for.
func FuzzSeparateString(f *testing.F) {
	f.Add(`a 'b c' d\`, byte(' '))
	f.Add(`^^:a:b\:c`, byte(','))
	f.Fuzz(func(t *testing.T, s string, delim byte) {
		if delim == 0 {
			return
		}
		if parts := SeparateString(s, delim, 4); len(parts) > 4 {
			t.Fatalf("%d parts", len(parts))
		}
		_ = FindEndParen(s, '{', '}')
		_ = ParseVarBlock(s)
	})
}
