package plan

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fixtureOptions reads `# env: K=V` and `# set: path=value` lines from the
// top of a fixture, over a base environment shared by all fixtures.
func fixtureOptions(t *testing.T, data []byte) Options {
	t.Helper()
	env := map[string]string{"FS_PASSWORD": "s3cret", "SUT": "sut.example.com"}
	var sets []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if kv, ok := strings.CutPrefix(line, "# env: "); ok {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		if s, ok := strings.CutPrefix(line, "# set: "); ok {
			sets = append(sets, s)
		}
	}
	return Options{
		Lookup: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Set:    sets,
	}
}

// golden compares got with the golden file, or rewrites it under -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test -update")
	assert.Equal(t, string(want), string(got), "output differs from %s (go test -update to accept)", path)
}

func fixtures(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

// TestLoadInvalid loads each invalid plan and compares every diagnostic
// with the golden file next to it.
func TestLoadInvalid(t *testing.T) {
	t.Parallel()
	for _, file := range fixtures(t, "invalid") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			p, err := Load(file, fixtureOptions(t, data))
			require.Error(t, err, "Load(%s) succeeded; want errors", file)
			assert.Nil(t, p)
			var errs Errors
			require.True(t, errors.As(err, &errs), "Load(%s) error %T is not Errors: %v", file, err, err)
			for _, d := range errs {
				assert.NotEmpty(t, d.Pos.File, "diagnostic without a file: %v", d)
			}
			golden(t, strings.TrimSuffix(file, ".yaml")+".golden", []byte(err.Error()+"\n"))
		})
	}
}

// TestLoadValid loads each valid plan, compares the resolved plan with the
// golden file, and checks that the resolved plan loads back to itself.
func TestLoadValid(t *testing.T) {
	t.Parallel()
	for _, file := range fixtures(t, "valid") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			p, err := Load(file, fixtureOptions(t, data))
			require.NoError(t, err, "Load(%s)", file)
			out, err := p.MarshalResolved()
			require.NoError(t, err)
			golden(t, strings.TrimSuffix(file, ".yaml")+".golden", out)

			again, err := Parse(file, out, Options{})
			require.NoError(t, err, "resolved plan does not load back:\n%s", out)
			out2, err := again.MarshalResolved()
			require.NoError(t, err)
			// The only difference allowed: a derived hold is no longer marked auto.
			want := strings.ReplaceAll(string(out), " # auto: limit / peak rate", "")
			assert.Equal(t, want, string(out2), "resolving is not idempotent")
		})
	}
}

func FuzzLoad(f *testing.F) {
	for _, dir := range []string{"valid", "invalid"} {
		files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte("stages: [{duration: 5s, rate: {from: 0, to: 1e308}, limit: 1}]"))
	lookup := func(k string) (string, bool) { return "v", k == "SET" }
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.yaml", data, Options{Lookup: lookup})
		if err == nil {
			if p == nil {
				t.Fatal("Parse returned neither a plan nor an error")
			}
			if _, err := p.MarshalResolved(); err != nil {
				t.Fatalf("MarshalResolved: %v", err)
			}
			return
		}
		if p != nil {
			t.Fatal("Parse returned a plan and an error")
		}
		var errs Errors
		if !errors.As(err, &errs) || len(errs) == 0 {
			t.Fatalf("error is not a non-empty Errors: %T %v", err, err)
		}
		for _, d := range errs {
			if d.Pos.File != "fuzz.yaml" || d.Msg == "" {
				t.Fatalf("diagnostic without position or message: %#v", d)
			}
		}
	})
}

// BenchmarkLoad loads the largest valid fixture (every field, env
// expansion, three flows, two stages).
func BenchmarkLoad(b *testing.B) {
	data, err := os.ReadFile("testdata/valid/full.yaml")
	require.NoError(b, err)
	opts := Options{Lookup: func(k string) (string, bool) { return "x", true }}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("full.yaml", data, opts); err != nil {
			b.Fatal(err)
		}
	}
}
