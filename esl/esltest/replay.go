package esltest

import (
	"bufio"

	"github.com/callplan/callplan/esl"
)

// serveReplay plays a transcript: replies wait for a command each.
func (c *Conn) serveReplay(frames []*esl.Frame) {
	cmds := make(chan struct{}, 1024)
	c.srv.wg.Add(1)
	go func() {
		defer c.srv.wg.Done()
		defer close(cmds)
		r := esl.NewReader(c.nc)
		for {
			cmd, err := r.ReadCommand()
			if err != nil {
				return
			}
			c.mu.Lock()
			c.commands = append(c.commands, cmd.Line)
			c.mu.Unlock()
			select {
			case cmds <- struct{}{}:
			case <-c.srv.closing:
				return
			}
		}
	}()
	// Frames are written in batches so a replay is fast enough to
	// benchmark a client through it.
	w := bufio.NewWriterSize(writerFunc(c.WriteRaw), 64<<10)
	for _, f := range frames {
		switch f.ContentType() {
		case esl.ContentCommandReply, esl.ContentAPIResponse:
			if err := w.Flush(); err != nil {
				return
			}
			if _, ok := <-cmds; !ok {
				return
			}
		}
		if _, err := w.Write(f.AppendTo(nil)); err != nil {
			return
		}
	}
	_ = w.Flush()
}

type writerFunc func([]byte) error

func (f writerFunc) Write(b []byte) (int, error) {
	if err := f(b); err != nil {
		return 0, err
	}
	return len(b), nil
}
