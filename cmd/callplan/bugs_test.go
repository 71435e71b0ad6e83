package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/callplan/callplan/esl/esltest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHelp: help about help, or about a help flag, is the overview; it used
// to recurse through Main until the stack overflowed.
func TestHelp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args     []string
		want     ExitCode
		inStdout string
		inStderr string
	}{
		{[]string{"help", "-h"}, ExitPassed, "Commands:", ""},
		{[]string{"help", "--help"}, ExitPassed, "Commands:", ""},
		{[]string{"help", "help"}, ExitPassed, "Commands:", ""},
		{[]string{"-h", "help"}, ExitPassed, "Commands:", ""},
		{[]string{"--help", "-h"}, ExitPassed, "Commands:", ""},
		{[]string{"help", "validate"}, ExitPassed, "", "Usage: callplan validate"},
		{[]string{"help", "valdate"}, ExitInvalid, "", `unknown command "valdate" (did you mean "validate"?)`},
		{[]string{"valdate", "x.yaml"}, ExitInvalid, "", `unknown command "valdate" (did you mean "validate"?)`},
		{[]string{"rnu"}, ExitInvalid, "", `(did you mean "run"?)`},
		{[]string{"frobnicate"}, ExitInvalid, "", `unknown command "frobnicate"` + "\n"},
	}
	for _, tt := range tests {
		code, out, errOut := runCLI(t, tt.args...)
		assert.Equal(t, tt.want, code, "Main(%q) exit code", tt.args)
		assert.Contains(t, out, tt.inStdout, "Main(%q) stdout", tt.args)
		assert.Contains(t, errOut, tt.inStderr, "Main(%q) stderr", tt.args)
	}
}

// TestReadErrorPrefixed: a plan that cannot be read is reported like every
// other command error, with the command's prefix.
func TestReadErrorPrefixed(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	for _, cmd := range []string{"validate", "render"} {
		code, _, errOut := runCLI(t, cmd, missing)
		assert.Equal(t, ExitInvalid, code, "%s exit code", cmd)
		assert.Regexp(t, `^callplan `+cmd+`: reading plan: open .*missing.yaml: no such file`, errOut, "%s stderr", cmd)
	}
}

// TestHangupRefused: a node that answers -ERR was reached; hangup says what
// it answered, once, and does not call it unreachable.
func TestHangupRefused(t *testing.T) {
	t.Parallel()
	srv := esltest.NewServer()
	defer srv.Close()
	srv.SetAPI("hupall", func(string) string { return "-ERR INVALID CAUSE\n" })
	planFile := filepath.Join(t.TempDir(), "p.yaml")
	require.NoError(t, os.WriteFile(planFile, []byte(fmt.Sprintf(
		"nodes: ['fs://%s']\nstages:\n  - {duration: 1s, rate: 1, hold: 1s}\n", srv.Addr)), 0o644))
	code, out, errOut := runCLI(t, "hangup", "--all", "--cause", "BOGUS", planFile)
	assert.Equal(t, ExitInfrastructure, code)
	assert.Empty(t, out)
	assert.Contains(t, errOut, ": hupall BOGUS: node answered -ERR INVALID CAUSE\n")
	assert.Contains(t, errOut, "callplan hangup: 1 node(s) refused the hangup\n")
	assert.NotContains(t, errOut, "<nil>")
	assert.NotContains(t, errOut, "could not be reached")
}
