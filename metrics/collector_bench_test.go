package metrics

import "testing"

// BenchmarkCollectorPerCall is the collector's share of one call of an
// embedded run, without the CDR files: the arrival offered, the originate
// counted, the callee landed, the call ended (run, stage, flow and node
// groups, the distribution, the open second).
func BenchmarkCollectorPerCall(b *testing.B) {
	c := NewCollector("r", "p")
	tmpl := benchRecord()
	b.ReportAllocs()
	for b.Loop() {
		c.Offered("s", "park")
		c.Originated("s", "park", "embedded")
		r := *tmpl
		c.Landed(&r)
		if err := c.End(&r); err != nil {
			b.Fatal(err)
		}
	}
}
