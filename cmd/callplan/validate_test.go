package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files")

// runWithEnv runs Main with a given environment.
func runWithEnv(t *testing.T, env map[string]string, args ...string) (ExitCode, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, Env{
		Stdout: &out,
		Stderr: &errb,
		Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Environ: func() []string {
			var kv []string
			for k, v := range env {
				kv = append(kv, k+"="+v)
			}
			return kv
		},
	})
	return code, out.String(), errb.String()
}

func golden(t *testing.T, path string, got string) {
	t.Helper()
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test -update")
	assert.Equal(t, string(want), got, "output differs from %s (go test -update to accept)", path)
}

var testEnv = map[string]string{"FS_PASSWORD": "s3cret"}

// TestValidateGolden runs validate on each fixture; the golden file holds
// the exit code and both outputs.
func TestValidateGolden(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/validate/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runWithEnv(t, testEnv, "validate", file)
			got := fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", code, out, errOut)
			golden(t, strings.TrimSuffix(file, ".yaml")+".golden", got)
			assert.NotContains(t, got, "s3cret", "a password leaked into validate's output")
		})
	}
}

// TestScenariosValidate: every example plan must be valid.
func TestScenariosValidate(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../scenarios/*.yaml")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 3)
	for _, file := range files {
		data, err := os.ReadFile(file)
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(string(data), "# yaml-language-server: $schema=../docs/plan.schema.json\n"),
			"%s must start with the schema line so editors complete fields", file)
	}
	code, out, errOut := runWithEnv(t, nil, append([]string{"validate"}, files...)...)
	assert.Equal(t, ExitPassed, code, "validate scenarios: %s", errOut)
	assert.Equal(t, len(files), strings.Count(out, ": ok ("))
}

func TestValidateCLI(t *testing.T) {
	t.Parallel()
	ok := "testdata/validate/ok.yaml"
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		want     ExitCode
		inStdout string
		inStderr string
	}{
		{"valid", testEnv, []string{"validate", ok}, ExitPassed, "ok.yaml: ok (1 node(s), 1 flow(s), 1 stage(s) over 5s, 0 assertion(s))", ""},
		{"quiet", testEnv, []string{"validate", "-q", ok}, ExitPassed, "", ""},
		{"unset env names the variable", nil, []string{"validate", ok}, ExitInvalid, "", "environment variable FS_PASSWORD is not set"},
		{"set fixes a plan", testEnv, []string{"validate", "--set", "flows[0].use=park", "testdata/validate/mixed.yaml"}, ExitInvalid, "", `unknown field "lmit"`},
		{"set breaks a plan", testEnv, []string{"validate", "--set", "stages[0].rate=fast", ok}, ExitInvalid, "", `--set stages[0].rate=fast: stages[0].rate: expected calls per second`},
		{"set without =", testEnv, []string{"validate", "--set", "stages", ok}, ExitInvalid, "", "want path=value"},
		{"one bad among good", testEnv, []string{"validate", ok, "testdata/validate/flows.yaml", ok}, ExitInvalid, "ok.yaml: ok", `unknown flow "prak"`},
		{"missing file", testEnv, []string{"validate", "testdata/validate/nope.yaml"}, ExitInvalid, "", "no such file"},
		{"no plan", testEnv, []string{"validate"}, ExitInvalid, "", "no plan given"},
		{"help", testEnv, []string{"validate", "-h"}, ExitPassed, "", "Examples:"},
		{"help via help", testEnv, []string{"help", "validate"}, ExitPassed, "", "--set stages[0].rate=20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runWithEnv(t, tt.env, tt.args...)
			assert.Equal(t, tt.want, code, "Main(%q) exit code; stderr:\n%s", tt.args, errOut)
			assert.Contains(t, out, tt.inStdout, "Main(%q) stdout", tt.args)
			assert.Contains(t, errOut, tt.inStderr, "Main(%q) stderr", tt.args)
		})
	}
}
