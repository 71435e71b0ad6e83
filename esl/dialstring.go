package esl

import "strings"

// FreeSWITCH's own parsing of API arguments and dial-string variable
// blocks, ported line by line from switch_utils.c (switch_separate_string,
// separate_string_blank_delim, separate_string_char_delim,
// cleanup_separated_string, unescape_char, switch_find_end_paren) and
// switch_event.c (switch_event_create_brackets). Originate.Command is
// proven against it, and the agent can parse with it to accept exactly
// what FreeSWITCH accepts.

const escapeMeta = '\\'

func unescapeChar(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 's':
		return ' '
	}
	return c
}

// cleanupSeparated is cleanup_separated_string on a NUL-free Go string.
func cleanupSeparated(str string, delim byte) string {
	if strings.IndexByte(str, escapeMeta) < 0 && strings.IndexByte(str, '\'') < 0 {
		// Nothing to unescape or unquote: only the blanks around go, and
		// the part is a substring of the split buffer (no copy).
		return strings.Trim(str, " ")
	}
	p := 0
	for p < len(str) && str[p] == ' ' {
		p++
	}
	dest := make([]byte, 0, len(str))
	end := -1
	inside := false
	for ; p < len(str); p++ {
		esc := false
		if str[p] == escapeMeta {
			var e byte
			if p+1 < len(str) {
				e = str[p+1]
			}
			if e != 0 && (e == '\'' || e == '"' || (delim != 0 && e == delim) || e == escapeMeta || unescapeChar(e) != e) {
				if e != '\'' && e != '"' && e != delim && e != escapeMeta {
					e = unescapeChar(e)
				}
				p++
				dest = append(dest, e)
				end = len(dest)
				esc = true
			}
		}
		if !esc {
			if str[p] == '\'' && (inside || strings.IndexByte(str[p+1:], '\'') >= 0) {
				inside = !inside
				if inside {
					end = len(dest)
				}
			} else {
				dest = append(dest, str[p])
				if str[p] != ' ' || inside {
					end = len(dest)
				}
			}
		}
	}
	if end >= 0 {
		dest = dest[:end]
	}
	return string(dest)
}

// SeparateString is FreeSWITCH's switch_separate_string: it splits buf on
// delim into at most arraylen parts (the last keeps the rest), honouring
// single quotes and backslash escapes, then cleans each part as FreeSWITCH
// does: leading and trailing blanks trimmed, unescaped single quotes
// dropped, \\ \' \" \<delim> turned into the character and \n \r \t \s into
// newline, CR, tab and space. A buf starting with "^^X" splits on X. The
// API splits its arguments with delim ' ' (quotes group words); the
// agent's originate must parse exactly like this to accept what
// Originate.Command writes.
func SeparateString(buf string, delim byte, arraylen int) []string {
	if strings.HasPrefix(buf, "^^") && len(buf) >= 4 {
		delim = buf[2]
		buf = buf[3:]
	}
	var parts []string
	if delim == ' ' {
		// separate_string_blank_delim
		const (
			start = iota
			skipInitial
			findDelim
			skipEnding
		)
		state, inside := start, false
		b := []byte(buf)
		var starts []int
		p := 0
		for p < len(b) && b[p] != 0 && len(starts) < arraylen {
			switch state {
			case start:
				starts = append(starts, p)
				state = skipInitial
			case skipInitial:
				if b[p] == ' ' {
					p++
				} else {
					state = findDelim
				}
			case findDelim:
				if b[p] == escapeMeta {
					p++
				} else if b[p] == '\'' {
					inside = !inside
				} else if b[p] == ' ' && !inside {
					b[p] = 0
					state = skipEnding
				}
				p++
			case skipEnding:
				if b[p] == ' ' {
					p++
				} else {
					state = start
				}
			}
		}
		split := string(b)
		for _, s := range starts {
			parts = append(parts, cleanupSeparated(cstr(split[s:]), 0))
		}
		return parts
	}
	// separate_string_char_delim
	b := []byte(buf)
	var starts []int
	findDelim, inside := false, false
	p := 0
	for p < len(b) && b[p] != 0 && len(starts) < arraylen {
		if !findDelim {
			starts = append(starts, p)
			findDelim = true
			continue
		}
		if b[p] == escapeMeta {
			p++
		} else if b[p] == '\'' && (inside || quoteAhead(b[p+1:])) {
			inside = !inside
		} else if b[p] == delim && !inside {
			b[p] = 0
			findDelim = false
		}
		p++
	}
	split := string(b)
	for _, s := range starts {
		parts = append(parts, cleanupSeparated(cstr(split[s:]), delim))
	}
	return parts
}

// cstr cuts at the first NUL, as C would see the string. The splitters
// write NULs into one copy of their input, turn it into one string, and
// take every part from it with cstr: one allocation for all the parts.
func cstr(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// quoteAhead reports whether a quote comes before the first NUL of b
// (separate_string_char_delim's strchr for a closing quote).
func quoteAhead(b []byte) bool {
	for _, c := range b {
		switch c {
		case 0:
			return false
		case '\'':
			return true
		}
	}
	return false
}

// FindEndParen is FreeSWITCH's switch_find_end_paren: after leading
// blanks s must start with open; it returns the index of the matching
// close, counting nesting and ignoring quotes and escapes, or -1.
func FindEndParen(s string, open, close byte) int {
	i := 0
	for i < len(s) && s[i] == ' ' {
		i++
	}
	if i >= len(s) || s[i] != open {
		return -1
	}
	depth := 1
	for e := i + 1; e < len(s); e++ {
		if s[e] == open {
			depth++
		} else if s[e] == close {
			depth--
			if depth == 0 {
				return e
			}
		}
	}
	return -1
}

// ParseVarBlock parses the inside of a {} (or []) variable block as
// FreeSWITCH's switch_event_create_brackets does: "^^X" at the start makes
// X the separator (default ','), items are split with SeparateString, each
// item on its first '=' (a second SeparateString pass, so escapes are
// undone twice); an item without '=' or with an empty value is dropped.
func ParseVarBlock(vdata string) []Var {
	delim := byte(',')
	if strings.HasPrefix(vdata, "^^") && len(vdata) > 2 {
		delim = vdata[2]
		vdata = vdata[3:]
	}
	var out []Var
	for _, item := range SeparateString(vdata, delim, 1024) {
		if kv := SeparateString(item, '=', 2); len(kv) == 2 {
			out = append(out, Var{Name: kv[0], Value: kv[1]})
		}
	}
	return out
}
