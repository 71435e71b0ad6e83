package sip

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/callplan/callplan/agent/media"
	"github.com/callplan/callplan/internal/hangup"
)

// benchProfile is a profile whose inbound calls are answered at once, as a
// parked-and-answered callee of a loop call.
func benchProfile(b *testing.B, answer bool) (*Profile, *sync.WaitGroup) {
	b.Helper()
	ports, err := media.NewPorts(20000, 60999)
	if err != nil {
		b.Fatal(err)
	}
	var answering sync.WaitGroup
	p, err := Start(context.Background(), Config{
		Addr:  "127.0.0.1:0",
		Media: ports,
		OnInvite: func(in *Inbound) {
			if !answer {
				return
			}
			answering.Add(1)
			go func() {
				defer answering.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				_ = in.Answer(ctx)
			}()
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = p.Close(ctx)
		answering.Wait()
	})
	return p, &answering
}

// loopCall places one call to p itself, waits for the answer, hangs up and
// waits for the end. It returns an error naming what went wrong.
func loopCall(ctx context.Context, p *Profile, transport string) error {
	out, err := p.Dial(ctx, Offer{Target: "bench@" + p.Addr() + ";transport=" + transport})
	if err != nil {
		return err
	}
	for ev := range out.Events() {
		switch ev.Kind {
		case EventAnswered:
			if err := out.Hangup(hangup.NormalClearing); err != nil {
				return err
			}
		case EventHangup:
			if ev.End.Disposition != DispSendBye {
				return fmt.Errorf("call ended %+v", *ev.End)
			}
			return nil
		}
	}
	return nil
}

// BenchmarkLoopCallSetupTeardown measures complete loop calls (INVITE, 100,
// 200 with SDP, ACK, RTP sockets on both legs, BYE, 200) through one
// profile, 64 at a time. calls/s is the figure for docs/performance.md.
func BenchmarkLoopCallSetupTeardown(b *testing.B) {
	for _, tp := range []string{"udp", "tcp"} {
		b.Run(tp, func(b *testing.B) {
			p, _ := benchProfile(b, true)
			var failed atomic.Int64
			var next atomic.Int64
			const workers = 64
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
						if err := loopCall(ctx, p, tp); err != nil {
							failed.Add(1)
						}
						cancel()
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
			b.ReportMetric(float64(failed.Load()), "failed")
			if failed.Load() > 0 {
				b.Errorf("%d of %d calls failed", failed.Load(), b.N)
			}
		})
	}
}

// BenchmarkConcurrentAnswered holds 5000 answered loop calls at once (10000
// RTP sockets: both legs live in the one profile), then hangs them all up.
// Run with -benchtime 1x.
func BenchmarkConcurrentAnswered(b *testing.B) {
	const calls = 5000
	for range b.N {
		p, _ := benchProfile(b, true)
		var (
			mu   sync.Mutex
			outs []*Outbound
		)
		start := time.Now()
		sem := make(chan struct{}, 200)
		var wg sync.WaitGroup
		var failed atomic.Int64
		for range calls {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				out, err := p.Dial(context.Background(), Offer{Target: "hold@" + p.Addr()})
				if err != nil {
					failed.Add(1)
					return
				}
				for ev := range out.Events() {
					if ev.Kind == EventAnswered {
						mu.Lock()
						outs = append(outs, out)
						mu.Unlock()
						return
					}
					if ev.Kind == EventHangup {
						failed.Add(1)
						return
					}
				}
			}()
		}
		wg.Wait()
		setup := time.Since(start)
		in, out := p.Calls()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(len(outs)), "answered")
		b.ReportMetric(float64(in+out), "legs")
		b.ReportMetric(float64(p.cfg.Media.InUse()), "rtp_sockets")
		b.ReportMetric(setup.Seconds(), "setup_s")
		b.ReportMetric(float64(runtime.NumGoroutine()), "goroutines")
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap_MiB")
		if failed.Load() > 0 || len(outs) != calls {
			b.Errorf("answered %d of %d, %d failed", len(outs), calls, failed.Load())
		}
		for _, o := range outs {
			_ = o.Hangup(hangup.NormalClearing)
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			if i, o := p.Calls(); i+o == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if i, o := p.Calls(); i+o != 0 {
			b.Errorf("%d legs still up after hangup", i+o)
		}
	}
}
