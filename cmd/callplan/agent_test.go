package main

import (
	"context"
	"net"
	"regexp"
	"testing"
	"time"

	"github.com/callplan/callplan/esl"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
		{[]string{"agent", "--impair-loss", "100"}, ExitInvalid, "--impair-"},
		{[]string{"agent", "--impair-burst", "0.5", "--impair-loss", "5"}, ExitInvalid, "burst"},
		{[]string{"agent", "--impair-delay", "-1s"}, ExitInvalid, "--impair-"},
		{[]string{"agent", "-h"}, ExitPassed, "CALLPLAN_ESL_PASSWORD"},
	}
	for _, tt := range tests {
		code, _, errOut := runCLI(t, tt.args...)
		assert.Equal(t, tt.want, code, "Main(%q) exit code; stderr %s", tt.args, errOut)
		assert.Contains(t, errOut, tt.inStderr, "Main(%q) stderr", tt.args)
	}
}

// TestAgentRunsUntilCancelled starts a real agent on random ports, talks to
// it over ESL and stops it like Ctrl-C does.
func TestAgentRunsUntilCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan ExitCode, 1)
	go func() {
		done <- Main(ctx, []string{"agent", "--esl", "127.0.0.1:0", "--sip", "127.0.0.1:0", "--rtp-ports", "41000-41100"},
			Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) (string, bool) {
				if k == "CALLPLAN_ESL_PASSWORD" {
					return "pw-from-env", true
				}
				return "", false
			}, Environ: func() []string { return nil }})
	}()
	var addr string
	require.Eventually(t, func() bool {
		m := regexp.MustCompile(`ESL on (\S+),`).FindStringSubmatch(out.String())
		if m != nil {
			addr = m[1]
		}
		return m != nil
	}, 5*time.Second, 10*time.Millisecond)
	nc, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer nc.Close()
	r := esl.NewReader(nc)
	_, err = r.ReadFrame()
	require.NoError(t, err)
	_, err = nc.Write([]byte("auth pw-from-env\n\n"))
	require.NoError(t, err)
	f, err := r.ReadFrame()
	require.NoError(t, err)
	assert.Equal(t, "+OK accepted", f.ReplyText())
	cancel()
	select {
	case code := <-done:
		assert.Equal(t, ExitPassed, code)
	case <-time.After(10 * time.Second):
		t.Fatal("agent did not stop")
	}
	assert.Contains(t, out.String(), "stopped")
	assert.NotContains(t, out.String()+errb.String(), "pw-from-env", "password printed")
}
