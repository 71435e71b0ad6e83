package main

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestVersionText(t *testing.T) {
	t.Parallel()
	vcs := func(kv ...string) []debug.BuildSetting {
		var out []debug.BuildSetting
		for i := 0; i+1 < len(kv); i += 2 {
			out = append(out, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return out
	}
	tests := []struct {
		name   string
		linked string
		info   *debug.BuildInfo
		want   string
	}{
		{"no build info", "", nil, "dev"},
		{"go run", "", &debug.BuildInfo{GoVersion: "go1.24.1", Main: debug.Module{Version: "(devel)"}}, "dev (go1.24.1)"},
		{"go install module@version", "", &debug.BuildInfo{GoVersion: "go1.24.1", Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3 (go1.24.1)"},
		{"go install in a checkout", "", &debug.BuildInfo{GoVersion: "go1.24.1", Main: debug.Module{Version: "v0.0.0-20261207063000-0123456789ab+dirty"},
			Settings: vcs("vcs.revision", "0123456789abcdef0123", "vcs.time", "2026-12-07T06:30:00Z", "vcs.modified", "true")},
			"v0.0.0-20261207063000-0123456789ab+dirty (commit 0123456789ab, with uncommitted changes, go1.24.1)"},
		{"make build", "v0.3.0-4-gabc", &debug.BuildInfo{GoVersion: "go1.24.1", Main: debug.Module{Version: "(devel)"},
			Settings: vcs("vcs.revision", "abcdef", "vcs.modified", "false")}, "v0.3.0-4-gabc (commit abcdef, go1.24.1)"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, versionText(tt.linked, tt.info), tt.name)
	}
}
