package agent

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestSecondCacheMatchesFormatting(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 12, 7, 15, 4, 5, 0, time.UTC)
	var c secondCache
	tests := []struct {
		name string
		at   time.Time
	}{
		{"first", base.Add(123 * time.Millisecond)},
		{"same second", base.Add(999 * time.Millisecond)},
		{"next second", base.Add(time.Second)},
		{"same slot, four seconds on", base.Add(4 * time.Second)},
		{"back to the first, evicted", base.Add(500 * time.Millisecond)},
		{"a day on", base.Add(24 * time.Hour)},
	}
	for _, tt := range tests {
		d := c.of(tt.at)
		assert.Equal(t, tt.at.Local().Format("2006-01-02 15:04:05"), d.local, tt.name)
		assert.Equal(t, tt.at.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT"), d.gmt, tt.name)
		assert.Equal(t, strconv.FormatInt(tt.at.Unix(), 10), d.epoch, tt.name)
	}
	assert.Same(t, c.of(base), c.of(base.Add(time.Millisecond)), "one second's strings are made once")
}
