package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/agent"
)

// TestRefusedPasswordNotPrinted: when a node refuses the plan's ESL
// password, run and hangup fail as infrastructure problems, say that
// authentication failed, and print the password nowhere: not on stdout,
// not on stderr, not in any file the run leaves behind. This is the path
// where a password is most likely to end up in a message.
func TestRefusedPasswordNotPrinted(t *testing.T) {
	t.Parallel()
	a, err := agent.New(agent.Config{ESLAddr: "127.0.0.1:0", SIPAddr: "127.0.0.1:0", Password: "not-the-plans"})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	require.NoError(t, a.Start(ctx))
	defer a.Close()
	dir := t.TempDir()
	planFile := filepath.Join(dir, "p.yaml")
	require.NoError(t, os.WriteFile(planFile, []byte(fmt.Sprintf(
		"nodes: ['fs://:${FS_PASSWORD}@127.0.0.1:%s']\nstages:\n  - {duration: 1s, rate: 1, hold: 1s}\n",
		portOf(t, a.Addr()))), 0o644))
	out := filepath.Join(dir, "results")
	for _, args := range [][]string{
		{"run", planFile, "--out", out},
		{"hangup", "--all", planFile},
	} {
		code, stdout, stderr := runWithEnv(t, testEnv, args...)
		assert.Equal(t, ExitInfrastructure, code, "%q: stderr %s", args, stderr)
		assert.Contains(t, stderr, "authentication failed", "%q", args)
		assert.NotContains(t, stdout+stderr, testEnv["FS_PASSWORD"], "%q printed the password", args)
	}
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path == planFile {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		assert.NotContains(t, string(b), testEnv["FS_PASSWORD"], "%s holds the password", path)
		return nil
	}))
}
