package agent

import (
	"testing"
	"time"
)

// FreeSWITCH's status line (mod_commands status_function) puts the plural s
// on each unit by its own figure: "1 minute", "2 minutes", "0 years".
func TestUpTimePlurals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0 years, 0 days, 0 hours, 0 minutes, 0 seconds, 0 milliseconds, 0 microseconds"},
		{time.Minute + time.Millisecond + time.Microsecond, "0 years, 0 days, 0 hours, 1 minute, 0 seconds, 1 millisecond, 1 microsecond"},
		{366*24*time.Hour + 2*time.Hour + 3*time.Second, "1 year, 1 day, 2 hours, 0 minutes, 3 seconds, 0 milliseconds, 0 microseconds"},
	}
	for _, tt := range tests {
		if got := upTime(tt.d); got != tt.want {
			t.Errorf("upTime(%v) = %q; want %q", tt.d, got, tt.want)
		}
	}
}
