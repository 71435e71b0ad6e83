package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// validate reports a flow's need of the originate settings at the flow's
// parameter: ringback's hear_ringback with the default ignore_early_media.
func TestValidateFlowNeedsOfOriginate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, originate string
		code            ExitCode
	}{
		{"default originate", "", ExitInvalid},
		{"early media returns originate", "originate: {ignore_early_media: false}\n", ExitPassed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "plan.yaml")
			src := "name: hear\n" + tt.originate + `stages:
  - {name: s, duration: 1s, rate: 1, hold: 1s}
flows:
  - {use: ringback, with: {mode: pre_answer, hear_ringback: true}}
`
			require.NoError(t, os.WriteFile(path, []byte(src), 0o600))
			code, out, errOut := runCLI(t, "validate", path)
			assert.Equal(t, tt.code, code, "stdout %s\nstderr %s", out, errOut)
			if tt.code != ExitPassed {
				assert.Regexp(t, `plan.yaml:5:\d+: flows\[0\]\.with\.hear_ringback: needs originate\.ignore_early_media: false`, errOut)
			}
		})
	}
}
