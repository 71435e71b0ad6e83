package plan

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExpandEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{"HOST": "10.0.0.1", "EMPTY": "", "NESTED": "${HOST}"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct {
		in, want string
		changed  bool
		err      string
	}{
		{"plain", "plain", false, ""},
		{"cost $5", "cost $5", false, ""},
		{"${HOST}", "10.0.0.1", true, ""},
		{"fs://${HOST}:8021", "fs://10.0.0.1:8021", true, ""},
		{"${MISSING:-dflt}", "dflt", true, ""},
		{"${EMPTY:-dflt}", "dflt", true, ""},
		{"[${EMPTY}]", "[]", true, ""},
		{"${NESTED}", "${HOST}", true, ""}, // not expanded twice
		{"$${HOST}", "${HOST}", true, ""},
		{"${HOST}${HOST}", "10.0.0.110.0.0.1", true, ""},
		{"${MISSING:-}", "", true, ""},
		{"${MISSING}", "", false, "environment variable MISSING is not set"},
		{"${UNCLOSED", "", false, "unclosed ${"},
		{"${}", "", false, "invalid environment variable name"},
		{"${9X}", "", false, "invalid environment variable name"},
	}
	for _, tt := range tests {
		got, changed, err := expandEnv(tt.in, lookup)
		if tt.err != "" {
			assert.ErrorContains(t, err, tt.err, "expandEnv(%q)", tt.in)
			continue
		}
		require.NoError(t, err, "expandEnv(%q)", tt.in)
		assert.Equal(t, tt.want, got, "expandEnv(%q)", tt.in)
		assert.Equal(t, tt.changed, changed, "expandEnv(%q) changed", tt.in)
	}
}

func TestParseNodeURI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in       string
		want     nodeURI
		errMatch string
	}{
		{"embedded", nodeURI{embedded: true}, ""},
		{"fs://10.0.0.1", nodeURI{host: "10.0.0.1", port: 8021, password: "ClueCon"}, ""},
		{"fs://fs1.example.com:8022", nodeURI{host: "fs1.example.com", port: 8022, password: "ClueCon"}, ""},
		{"fs://:s3cret@fs1", nodeURI{host: "fs1", port: 8021, password: "s3cret"}, ""},
		{"fs://:p@ss:w/rd@fs1:9000", nodeURI{host: "fs1", port: 9000, password: "p@ss:w/rd"}, ""},
		{"fs://[::1]:8021", nodeURI{host: "::1", port: 8021, password: "ClueCon"}, ""},
		{"fs://[::1]", nodeURI{host: "::1", port: 8021, password: "ClueCon"}, ""},
		{"fs://", nodeURI{}, "missing host"},
		{"fs://h:0", nodeURI{}, "invalid port"},
		{"fs://h:x", nodeURI{}, "invalid port"},
		{"fs://user:pw@h", nodeURI{}, "the password goes after a colon"},
		{"fs://:@h", nodeURI{}, "empty password"},
		{"fs://:a\nb@h", nodeURI{}, "line break"},
		{"fs://h/x", nodeURI{}, "path or query"},
		{"fs://-h", nodeURI{}, "invalid host"},
		{"fs://a..b", nodeURI{}, "invalid host"},
		{"esl://h", nodeURI{}, `unsupported scheme "esl"`},
		{"10.0.0.1:8021", nodeURI{}, "want fs://"},
		{"twilio://", nodeURI{cloud: true}, ""},
		{"twilio://AC1:pw@api.twilio.com", nodeURI{}, "write twilio:// alone"},
	}
	for _, tt := range tests {
		got, err := parseNodeURI(tt.in)
		if tt.errMatch != "" {
			assert.ErrorContains(t, err, tt.errMatch, "parseNodeURI(%q)", tt.in)
			if err != nil && strings.Contains(tt.in, "@") {
				assert.NotContains(t, err.Error(), "pw", "parseNodeURI(%q) error leaks the password", tt.in)
			}
			continue
		}
		require.NoError(t, err, "parseNodeURI(%q)", tt.in)
		assert.Equal(t, tt.want, got, "parseNodeURI(%q)", tt.in)
	}
}

func TestParseSetPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []pathStep
		err  bool
	}{
		{"name", []pathStep{{key: "name"}}, false},
		{"stages[0].rate", []pathStep{{key: "stages"}, {index: 0}, {key: "rate"}}, false},
		{"originate.vars.my-var", []pathStep{{key: "originate"}, {key: "vars"}, {key: "my-var"}}, false},
		{"a[1][2]", []pathStep{{key: "a"}, {index: 1}, {index: 2}}, false},
		{"", nil, true},
		{".a", nil, true},
		{"a.", nil, true},
		{"a..b", nil, true},
		{"a[", nil, true},
		{"a[-1]", nil, true},
		{"a[x]", nil, true},
		{"a]b", nil, true},
		{"[0]", nil, true},
		{"a b", nil, true},
	}
	for _, tt := range tests {
		got, err := parseSetPath(tt.in)
		if tt.err {
			assert.Error(t, err, "parseSetPath(%q)", tt.in)
			continue
		}
		require.NoError(t, err, "parseSetPath(%q)", tt.in)
		assert.Equal(t, tt.want, got, "parseSetPath(%q)", tt.in)
	}
}

func TestSetOverrides(t *testing.T) {
	t.Parallel()
	base := "stages:\n  - {duration: 5s, rate: 1, limit: 2}\n"
	tests := []struct {
		sets  []string
		check func(t *testing.T, p *Plan)
	}{
		{[]string{"stages[0].rate=20"}, func(t *testing.T, p *Plan) { assert.Equal(t, Rate{From: 20, To: 20}, p.Stages[0].Rate) }},
		{[]string{"stages[0].rate={from: 1, to: 5}"}, func(t *testing.T, p *Plan) {
			assert.Equal(t, Rate{From: 1, To: 5, Ramp: true}, p.Stages[0].Rate)
		}},
		{[]string{"originate.profile=internal"}, func(t *testing.T, p *Plan) { assert.Equal(t, "internal", p.Originate.Profile) }},
		{[]string{`originate.vars.a="b: c"`}, func(t *testing.T, p *Plan) { assert.Equal(t, "b: c", p.Originate.Vars["a"]) }},
		{[]string{"description="}, func(t *testing.T, p *Plan) { assert.Equal(t, "", p.Description) }},
		{[]string{"stages[1]={duration: 1s, rate: 1, hold: 1s}"}, func(t *testing.T, p *Plan) {
			require.Len(t, p.Stages, 2)
			assert.Equal(t, 3, p.Stages[1].Limit)
		}},
		{[]string{"seed=7", "seed=8"}, func(t *testing.T, p *Plan) { assert.Equal(t, int64(8), p.Seed) }},
		{[]string{"nodes[0]=fs://:${PW}@h"}, func(t *testing.T, p *Plan) { assert.Equal(t, "from-env", p.Nodes[0].Password) }},
		{[]string{"nodes[0]=fs://h", "nodes[0].max_sessions=100"}, func(t *testing.T, p *Plan) {
			assert.Equal(t, "fs://h", p.Nodes[0].URI)
			assert.Equal(t, 100, p.Nodes[0].MaxSessions)
		}},
	}
	for _, tt := range tests {
		p, err := Parse("t.yaml", []byte(base), Options{Set: tt.sets, Lookup: func(string) (string, bool) { return "from-env", true }})
		require.NoError(t, err, "Parse with %q", tt.sets)
		tt.check(t, p)
	}
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	keys := []string{"duration", "rate", "limit", "hold", "hold_dist", "name"}
	tests := []struct{ word, want string }{
		{"rat", "rate"},
		{"hodl", "hold"},
		{"nmae", "name"},
		{"Duraton", "duration"},
		{"hold-dist", "hold_dist"},
		{"zzz", ""},
		{"x", ""},
		{"limitless", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Suggest(tt.word, keys), "Suggest(%q)", tt.word)
	}
	assert.Equal(t, 3, levenshtein("kitten", "sitting"))
	assert.Equal(t, 1, levenshtein("ab", "ba"))
	assert.Equal(t, 0, levenshtein("", ""))
	assert.Equal(t, 4, levenshtein("", "abcd"))
}

func TestTemplate(t *testing.T) {
	t.Parallel()
	tpl, err := ParseTemplate("u-{{call.id}}@{{ node.sip_host }}:{{node.sip_port}};x={{flow}}/{{stage}}/{{run.id}}/{{node.name}}/{{node.host}}:{{node.port}}")
	require.NoError(t, err)
	n := Node{Name: "fs1", Host: "::1", Port: 8021, SIPHost: "2001:db8::1", SIPPort: 5080}
	got := tpl.ExpandFor(n, Call{ID: "c1", RunID: "r1", Flow: "park", Stage: "s1"})
	assert.Equal(t, "u-c1@[2001:db8::1]:5080;x=park/s1/r1/fs1/[::1]:8021", got)
	assert.True(t, tpl.Uses("call.id"))
	assert.False(t, tpl.Uses("node.port") && false)

	for in, want := range map[string]string{
		"{{nope}}":       "unknown placeholder {{nope}}",
		"{{node.hots}}":  `did you mean "node.host"`,
		"a{{call.id":     `unclosed "{{"`,
		"a}}b":           `unmatched "}}"`,
		"{{flow}}b}}":    `unmatched "}}"`,
		"x}}{{call.id}}": `unmatched "}}"`,
	} {
		_, err := ParseTemplate(in)
		assert.ErrorContains(t, err, want, "ParseTemplate(%q)", in)
	}
}

func TestExprSource(t *testing.T) {
	t.Parallel()
	src := "stages: [{duration: 5s, rate: 1, limit: 2}]\nassertions:\n  - expr: asr >= 0.99\n  - expr: 'a == 1'\n  - expr: |\n      b == 2\n  - expr: ${E}\n"
	p, err := Parse("f.yaml", []byte(src), Options{Lookup: func(string) (string, bool) { return "x", true }})
	require.NoError(t, err)
	at := func(i, line, col int) string { return p.Assertions[i].ExprSource.At(line, col).String() }
	assert.Equal(t, "f.yaml:3:15", at(0, 1, 4), "plain: column 4 of 'asr >= 0.99' is '>'")
	assert.Equal(t, "f.yaml:4:14", at(1, 1, 2), "quoted: skip the quote")
	assert.Equal(t, "f.yaml:5:11", at(2, 1, 2), "block scalar: the value's position")
	assert.Equal(t, "f.yaml:7:11", at(3, 1, 2), "expanded: offsets unknown, the value's position")
}

func TestNodeBudget(t *testing.T) {
	t.Parallel()
	// 3000 aliases of a flow with 40 parameters: about 250k nodes once
	// expanded, from a 30 kB file.
	var b strings.Builder
	b.WriteString("stages: [{duration: 5s, rate: 1, limit: 2}]\nx: &f {use: park, with: {")
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&b, "p%d: 1, ", i)
	}
	b.WriteString("}}\nflows: [")
	for i := 0; i < 3000; i++ {
		b.WriteString("*f, ")
	}
	b.WriteString("]\n")
	_, err := Parse("big.yaml", []byte(b.String()), Options{})
	var errs Errors
	require.True(t, errors.As(err, &errs), "Parse: %v", err)
	assert.Contains(t, err.Error(), "document too large")
	assert.Less(t, len(errs), 10, "the budget error is reported once, not per node")
}

func TestRedaction(t *testing.T) {
	t.Parallel()
	src := "nodes: ['fs://:hunter2@fs1']\nstages: [{duration: 5s, rate: 1, limit: 2}]\n"
	p, err := Parse("f.yaml", []byte(src), Options{})
	require.NoError(t, err)
	assert.Equal(t, "hunter2", p.Nodes[0].Password)
	out, err := p.MarshalResolved()
	require.NoError(t, err)
	assert.NotContains(t, string(out), "hunter2")
	assert.Contains(t, string(out), "fs://:***@fs1:8021")
	assert.Equal(t, "fs1:8021", p.Nodes[0].Addr())
}

// A cloud node's plan holds only environment variable names; the cloud
// call it describes takes its TwiML from the flow first, then the node.
func TestCloudCallFor(t *testing.T) {
	t.Parallel()
	src := `max_calls: 3
originate: {timeout: 15s}
nodes:
  - uri: twilio://
    twilio: {from: "+15005550006", to: "+1555{{flow}}", twiml_url: "https://t.example.com/a.xml"}
flows:
  - use: twiml
  - {use: twiml, name: b, with: {twiml: "<Response/>"}}
stages: [{duration: 5s, rate: 1, hold: 30s}]
`
	p, err := Parse("f.yaml", []byte(src), Options{})
	require.NoError(t, err)
	n := p.Nodes[0]
	assert.True(t, n.Cloud)
	assert.Equal(t, "", n.Addr())
	tests := []struct {
		flow int
		want CloudCall
	}{
		{0, CloudCall{To: "+1555twiml", From: "+15005550006", TwimlURL: "https://t.example.com/a.xml", Timeout: 15 * time.Second, TimeLimit: 90 * time.Second}},
		{1, CloudCall{To: "+1555b", From: "+15005550006", Twiml: "<Response/>", Timeout: 15 * time.Second, TimeLimit: 90 * time.Second}},
	}
	for _, tt := range tests {
		f := p.Flows[tt.flow]
		got := p.CloudCallFor(n, f, Call{ID: "c1", RunID: "r1", Flow: f.Name})
		assert.Equal(t, tt.want, got, "CloudCallFor(flow %s)", f.Name)
	}
}

func TestStageDerivation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		stage     string
		wantLimit int
		wantHold  string
		auto      bool
	}{
		{"{duration: 5s, rate: 10, limit: 50}", 50, "5s", true},
		{"{duration: 5s, rate: 10, limit: 50, hold: auto}", 50, "5s", true},
		{"{duration: 5s, rate: {from: 0, to: 20}, limit: 50}", 50, "2.5s", true},
		{"{duration: 5s, rate: 3, limit: 1}", 1, "333ms", true},
		{"{duration: 5s, rate: 10, hold: 2s}", 60, "2s", false},
		{"{duration: 5s, rate: 0.1, hold: 1s}", 1, "1s", false},
		{"{duration: 5s, rate: 10, hold: 2s, limit: 5}", 5, "2s", false},
	}
	for _, tt := range tests {
		p, err := Parse("f.yaml", []byte("stages: ["+tt.stage+"]"), Options{})
		require.NoError(t, err, tt.stage)
		s := p.Stages[0]
		assert.Equal(t, tt.wantLimit, s.Limit, "%s limit", tt.stage)
		assert.Equal(t, tt.wantHold, s.Hold.Value.String(), "%s hold", tt.stage)
		assert.Equal(t, tt.auto, s.Hold.Auto, "%s auto", tt.stage)
	}
}

func TestDiagnosticsCapped(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("stages: [{duration: 5s, rate: 1, limit: 2}]\nflows:\n")
	for i := 0; i < 300; i++ {
		b.WriteString("  - {use: park, weight: 0}\n")
	}
	_, err := Parse("many.yaml", []byte(b.String()), Options{})
	var errs Errors
	require.True(t, errors.As(err, &errs))
	require.Len(t, errs, maxDiagnostics+1)
	assert.Equal(t, "many.yaml: 499 more problems not shown", errs[maxDiagnostics].String())
}

// FuzzSet: any override on a real plan gives a plan or positioned errors,
// never a panic.
func FuzzSet(f *testing.F) {
	for _, s := range []string{"stages[0].rate=20", "originate.vars.a=b", "stages[1]={duration: 1s, rate: 1, limit: 1}", "nodes[0]=fs://h", "a[0][1].b=", "=x", "flows[0].with.code=[1, {a: b}]"} {
		f.Add(s)
	}
	base := []byte("stages:\n  - {duration: 5s, rate: 1, limit: 2}\nflows:\n  - use: reject\n    with: {code: 486}\noriginate:\n")
	f.Fuzz(func(t *testing.T, set string) {
		p, err := Parse("base.yaml", base, Options{Set: []string{set}})
		if err == nil {
			require.NotNil(t, p)
			return
		}
		var errs Errors
		require.True(t, errors.As(err, &errs), "error %T is not Errors", err)
		for _, d := range errs {
			require.NotEmpty(t, d.Pos.File, "diagnostic without a position: %#v", d)
		}
	})
}
