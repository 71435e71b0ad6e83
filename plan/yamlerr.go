package plan

import (
	"regexp"
	"strconv"
	"strings"
)

var yamlLineErr = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError turns a yaml.v3 syntax error into a positioned diagnostic.
// yaml.v3 puts only a line in the message, and for the parser's own errors
// (as opposed to the scanner's) that line is 0-based: decode.go's
// parser.fail adds one only when p.parser.error is yaml_SCANNER_ERROR. So
// a parser error's line gets its missing one back here, and where the
// error is about an unclosed flow collection the column of its opening
// bracket is known too (flowErrorPos).
func yamlError(file string, data []byte, err error) Diagnostic {
	msg := err.Error()
	m := yamlLineErr.FindStringSubmatch(msg)
	if m == nil {
		problem := strings.TrimPrefix(msg, "yaml: ")
		if parserProblems[problem] != "" {
			// Both marks were on the first line (0): fail printed no line.
			return Diagnostic{Pos: flowErrorPos(file, data, 1, problem), Msg: "invalid YAML: " + problem}
		}
		return Diagnostic{Pos: Pos{File: file}, Msg: "invalid YAML: " + problem}
	}
	line, _ := strconv.Atoi(m[1])
	problem := m[2]
	if parserProblems[problem] == "" {
		return Diagnostic{Pos: Pos{File: file, Line: line}, Msg: "invalid YAML: " + problem}
	}
	return Diagnostic{Pos: flowErrorPos(file, data, line+1, problem), Msg: "invalid YAML: " + problem}
}

// parserProblems are the messages yaml.v3's parser (parserc.go) reports
// with a 0-based line, each mapped to the opening bracket its context
// mark points at, or "-" when the context has no bracket.
var parserProblems = map[string]string{
	"did not find expected <stream-start>":   "-",
	"did not find expected <document start>": "-",
	"found undefined tag handle":             "-",
	"did not find expected node content":     "-",
	"did not find expected '-' indicator":    "-",
	"did not find expected key":              "-",
	"did not find expected ',' or ']'":       "[",
	"did not find expected ',' or '}'":       "{",
	"found duplicate %YAML directive":        "-",
	"found incompatible YAML document":       "-",
	"found duplicate %TAG directive":         "-",
}

// flowErrorPos positions a parser error reported at line. For an unclosed
// flow sequence or mapping the context mark is its opening bracket: yaml.v3
// reports the context's line unless the context is on the first line, and
// then the line of the problem (often the end of the file). So when the
// reported line holds no unclosed bracket, the bracket is on line 1.
func flowErrorPos(file string, data []byte, line int, problem string) Pos {
	open := parserProblems[problem]
	if open == "-" {
		return Pos{File: file, Line: line}
	}
	lines := strings.Split(string(data), "\n")
	for _, l := range []int{line, 1} {
		if l >= 1 && l <= len(lines) {
			if col := unclosedBracket(lines[l-1], open[0]); col > 0 {
				return Pos{File: file, Line: l, Col: col}
			}
		}
	}
	return Pos{File: file, Line: line}
}

// unclosedBracket is the 1-based column of the last opening bracket on
// line that the line does not close, skipping quoted text and a trailing
// comment; 0 when there is none.
func unclosedBracket(line string, open byte) int {
	closer := byte(']')
	if open == '{' {
		closer = '}'
	}
	var stack []int
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			i = len(line)
		case c == open:
			stack = append(stack, i+1)
		case c == closer && len(stack) > 0:
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) == 0 {
		return 0
	}
	return stack[len(stack)-1]
}
