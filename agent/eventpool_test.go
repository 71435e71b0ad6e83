package agent

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestEventReleasedByItsLastHolder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		size      int
		holders   int
		releases  int
		wantFreed bool
	}{
		{"one connection wrote it", 150, 1, 1, true},
		{"a small event, written", 20, 1, 1, true},
		{"a small event, one of two still holds it", 20, 2, 1, false},
		{"one of two still holds it", 150, 2, 1, false},
		{"both released", 150, 2, 2, true},
		{"a holder that never releases (a test's recorder)", 150, 2, 0, false},
		{"never held: uuid_dump's own event", 150, 0, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := &event{Headers: newHeaders(tt.size)}
			e.add("Event-Name", "CHANNEL_PARK")
			e.hold(tt.holders)
			for range tt.releases {
				e.release()
			}
			assert.Equal(t, tt.wantFreed, e.Headers == nil, "Headers after %d of %d releases", tt.releases, tt.holders)
		})
	}
}

func TestNewHeadersFromThePoolAreEmptyAndBigEnough(t *testing.T) {
	t.Parallel()
	for _, size := range []int{10, smallHeaders, smallHeaders + 1, 64, 150, 400} {
		e := &event{Headers: newHeaders(size)}
		for range size {
			e.add("variable_x", "y")
		}
		e.hold(1)
		e.release()
		hs := newHeaders(size)
		assert.Empty(t, hs, "newHeaders(%d)", size)
		assert.GreaterOrEqual(t, cap(hs), size, "newHeaders(%d)", size)
		for _, h := range hs[:cap(hs)] {
			assert.Equal(t, header{}, h, "a reused list keeps no strings")
		}
	}
}
