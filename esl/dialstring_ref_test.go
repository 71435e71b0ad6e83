package esl

import (
	"strings"
	"testing"
)

// The splitter as first ported (before the allocation cuts), kept as the
// oracle the current one must agree with on every input.

func refCleanupSeparated(str string, delim byte) string {
	p := 0
	for p < len(str) && str[p] == ' ' {
		p++
	}
	var dest []byte
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

func refSeparateString(buf string, delim byte, arraylen int) []string {
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
		for _, s := range starts {
			parts = append(parts, refCleanupSeparated(refCstr(b[s:]), 0))
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
		} else if b[p] == '\'' && (inside || strings.IndexByte(refCstr(b[p+1:]), '\'') >= 0) {
			inside = !inside
		} else if b[p] == delim && !inside {
			b[p] = 0
			findDelim = false
		}
		p++
	}
	for _, s := range starts {
		parts = append(parts, refCleanupSeparated(refCstr(b[s:]), delim))
	}
	return parts
}

func refCstr(b []byte) string {
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		return string(b[:i])
	}
	return string(b)
}

// FuzzSeparateStringAsPorted: the splitter gives the line-by-line port's
// parts for every input.
func FuzzSeparateStringAsPorted(f *testing.F) {
	for _, s := range []string{"originate  {a=b}sofia/x/y   &park()", "a 'b c' d", `a\sb c`, `x=1,y=a\,b,z='q,r'`,
		"^^:a=1,2:b=3", "k=v=w", "  padded  ", `it's`, `trailing\`, "a\x00b c", " 'x ' ", `a\'b' c`} {
		f.Add(s, byte(' '))
		f.Add(s, byte(','))
	}
	f.Fuzz(func(t *testing.T, s string, delim byte) {
		for _, max := range []int{1, 2, 1024} {
			got, want := SeparateString(s, delim, max), refSeparateString(s, delim, max)
			if strings.Join(got, "\x00") != strings.Join(want, "\x00") || len(got) != len(want) {
				t.Fatalf("SeparateString(%q, %q, %d) = %q; want %q", s, delim, max, got, want)
			}
		}
	})
}

// BenchmarkParseVarBlock parses the variable block the runner puts on each
// originate (the agent parses one per call).
func BenchmarkParseVarBlock(b *testing.B) {
	const block = "origination_uuid=1b0e5c3e-8a4e-4b53-9a0e-3f8c1d2e4a5b,origination_caller_id_number=1000," +
		"sip_h_X-callplan-call=1b0e5c3e-8a4e-4b53-9a0e-3f8c1d2e4a5b,sip_h_X-callplan-run=44c3c08bc43e," +
		"ignore_early_media=true,originate_timeout=30,hangup_after_bridge=false,absolute_codec_string='PCMU,PCMA'"
	b.ReportAllocs()
	for b.Loop() {
		if len(ParseVarBlock(block)) != 8 {
			b.Fatal("want 8 vars")
		}
	}
}
