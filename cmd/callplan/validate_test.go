package main

import (
	"bytes"
	"context"
	"encoding/json"
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
		{"flags after the plan", testEnv, []string{"validate", ok, "--set", "stages[0].rate=fast"}, ExitInvalid, "", `--set stages[0].rate=fast: stages[0].rate`},
		{"flags between plans", testEnv, []string{"validate", ok, "-q", ok}, ExitPassed, "", ""},
		{"-- ends flags", testEnv, []string{"validate", "--", "-q"}, ExitInvalid, "", "-q: no such file"},
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

// TestRenderGolden renders each example plan and a few test plans; the
// output must match its golden file and load back as a valid plan.
func TestRenderGolden(t *testing.T) {
	t.Parallel()
	scenarios, err := filepath.Glob("../../scenarios/*.yaml")
	require.NoError(t, err)
	extra, err := filepath.Glob("testdata/render/*.yaml")
	require.NoError(t, err)
	for _, file := range append(scenarios, extra...) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runWithEnv(t, testEnv, "render", file)
			require.Equal(t, ExitPassed, code, "render %s: %s", file, errOut)
			assert.NotContains(t, out, "s3cret", "render leaked a password")
			name := strings.TrimSuffix(filepath.Base(file), ".yaml") + ".golden"
			golden(t, filepath.Join("testdata/render", name), out)

			// The rendered plan is itself a plan.
			tmp := filepath.Join(t.TempDir(), "resolved.yaml")
			require.NoError(t, os.WriteFile(tmp, []byte(out), 0o644))
			code, _, errOut = runWithEnv(t, nil, "validate", tmp)
			assert.Equal(t, ExitPassed, code, "rendered plan does not validate: %s", errOut)
		})
	}
}

func TestRenderCLI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		want     ExitCode
		inStdout string
		inStderr string
	}{
		{"set applies", []string{"render", "--set", "stages[0].rate=50", "--set", "originate.proxy=sut.example.com:5060", "../../scenarios/smoke.yaml"}, ExitPassed, ";fs_path=sip:sut.example.com:5060 &park()", ""},
		{"set shows in plan", []string{"render", "--set", "stages[0].rate=50", "../../scenarios/smoke.yaml"}, ExitPassed, "rate: 50\n", ""},
		{"gateway", []string{"render", "--set", "originate.gateway=carrier1", "--set", "originate.destination=15550100", "../../scenarios/smoke.yaml"}, ExitPassed, "}sofia/gateway/carrier1/15550100 &park()", ""},
		{"invalid plan", []string{"render", "testdata/validate/flows.yaml"}, ExitInvalid, "", `unknown flow "prak"`},
		{"two plans", []string{"render", "a.yaml", "b.yaml"}, ExitInvalid, "", "exactly one plan"},
		{"help", []string{"render", "-h"}, ExitPassed, "", "Examples:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runWithEnv(t, testEnv, tt.args...)
			assert.Equal(t, tt.want, code, "Main(%q) exit code; stderr:\n%s", tt.args, errOut)
			assert.Contains(t, out, tt.inStdout, "Main(%q) stdout", tt.args)
			assert.Contains(t, errOut, tt.inStderr, "Main(%q) stderr", tt.args)
		})
	}
}

// TestSchemaInSync: docs/plan.schema.json is generated from the Go types
// and the flows registry (go test -update rewrites it).
func TestSchemaInSync(t *testing.T) {
	t.Parallel()
	got, err := planSchema()
	require.NoError(t, err)
	golden(t, "../../docs/plan.schema.json", string(got))

	code, out, _ := runWithEnv(t, nil, "schema")
	assert.Equal(t, ExitPassed, code)
	assert.Equal(t, string(got), out, "callplan schema prints the committed schema")
}

// TestPlansDocCoversSchema: docs/plans.md documents every field of the plan
// format and every flow parameter (each as `key` in the text).
func TestPlansDocCoversSchema(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/plans.md")
	require.NoError(t, err)
	schema, err := planSchema()
	require.NoError(t, err)
	var keys []string
	collectKeys(t, schema, &keys)
	require.Greater(t, len(keys), 40)
	for _, k := range keys {
		assert.True(t, strings.Contains(string(doc), "`"+k+"`"), "docs/plans.md does not document %q", k)
	}
}

// collectKeys lists every property name in a JSON Schema.
func collectKeys(t *testing.T, schema []byte, keys *[]string) {
	t.Helper()
	var root any
	require.NoError(t, json.Unmarshal(schema, &root))
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if props, ok := x["properties"].(map[string]any); ok {
				for k := range props {
					*keys = append(*keys, k)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(root)
}
