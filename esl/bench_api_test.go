package esl_test

import (
	"context"
	"testing"

	"github.com/callplan/callplan/esl"
	"github.com/callplan/callplan/esl/esltest"
)

// BenchmarkAPIRoundTrip is one api command and its reply as the runner
// sends its flows' actions: on a cancelable context (the call's), the
// reply awaited. Its allocations are the client's, what the loopback
// server does aside.
func BenchmarkAPIRoundTrip(b *testing.B) {
	srv := esltest.NewServer()
	defer srv.Close()
	srv.SetAPI("uuid_answer", func(string) string { return "+OK\n" })
	c, err := esl.Dial(context.Background(), srv.Addr, "ClueCon")
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.API(ctx, "uuid_answer 0b8e1c52-6f0b-4c1e-9d61-3f7f7b9c2a10"); err != nil {
			b.Fatal(err)
		}
	}
}
