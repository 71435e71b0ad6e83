package flows

import (
	"regexp"
	"sort"
	"testing"

	"github.com/callplan/callplan/internal/hangup"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// metricsName is what an assertion can name after flows.NAME.
var metricsName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

func TestSpecsAreWellFormed(t *testing.T) {
	t.Parallel()
	specs := Specs()
	require.NotEmpty(t, specs)
	assert.True(t, sort.SliceIsSorted(specs, func(i, j int) bool { return specs[i].Name < specs[j].Name }), "Specs() sorted by name")
	for _, s := range specs {
		assert.NotEmpty(t, s.Doc, "flow %s has no doc", s.Name)
		assert.NotEmpty(t, s.Judges, "flow %s does not say how it judges", s.Name)
		assert.NotNil(t, s.New, "flow %s has no constructor", s.Name)
		for _, m := range append(append([]Measure(nil), s.Counters...), s.Fields...) {
			assert.NotEmpty(t, m.Doc, "flow %s: measure %s has no doc", s.Name, m.Name)
			assert.True(t, metricsName.MatchString(m.Name), "flow %s: measure %q is not a lower_snake name", s.Name, m.Name)
		}
		own := map[string]bool{}
		for _, c := range s.Counters {
			own[c.Name] = true
		}
		for _, f := range s.Figures {
			assert.NotEmpty(t, f.Doc, "flow %s: figure %s has no doc", s.Name, f.Name)
			assert.True(t, metricsName.MatchString(f.Name), "flow %s: figure %q is not a lower_snake name", s.Name, f.Name)
			assert.False(t, own[f.Name], "flow %s: %s is both a counter and a figure (assertions read both as flows.%s.%s)", s.Name, f.Name, s.Name, f.Name)
			own[f.Name] = true
		}
		seen := map[string]bool{}
		for _, p := range s.Params {
			assert.False(t, seen[p.Name], "flow %s: duplicate param %s", s.Name, p.Name)
			seen[p.Name] = true
			assert.NotEmpty(t, p.Doc, "flow %s param %s has no doc", s.Name, p.Name)
			if p.Default != "" {
				assert.NoError(t, p.CheckValue(p.Default), "flow %s param %s: default %q is not a valid value", s.Name, p.Name, p.Default)
			}
			if p.Type == TypeEnum {
				assert.NotEmpty(t, p.Enum, "flow %s param %s: enum without values", s.Name, p.Name)
			}
		}
		got, ok := Lookup(s.Name)
		require.True(t, ok, "Lookup(%q)", s.Name)
		assert.Equal(t, s.Name, got.Name)
	}
	_, ok := Lookup("nosuch")
	assert.False(t, ok)
	assert.Equal(t, []string{"bert", "dtmf", "muted_playrec", "park", "playrec", "reject", "ringback", "tone", "twiml"}, Names())
}

func TestSpecsReturnsFreshValues(t *testing.T) {
	t.Parallel()
	a := Specs()
	a[0].Params[0].Default = "changed"
	a[0].Name = "changed"
	b := Specs()
	assert.NotEqual(t, "changed", b[0].Name, "Specs() shares state between calls")
	assert.NotEqual(t, "changed", b[0].Params[0].Default, "Specs() shares params between calls")
}

func TestCheckParams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		flow string
		with map[string]string
		want []ParamError
	}{
		{"park", nil, nil},
		{"park", map[string]string{"answer_delay": "1s"}, nil},
		{"park", map[string]string{"answer_delay": "1"}, []ParamError{{"answer_delay", `expected a duration such as 2s or 500ms, got "1"`}}},
		{"park", map[string]string{"answer_dely": "1s"}, []ParamError{{"answer_dely", `flow park has no parameter "answer_dely" (did you mean "answer_delay"?)`}}},
		{"reject", map[string]string{"code": "603"}, nil},
		{"reject", map[string]string{"cause": "CALL_REJECTED"}, nil},
		{"reject", map[string]string{"code": "486", "cause": "USER_BUSY"}, []ParamError{{"code", "give only one of cause, code"}}},
		{"reject", map[string]string{"code": "4x"}, []ParamError{{"code", `expected an integer, got "4x"`}}},
		{"reject", map[string]string{"code": "700"}, []ParamError{{"code", "must be 400-699, got 700"}}},
		{"reject", map[string]string{"cause": "user_busy"}, []ParamError{{"cause", `"user_busy" is not a known value (did you mean "USER_BUSY"?)`}}},
		{"ringback", map[string]string{"mode": "pre_answer", "ring_for": "500ms", "then": "caller_hangup"}, nil},
		{"ringback", map[string]string{"mode": "ring"}, []ParamError{{"mode", `"ring" is not one of ring_ready, pre_answer`}}},
		{"ringback", map[string]string{"then": "hangup", "x": "1"}, []ParamError{
			{"then", `"hangup" is not one of answer, caller_hangup`},
			{"x", `flow ringback has no parameter "x" (known: mode, ring_for, then, hear_ringback, freqs)`},
		}},
	}
	for _, tt := range tests {
		s, ok := Lookup(tt.flow)
		require.True(t, ok)
		assert.Equal(t, tt.want, s.CheckParams(tt.with), "%s.CheckParams(%v)", tt.flow, tt.with)
	}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	tests := []struct {
		flow string
		with map[string]string
		want map[string]string
	}{
		{"park", nil, map[string]string{"answer_delay": "0s", "keep_media": "false"}},
		{"reject", nil, map[string]string{"code": "486"}},
		{"reject", map[string]string{"cause": "CALL_REJECTED"}, map[string]string{"cause": "CALL_REJECTED"}},
		{"reject", map[string]string{"code": "603"}, map[string]string{"code": "603"}},
		{"ringback", map[string]string{"ring_for": "5s"}, map[string]string{"mode": "ring_ready", "ring_for": "5s", "then": "answer", "hear_ringback": "false", "freqs": "440,480"}},
	}
	for _, tt := range tests {
		s, _ := Lookup(tt.flow)
		assert.Equal(t, tt.want, s.Resolve(tt.with), "%s.Resolve(%v)", tt.flow, tt.with)
	}
}

func TestCheckValueTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p     Param
		v     string
		valid bool
	}{
		{Param{Type: TypeFloat}, "1.5", true},
		{Param{Type: TypeFloat}, "x", false},
		{Param{Type: TypeBool}, "true", true},
		{Param{Type: TypeBool}, "yes", false},
		{Param{Type: TypeString}, "any text", true},
		{Param{Type: TypeString}, "a\nb", false},
		{Param{Type: TypeInt}, "-3", true},
	}
	for _, tt := range tests {
		err := tt.p.CheckValue(tt.v)
		assert.Equal(t, tt.valid, err == nil, "%s.CheckValue(%q) = %v", tt.p.Type, tt.v, err)
	}
}

func TestRefusalCausesAreFreeSWITCHCauses(t *testing.T) {
	t.Parallel()
	for _, name := range hangupCauses() {
		c, ok := hangup.ByName(name)
		require.True(t, ok, "%s is not in internal/hangup's table", name)
		assert.GreaterOrEqual(t, c.SIPStatus(), 400, "%s", name)
	}
}
