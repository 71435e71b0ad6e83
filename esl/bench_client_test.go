package esl_test

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/callplan/callplan/esl"
	"github.com/fiorix/go-eventsocket/eventsocket"
)

// answerFrame is the first plain CHANNEL_ANSWER of fixture 01 (about
// 6 kB: variables included, as FreeSWITCH sends it to ALL subscribers).
func answerFrame(b *testing.B) []byte {
	b.Helper()
	data, err := os.ReadFile("testdata/fixtures/01-loopback-call-plain-all.txt")
	if err != nil {
		b.Fatal(err)
	}
	r := esl.NewReader(bytes.NewReader(data))
	for {
		f, err := r.ReadFrame()
		if err != nil {
			b.Fatal("no CHANNEL_ANSWER")
		}
		if f.ContentType() == esl.ContentEventPlain && bytes.HasPrefix(f.Body, []byte("Event-Name: CHANNEL_ANSWER\n")) {
			return f.AppendTo(nil)
		}
	}
}

// BenchmarkClientOverTCP is the whole client path over loopback TCP: read,
// decode, route to a subscription, consume.
func BenchmarkClientOverTCP(b *testing.B) {
	frame := answerFrame(b)
	addr := streamServer(b, frame, b.N)
	ctx := context.Background()
	c, err := esl.Dial(ctx, addr, "ClueCon")
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	sub := c.Events("CHANNEL_ANSWER")
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, err := sub.Next(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkGoEventsocketOverTCP is the same stream read with
// go-eventsocket's ReadEvent, for comparison.
func BenchmarkGoEventsocketOverTCP(b *testing.B) {
	frame := answerFrame(b)
	addr := streamServer(b, frame, b.N)
	conn, err := eventsocket.Dial(addr, "ClueCon")
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, err := conn.ReadEvent(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}
