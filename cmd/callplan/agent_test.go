package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestAgentFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args     []string
		want     ExitCode
		inStderr string
	}{
		{[]string{"agent", "--rtp-ports", "5000"}, ExitInvalid, "--rtp-ports"},
		{[]string{"agent", "--rtp-ports", "30000-20000"}, ExitInvalid, "--rtp-ports"},
		{[]string{"agent", "--log-level", "loud"}, ExitInvalid, "--log-level"},
		{[]string{"agent", "--max-sessions", "0"}, ExitInvalid, "must be positive"},
		{[]string{"agent", "--esl", "0.0.0.0:0"}, ExitInvalid, "password is required"},
		{[]string{"agent", "extra"}, ExitInvalid, "unexpected argument"},
		{[]string{"agent", "-h"}, ExitPassed, "CALLPLAN_ESL_PASSWORD"},
	}
	for _, tt := range tests {
		code, _, errOut := runCLI(t, tt.args...)
		assert.Equal(t, tt.want, code, "Main(%q) exit code; stderr %s", tt.args, errOut)
		assert.Contains(t, errOut, tt.inStderr, "Main(%q) stderr", tt.args)
	}
}
