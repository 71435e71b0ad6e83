package plan

import (
	"fmt"
	"sort"
	"strings"
)

// Pos is where something was written: a file (or a --set override) and a
// 1-based line and column. Line 0 means the position is the whole source
// (an override given on the command line, or a file that could not be read);
// column 0 means only the line is known (some YAML syntax errors).
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	if p.Col == 0 {
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Positions maps a mapping's keys to where their values were written, so
// layers above plan (flow parameters, assertion compilation) can report
// positioned errors without re-reading the YAML.
type Positions map[string]Pos

// Get returns the position of key's value, or fallback when the key was not
// written (a default).
func (ps Positions) Get(key string, fallback Pos) Pos {
	if p, ok := ps[key]; ok {
		return p
	}
	return fallback
}

// Diagnostic is one problem in a plan, printed as
// `file:line:col: path: message`.
type Diagnostic struct {
	Pos  Pos
	Path string // field path in the plan, e.g. stages[0].rate
	Msg  string
}

func (d Diagnostic) String() string {
	if d.Path == "" {
		return fmt.Sprintf("%s: %s", d.Pos, d.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", d.Pos, d.Path, d.Msg)
}

// Errors is every problem found in a plan. It is the error Load and Parse
// return; use errors.As to get at the individual diagnostics.
type Errors []Diagnostic

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, d := range es {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// Add appends a diagnostic. Layers above plan use it to merge their own
// checks into one list.
func (es *Errors) Add(pos Pos, path, format string, args ...any) {
	*es = append(*es, Diagnostic{Pos: pos, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// Sort orders diagnostics by source position, then path and message, so
// output is stable whatever order the checks ran in. Overrides (line 0)
// come after the file's own problems.
func (es Errors) Sort() {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if (a.Pos.Line == 0) != (b.Pos.Line == 0) {
			return b.Pos.Line == 0
		}
		if a.Pos.File != b.Pos.File {
			return a.Pos.File < b.Pos.File
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		if a.Pos.Col != b.Pos.Col {
			return a.Pos.Col < b.Pos.Col
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Msg < b.Msg
	})
}

// Suggest returns the candidate closest to word when it is close enough to
// be a likely typo (edit distance at most 2, and at most a third of the
// word), or "" otherwise.
func Suggest(word string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		d := levenshtein(strings.ToLower(word), strings.ToLower(c))
		if bestDist < 0 || d < bestDist || (d == bestDist && c < best) {
			best, bestDist = c, d
		}
	}
	limit := max(1, min(2, len(word)/3))
	if bestDist < 0 || bestDist > limit {
		return ""
	}
	return best
}

// didYouMean formats Suggest's answer as a message suffix.
func didYouMean(word string, candidates []string) string {
	if s := Suggest(word, candidates); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// levenshtein is the edit distance between a and b, counting an insertion,
// deletion, substitution or swap of two adjacent runes as one edit (the
// optimal string alignment distance: "hodl" is one edit from "hold").
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	rows := [3][]int{make([]int, len(rb)+1), make([]int, len(rb)+1), make([]int, len(rb)+1)}
	prev2, prev, cur := rows[0], rows[1], rows[2]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
