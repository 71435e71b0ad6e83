package esl

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fsParseOriginate below parses with SeparateString, FindEndParen and
// ParseVarBlock, the line-by-line port of FreeSWITCH's parser in
// dialstring.go: whatever Command produces must parse back to exactly the
// variables, endpoint and app that went in.

type fsOriginate struct {
	vars     []Var
	dial     string // the leg after the {} block
	app      string
	appArgs  string
	argc     int
	parseErr string
}

// fsParseOriginate parses an "originate ..." API command the way
// FreeSWITCH does, as far as variables, the leg and the app go.
func fsParseOriginate(cmd string) fsOriginate {
	var out fsOriginate
	rest, ok := strings.CutPrefix(cmd, "originate ")
	if !ok {
		out.parseErr = "not an originate"
		return out
	}
	argv := SeparateString(rest, ' ', 10)
	out.argc = len(argv)
	if len(argv) < 2 || len(argv) > 7 {
		out.parseErr = "usage"
		return out
	}
	data := argv[0]
	if strings.HasPrefix(data, "{") {
		end := FindEndParen(data, '{', '}')
		if end < 0 {
			out.parseErr = "unclosed {"
			return out
		}
		out.vars = ParseVarBlock(data[1:end])
		data = data[end+1:]
	}
	out.dial = data
	target := argv[1]
	if strings.HasPrefix(target, "&") {
		app := target[1:]
		if i := strings.IndexByte(app, '('); i >= 0 {
			args := app[i+1:]
			app = app[:i]
			if j := strings.IndexByte(args, ')'); j >= 0 {
				args = args[:j]
			}
			out.appArgs = args
		}
		out.app = app
	}
	return out
}

func TestOriginateCommandPlain(t *testing.T) {
	t.Parallel()
	o := Originate{
		Vars: []Var{
			{"origination_uuid", "d4cf56ca-9b0f-46c8-a313-5be887a43eb2"},
			{"sip_h_X-originating_session_uuid", "d4cf56ca-9b0f-46c8-a313-5be887a43eb2"},
		},
		Endpoint: Sofia("external", "test@127.0.0.1:5080"),
	}
	cmd, err := o.Command()
	require.NoError(t, err)
	// The exact command of fixture 01 (sent.txt), which FreeSWITCH accepted.
	assert.Equal(t, "originate {origination_uuid=d4cf56ca-9b0f-46c8-a313-5be887a43eb2,sip_h_X-originating_session_uuid=d4cf56ca-9b0f-46c8-a313-5be887a43eb2}sofia/external/test@127.0.0.1:5080 &park()", cmd)
}

func TestOriginateEndpoints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		o    Originate
		want string
	}{
		{Originate{Endpoint: Sofia("external", "1000@10.0.0.7:5060"), Proxy: "10.0.0.9:5060"},
			"originate sofia/external/1000@10.0.0.7:5060;fs_path=sip:10.0.0.9:5060 &park()"},
		{Originate{Endpoint: Sofia("external", "1000@sut.example"), Proxy: "sip:10.0.0.9"},
			"originate sofia/external/1000@sut.example;fs_path=sip:10.0.0.9 &park()"},
		{Originate{Endpoint: Sofia("internal", "1000@[::1]:5060;transport=tcp")},
			"originate sofia/internal/1000@[::1]:5060;transport=tcp &park()"},
		{Originate{Endpoint: SofiaGateway("carrier-1", "+15551234567")},
			"originate sofia/gateway/carrier-1/+15551234567 &park()"},
		{Originate{Endpoint: Loopback("9999", "default"), App: "echo"},
			"originate loopback/9999/default &echo()"},
		{Originate{Endpoint: Loopback("9999", ""), App: "playback", AppArgs: "/tmp/a b.wav"},
			`originate loopback/9999 &playback(/tmp/a\sb.wav)`},
	}
	for _, tt := range tests {
		got, err := tt.o.Command()
		require.NoError(t, err)
		assert.Equal(t, tt.want, got)
		p := fsParseOriginate(got)
		assert.Empty(t, p.parseErr)
		assert.Equal(t, 2, p.argc, "exactly dial string and target: %s", got)
	}
	// App args with a blank survive FreeSWITCH's argument split.
	p := fsParseOriginate(tests[len(tests)-1].want)
	assert.Equal(t, "/tmp/a b.wav", p.appArgs)
	assert.Equal(t, "playback", p.app)
}

// hostile are values a plan, an environment variable or a SIP header could
// carry, each trying to break out of its field.
var hostile = []string{
	"a,b",                              // a second variable
	"a,origination_uuid=evil",          // overriding a variable
	"x}sofia/gateway/evil/1",           // (refused: braces)
	"a b",                              // a second positional argument
	" leading and trailing ",           // trimmed by FreeSWITCH unless escaped
	"it's",                             // a lone quote
	"'quoted, with comma'",             // quotes FreeSWITCH would strip
	`back\slash`,                       // \s would become a space
	`trailing\`,                        // escape at the end
	`\,\'\\\s\n`,                       // every escape FreeSWITCH knows
	`"double" quotes`,                  // double quotes
	"a=b=c",                            // '=' in a value
	"^^:a:b",                           // separator switch at the start
	"<sip:alice@example.com>;tag=1",    // a SIP header value
	"Mr Load Tester, Esq.",             // a caller id name
	"&park()",                          // an app
	"a|b",                              // sequential legs
	"a:_:b",                            // enterprise separator
	"tab\there",                        // tab is carried raw
	"ünïcödé ☎",                        // non-ASCII
	"%41%20+",                          // encodings are not ours to decode
	"$dollar but not expansion",        // a lone '$'
	"",                                 // empty
	strings.Repeat("\\'", 20) + "end ", // many escapes
}

func TestOriginateHostileValuesRoundTrip(t *testing.T) {
	t.Parallel()
	for _, v := range hostile {
		o := Originate{
			Vars: []Var{
				{"origination_uuid", "u-1"},
				{"sip_h_X-callplan-flow", v},
				{"origination_caller_id_name", v},
				{"last", "ok"},
			},
			Endpoint: Sofia("external", "1000@127.0.0.1:5080"),
			App:      "playback",
			AppArgs:  strings.NewReplacer("(", "", ")", "").Replace(v),
		}
		cmd, err := o.Command()
		if strings.ContainsAny(v, "{}") {
			assert.ErrorIs(t, err, ErrDialString, "%q", v)
			continue
		}
		require.NoError(t, err, "%q", v)
		p := fsParseOriginate(cmd)
		require.Empty(t, p.parseErr, "%q -> %s", v, cmd)
		assert.Equal(t, 2, p.argc, "%q -> %s: extra positional argument", v, cmd)
		var want []Var
		for _, x := range o.Vars {
			if x.Value != "" {
				want = append(want, x)
			}
		}
		assert.Equal(t, want, p.vars, "%q -> %s", v, cmd)
		assert.Equal(t, "sofia/external/1000@127.0.0.1:5080", p.dial, "%q -> %s", v, cmd)
		assert.Equal(t, "playback", p.app)
		assert.Equal(t, o.AppArgs, p.appArgs, "%q -> %s", v, cmd)
	}
}

func TestOriginateRefusesWhatCannotBeEscaped(t *testing.T) {
	t.Parallel()
	ep := Sofia("external", "1000@127.0.0.1")
	tests := []struct {
		name string
		o    Originate
	}{
		{"CR in value", Originate{Vars: []Var{{"a", "x\r"}}, Endpoint: ep}},
		{"LF in value", Originate{Vars: []Var{{"a", "x\napi fsctl shutdown"}}, Endpoint: ep}},
		{"NUL in value", Originate{Vars: []Var{{"a", "x\x00"}}, Endpoint: ep}},
		{"close brace", Originate{Vars: []Var{{"a", "x}"}}, Endpoint: ep}},
		{"open brace", Originate{Vars: []Var{{"a", "{x"}}, Endpoint: ep}},
		{"expansion", Originate{Vars: []Var{{"a", "${system(id)}"}}, Endpoint: ep}},
		{"bad name comma", Originate{Vars: []Var{{"a,b", "x"}}, Endpoint: ep}},
		{"bad name equals", Originate{Vars: []Var{{"a=b", "x"}}, Endpoint: ep}},
		{"bad name caret", Originate{Vars: []Var{{"^^:a", "x"}}, Endpoint: ep}},
		{"empty name", Originate{Vars: []Var{{"", "x"}}, Endpoint: ep}},
		{"no endpoint", Originate{}},
		{"profile slash", Originate{Endpoint: Sofia("ext/evil", "1000")}},
		{"dest blank", Originate{Endpoint: Sofia("external", "1000 &bridge(x)")}},
		{"dest comma", Originate{Endpoint: Sofia("external", "1000,sofia/gateway/evil/1")}},
		{"dest pipe", Originate{Endpoint: Sofia("external", "1000|user/evil")}},
		{"dest enterprise", Originate{Endpoint: Sofia("external", "1000:_:user/evil")}},
		{"dest bracket first", Originate{Endpoint: Sofia("external", "[x=y]1000")}},
		{"dest newline", Originate{Endpoint: Sofia("external", "1000\n")}},
		{"dest quote", Originate{Endpoint: Sofia("external", "'1000")}},
		{"dest expansion", Originate{Endpoint: Sofia("external", "${x}")}},
		{"empty dest", Originate{Endpoint: Sofia("external", "")}},
		{"gateway name", Originate{Endpoint: SofiaGateway("a b", "1")}},
		{"loopback ext slash", Originate{Endpoint: Loopback("1/evil", "")}},
		{"loopback context", Originate{Endpoint: Loopback("1", "a b")}},
		{"proxy blank", Originate{Endpoint: ep, Proxy: "10.0.0.1 &x"}},
		{"proxy not sofia", Originate{Endpoint: Loopback("1", ""), Proxy: "10.0.0.1"}},
		{"app name", Originate{Endpoint: ep, App: "park() &x"}},
		{"app args paren", Originate{Endpoint: ep, App: "playback", AppArgs: "tone_stream://%(100,100,440)"}},
		{"app args newline", Originate{Endpoint: ep, App: "playback", AppArgs: "a\nb"}},
		{"args without app", Originate{Endpoint: ep, AppArgs: "x"}},
	}
	for _, tt := range tests {
		cmd, err := tt.o.Command()
		assert.ErrorIs(t, err, ErrDialString, "%s: got %q", tt.name, cmd)
	}
}

// FuzzOriginate: for any value, Command either refuses it or produces a
// command FreeSWITCH parses back to exactly that value, with no extra
// variable, argument or leg.
func FuzzOriginate(f *testing.F) {
	for _, v := range hostile {
		f.Add(v, v)
	}
	f.Fuzz(func(t *testing.T, value, args string) {
		o := Originate{
			Vars:     []Var{{"origination_uuid", "u"}, {"v", value}, {"w", "end"}},
			Endpoint: Sofia("external", "1000@127.0.0.1"),
			App:      "playback",
			AppArgs:  args,
		}
		cmd, err := o.Command()
		if err != nil {
			return
		}
		if strings.ContainsAny(cmd, "\r\n\x00") {
			t.Fatalf("command with a line break: %q", cmd)
		}
		p := fsParseOriginate(cmd)
		if p.parseErr != "" || p.argc != 2 {
			t.Fatalf("%q: parse %q argc %d", cmd, p.parseErr, p.argc)
		}
		want := 3
		if value == "" {
			want = 2
		}
		if len(p.vars) != want || want == 3 && p.vars[1].Value != value || p.vars[want-1] != (Var{"w", "end"}) {
			t.Fatalf("%q: vars %q", cmd, p.vars)
		}
		if p.dial != "sofia/external/1000@127.0.0.1" || p.app != "playback" || p.appArgs != args {
			t.Fatalf("%q: dial %q app %q args %q", cmd, p.dial, p.app, p.appArgs)
		}
	})
}
