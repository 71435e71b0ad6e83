package media

import (
	"errors"
	"sync"
)

// ErrStopped is a Play's Err when its source did not end by itself: another
// SetSource replaced it, SetSource(nil) or Stop stopped it.
var ErrStopped = errors.New("media source stopped")

// Play is one Source set on a Session with SetSource: how an app learns that
// what it plays is over. Done is closed once the source will be read no
// more; Err then says why: nil when the source ended by itself (Read
// returned false: the file was played), ErrStopped when it was replaced or
// stopped, ErrClosed when the session closed (the leg hung up). The shape is
// context.Context's, so an app can select on Done with its other channels.
type Play struct {
	s    *Session
	src  Source
	done chan struct{}

	once sync.Once
	err  error // written once, before done is closed
}

func newPlay(s *Session, src Source) *Play {
	return &Play{s: s, src: src, done: make(chan struct{})}
}

// Done is closed when the source is over.
func (p *Play) Done() <-chan struct{} { return p.done }

// Err is nil until Done is closed, then why the source is over.
func (p *Play) Err() error {
	select {
	case <-p.done:
		return p.err
	default:
		return nil
	}
}

// Stop ends this play (ErrStopped) if it is still the session's source;
// it does nothing once the play is over. uuid_break uses it.
func (p *Play) Stop() {
	p.s.mu.Lock()
	if p.s.play != p {
		p.s.mu.Unlock()
		return
	}
	p.s.clearSourceLocked()
	p.s.mu.Unlock()
	p.finish(ErrStopped)
}

// finish records why the play is over and closes Done; only the first call
// counts.
func (p *Play) finish(err error) {
	p.once.Do(func() {
		p.err = err
		close(p.done)
	})
}
