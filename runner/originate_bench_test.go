package runner

import (
	"testing"

	"github.com/callplan/callplan/esl"
)

// BenchmarkOriginateText is what ESLDriver.Originate builds for each call
// before writing it: the originate's text for a call of an embedded run
// (a plan with one header and one variable) and the bgapi command's bytes
// as the esl client encodes them.
func BenchmarkOriginateText(b *testing.B) {
	o := Origination{
		CallID: "0b8e1c52-6f0b-4c1e-9d61-3f7f7b9c2a10", RunID: "60aece85f6dc", Flow: "park", Stage: "s",
		Destination: "callee@127.0.0.1:5080", CallerIDNumber: "1000",
		Headers:   map[string]string{"X-Test": "bench"},
		Variables: map[string]string{"hangup_after_bridge": "true"},
	}
	s := ESLOriginate{Profile: "external"}
	b.ReportAllocs()
	for b.Loop() {
		cmd, err := originateCommand(o, s)
		if err != nil {
			b.Fatal(err)
		}
		c := esl.Command{Line: "bgapi " + cmd, Headers: esl.Headers{{Name: "Job-UUID", Value: o.CallID}}}
		if _, err := c.AppendTo(nil); err != nil {
			b.Fatal(err)
		}
	}
}
