package report

import (
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/callplan/callplan/metrics"
)

// hourLong is the fail fixture stretched to an hour of per-second series,
// the size of a long soak run's report.
func hourLong(b *testing.B) *Results {
	b.Helper()
	r, err := Read("testdata/fail")
	require.NoError(b, err)
	secs := make([]metrics.Second, 0, 3600)
	for i := range 3600 {
		s := r.Seconds[i%len(r.Seconds)]
		s.Index = i
		secs = append(secs, s)
	}
	r.Seconds = secs
	return r
}

func BenchmarkReporters1h(b *testing.B) {
	r := hourLong(b)
	for _, f := range Formats {
		rep, err := For(f, r)
		require.NoError(b, err)
		b.Run(string(f), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := rep(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
