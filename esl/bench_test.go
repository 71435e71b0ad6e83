package esl

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// benchEvents concatenates the event frames of every fixture transcript:
// the real mix of sizes (0.3 to 10 kB) FreeSWITCH sends a load tester.
func benchEvents(b *testing.B) ([]byte, int) {
	b.Helper()
	paths, err := filepath.Glob(filepath.Join(fixtureDir, "*.txt"))
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	n := 0
	for _, p := range paths {
		if strings.HasSuffix(p, ".sent.txt") {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		r := NewReader(bytes.NewReader(data))
		for {
			f, err := r.ReadFrame()
			if err != nil {
				break
			}
			if IsEvent(f.ContentType()) {
				buf.Write(f.AppendTo(nil))
				n++
			}
		}
	}
	return buf.Bytes(), n
}

// routingConn is a Conn as the runner uses it, without a socket: per-call
// subscriptions by Unique-ID, one by event name, and one for everything.
func routingConn(b *testing.B, data []byte) (*Conn, []*Subscription) {
	b.Helper()
	c := &Conn{events: map[string]bool{}, jobs: map[string]*Job{}}
	subs := []*Subscription{c.Events(), c.Events("CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE", "BACKGROUND_JOB", "HEARTBEAT")}
	seen := map[string]bool{}
	r := NewReader(bytes.NewReader(data))
	for {
		f, err := r.ReadFrame()
		if err != nil {
			break
		}
		e, err := DecodeEvent(f)
		if err != nil {
			b.Fatal(err)
		}
		if id := e.UniqueID(); id != "" && !seen[id] {
			seen[id] = true
			subs = append(subs, c.ChannelEvents(id))
		}
	}
	return c, subs
}

// BenchmarkDecodeAndRoute reads every event frame of the fixtures from a
// stream, decodes it and routes it through a Conn's dispatch to per-call,
// per-name and catch-all subscriptions, whose consumers drain them: the
// reader goroutine's whole job, minus the socket.
//
// plain-narrowed is plain as the runner's connection reads it
// (WithEventHeaders with the headers runner.keepHeader keeps, copied in
// loadTesterHeader below).
func BenchmarkDecodeAndRoute(b *testing.B) {
	for _, format := range []string{"plain", "json", "mixed", "plain-narrowed"} {
		b.Run(format, func(b *testing.B) {
			data, n := benchEvents(b)
			if format != "mixed" {
				data, n = filterFormat(b, data, strings.TrimSuffix(format, "-narrowed"))
			}
			c, subs := routingConn(b, data)
			ctx := context.Background()
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			src := bytes.NewReader(data)
			r := NewReader(src)
			if format == "plain-narrowed" {
				r.keep = loadTesterHeader
			}
			for range b.N {
				// One Reader, as on a connection: its buffer is reused.
				src.Reset(data)
				r.br.Reset(src)
				for {
					_, _, e, decodeErr, err := r.next()
					if err != nil {
						break
					}
					if decodeErr != nil {
						b.Fatal(decodeErr)
					}
					c.dispatch(e)
				}
				for _, s := range subs {
					for s.Len() > 0 {
						if _, err := s.Next(ctx); err != nil {
							b.Fatal(err)
						}
					}
				}
			}
			elapsed := time.Since(start)
			b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "events/s")
			// Per core: events per second of CPU this process used (all its
			// threads, GC included). On a shared machine wall-clock rates
			// measure the neighbours; CPU time measures the code.
			b.ReportMetric(float64(n*b.N)/cpuSince(cpu0).Seconds(), "events/cpu-s")
			b.ReportMetric(float64(elapsed.Nanoseconds())/float64(n*b.N), "ns/event")
		})
	}
}

// loadTesterHeader is runner.keepHeader (runner/eslevents.go), the headers
// the runner reads, repeated here as the esl package cannot import the
// runner.
func loadTesterHeader(name string) bool {
	if v, ok := strings.CutPrefix(name, "variable_"); ok {
		switch v {
		case "sip_term_status", "playback_ms", "record_ms":
			return true
		}
		return strings.HasPrefix(v, "rtp_audio_") ||
			equalFoldASCII(v, "sip_h_X-callplan-call") || equalFoldASCII(v, "sip_h_X-callplan-run")
	}
	switch name {
	case "Call-Direction", "Hangup-Cause", "Detected-Tone", "DTMF-Digit", "DTMF-Duration",
		"Playback-File-Path", "Playback-Status", "Record-File-Path", "Record-Completion-Cause",
		"sync_lost_percent", "sync_lost_count", "cng_count", "err_samples",
		"Idle-CPU", "Session-Count", "Max-Sessions":
		return true
	}
	return false
}

// filterFormat keeps the frames of one format.
func filterFormat(b *testing.B, data []byte, format string) ([]byte, int) {
	b.Helper()
	want := ContentEventPlain
	if format == "json" {
		want = ContentEventJSON
	}
	var buf bytes.Buffer
	n := 0
	r := NewReader(bytes.NewReader(data))
	for {
		f, err := r.ReadFrame()
		if err != nil {
			break
		}
		if f.ContentType() == want {
			buf.Write(f.AppendTo(nil))
			n++
		}
	}
	return buf.Bytes(), n
}

// channelAnswerFrame is the first plain CHANNEL_ANSWER of fixture 01.
func channelAnswerFrame(b *testing.B) []byte {
	b.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureDir, "01-loopback-call-plain-all.txt"))
	if err != nil {
		b.Fatal(err)
	}
	r := NewReader(bytes.NewReader(data))
	for {
		f, err := r.ReadFrame()
		if err != nil {
			b.Fatal("no CHANNEL_ANSWER in fixture 01")
		}
		if f.ContentType() == ContentEventPlain && bytes.HasPrefix(f.Body, []byte("Event-Name: CHANNEL_ANSWER\n")) {
			return f.AppendTo(nil)
		}
	}
}

// BenchmarkDecodeChannelAnswer decodes and routes the realistic CHANNEL_ANSWER
// event the go-eventsocket figure (about 24k events/s) refers to.
func BenchmarkDecodeChannelAnswer(b *testing.B) {
	frame := channelAnswerFrame(b)
	const batch = 1000
	data := bytes.Repeat(frame, batch)
	c, subs := routingConn(b, frame)
	ctx := context.Background()
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	events := 0
	src := bytes.NewReader(data)
	r := NewReader(src)
	for events < b.N {
		src.Reset(data)
		r.br.Reset(src)
		for i := 0; i < batch && events < b.N; i++ {
			_, _, e, decodeErr, err := r.next()
			if err != nil || decodeErr != nil {
				b.Fatal(err, decodeErr)
			}
			c.dispatch(e)
			events++
		}
		for _, s := range subs {
			for s.Len() > 0 {
				_, _ = s.Next(ctx)
			}
		}
	}
	b.ReportMetric(float64(events)/time.Since(start).Seconds(), "events/s")
	b.ReportMetric(float64(events)/cpuSince(cpu0).Seconds(), "events/cpu-s")
}

// cpuTime is the CPU time (user + system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func cpuSince(t0 time.Duration) time.Duration { return max(cpuTime()-t0, time.Microsecond) }

// BenchmarkParseEventPlain decodes every plain fixture event body, nothing
// else (no reader, no routing): the parser's own cost. ref is the parser
// before issue 16's tuning (eventplain_ref_test.go), run in the same
// process for comparison.
func BenchmarkParseEventPlain(b *testing.B) {
	data, _ := benchEvents(b)
	data, _ = filterFormat(b, data, "plain")
	var bodies [][]byte
	r := NewReader(bytes.NewReader(data))
	for {
		f, err := r.ReadFrame()
		if err != nil {
			break
		}
		bodies = append(bodies, f.Body)
	}
	for _, impl := range []struct {
		name  string
		parse func([]byte) (*Event, error)
	}{{"tuned", parseEventPlain}, {"ref", parseEventPlainRef}} {
		b.Run(impl.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := cpuTime()
			for range b.N {
				for _, body := range bodies {
					if _, err := impl.parse(body); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(len(bodies)*b.N)/cpuSince(cpu0).Seconds(), "events/cpu-s")
		})
	}
}
