package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

// runCLI runs Main like a test harness would a process.
func runCLI(t *testing.T, args ...string) (ExitCode, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, Env{
		Stdout:  &out,
		Stderr:  &errb,
		Getenv:  func(string) (string, bool) { return "", false },
		Environ: func() []string { return nil },
	})
	return code, out.String(), errb.String()
}

func TestMainDispatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args     []string
		want     ExitCode
		inStdout string
		inStderr string
	}{
		{nil, ExitInvalid, "", "Usage: callplan"},
		{[]string{"version"}, ExitPassed, "callplan dev", ""},
		{[]string{"--version"}, ExitPassed, "callplan dev", ""},
		{[]string{"help"}, ExitPassed, "Commands:", ""},
		{[]string{"nosuch"}, ExitInvalid, "", `unknown command "nosuch"`},
		{[]string{"version", "-h"}, ExitPassed, "", "Examples:"},
		{[]string{"version", "--bogus"}, ExitInvalid, "", "flag provided but not defined"},
	}
	for _, tt := range tests {
		code, out, errOut := runCLI(t, tt.args...)
		assert.Equal(t, tt.want, code, "Main(%q) exit code", tt.args)
		assert.Contains(t, out, tt.inStdout, "Main(%q) stdout", tt.args)
		assert.Contains(t, errOut, tt.inStderr, "Main(%q) stderr", tt.args)
	}
}
