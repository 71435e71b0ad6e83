package media

import (
	"container/heap"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"
)

// Impairment is damage a session does on purpose to what it sends, so
// tests can prove that quality figures see it and users can exercise an
// SUT's jitter buffer without netem. It applies to every packet sent
// (audio and DTMF) after the statistics counted it as sent, as a lossy
// network would.
type Impairment struct {
	// Loss is the share of packets dropped, 0 to 1.
	Loss float64
	// Burst is the mean number of packets in a run of lost packets (1 or
	// more; 1 = independent losses). Losses follow a two-state
	// Gilbert-Elliott chain: from "good" a packet goes "bad" (lost) with
	// probability p = Loss/(Burst(1-Loss)), from "bad" it returns with
	// r = 1/Burst, so the long-run loss is p/(p+r) = Loss and a run lasts
	// 1/r = Burst packets on average.
	Burst float64
	// Delay is added to every packet; Jitter adds a further uniform random
	// 0..Jitter to each (more than 20 ms reorders packets, as netem does).
	Delay, Jitter time.Duration
	// Seed makes the random draws repeatable (tests); 0 draws a seed per
	// session.
	Seed uint64
}

// ErrImpairment is returned by Impairment.Validate.
var ErrImpairment = errors.New("invalid impairment")

// Validate checks the ranges.
func (im Impairment) Validate() error {
	switch {
	case im.Loss < 0 || im.Loss >= 1:
		return fmt.Errorf("%w: loss %v not in [0, 1)", ErrImpairment, im.Loss)
	case im.Burst != 0 && im.Burst < 1:
		return fmt.Errorf("%w: burst %v below 1 packet", ErrImpairment, im.Burst)
	case im.Delay < 0 || im.Jitter < 0:
		return fmt.Errorf("%w: negative delay or jitter", ErrImpairment)
	case im.Delay+im.Jitter > 10*time.Second:
		return fmt.Errorf("%w: delay plus jitter over 10 s", ErrImpairment)
	}
	return nil
}

func (im Impairment) active() bool { return im.Loss > 0 || im.Delay > 0 || im.Jitter > 0 }

// String describes the impairment for logs.
func (im Impairment) String() string {
	return fmt.Sprintf("loss %.2f%% burst %.1f delay %s jitter %s", im.Loss*100, max(im.Burst, 1), im.Delay, im.Jitter)
}

// SetImpairment damages what every session of these ports sends from now
// on; the zero Impairment stops it.
func (p *Ports) SetImpairment(im Impairment) error {
	if err := im.Validate(); err != nil {
		return err
	}
	if !im.active() {
		p.impair.Store(nil)
		return nil
	}
	p.impair.Store(&im)
	return nil
}

// impairState is one session's loss chain and random source.
type impairState struct {
	bad bool
	rng *rand.Rand
}

// fate decides one packet: dropped, or sent after delay.
func (st *impairState) fate(im *Impairment) (drop bool, delay time.Duration) {
	if st.rng == nil {
		seed := im.Seed
		if seed == 0 {
			seed = rand.Uint64()
		}
		st.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	}
	if im.Loss > 0 {
		burst := max(im.Burst, 1)
		if st.bad {
			st.bad = st.rng.Float64() >= 1/burst
		} else {
			st.bad = st.rng.Float64() < im.Loss/(burst*(1-im.Loss))
		}
		if st.bad {
			return true, 0
		}
	}
	delay = im.Delay
	if im.Jitter > 0 {
		delay += time.Duration(st.rng.Int64N(int64(im.Jitter) + 1))
	}
	return false, delay
}

// delayed is a packet held back by an impairment's delay.
type delayed struct {
	at     time.Time
	s      *Session
	buf    []byte
	remote netip.AddrPort
}

// delayQueue is a shard's packets waiting for their time, earliest first.
type delayQueue []delayed

func (q delayQueue) Len() int           { return len(q) }
func (q delayQueue) Less(i, j int) bool { return q[i].at.Before(q[j].at) }
func (q delayQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *delayQueue) Push(x any)        { *q = append(*q, x.(delayed)) }
func (q *delayQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	old[len(old)-1] = delayed{}
	*q = old[:len(old)-1]
	return x
}

// flush sends every packet due by now, in one batch.
func (q *delayQueue) flush(now time.Time, batch *sendBatch) {
	for q.Len() > 0 && !(*q)[0].at.After(now) {
		d := heap.Pop(q).(delayed)
		batch.addRaw(d.s.sock, d.remote, d.buf)
	}
	batch.flush()
}
