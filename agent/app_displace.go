package agent

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/callplan/callplan/agent/media"
)

// uuid_displace <uuid> start|stop <path> [<limit>] [mux] (mod_commands.c,
// switch_ivr_displace_session): the file takes the place of what the leg
// sends, or is mixed into it with mux, until it ends, the limit (seconds)
// passes, or stop. On a leg that sends nothing of its own (parked) the
// file is what it sends. A source the agent's own playback did not set
// (echo, bert_test) is not displaced.

const displaceUsage = "-USAGE: <uuid> [start|stop] <path> [<limit>] [mux]\n"

func apiUUIDDisplace(a *Agent, args string) string {
	argv, c, reply := a.uuidArgs(args, 3, displaceUsage, "-ERR Cannot locate session!\n")
	if c == nil {
		return reply
	}
	path := argv[2]
	switch strings.ToLower(argv[1]) {
	case "start":
		var limit time.Duration
		if len(argv) > 3 {
			n, _ := strconv.Atoi(argv[3])
			limit = time.Duration(n) * time.Second
		}
		mux := len(argv) > 4 && strings.Contains(strings.ToLower(argv[4]), "mux")
		if err := c.do(func() error { return c.startDisplace(path, limit, mux) }); err != nil {
			c.a.log.Debug("uuid_displace", "uuid", c.uuid, "err", err)
			return "-ERR Cannot displace session!\n"
		}
		return "+OK Success\n"
	case "stop":
		if !c.stopDisplace() {
			return "-ERR Cannot stop displace session!\n"
		}
		return "+OK Success\n"
	}
	return displaceUsage
}

// displacement is one running uuid_displace.
type displacement struct {
	mu         sync.Mutex
	src        media.Source
	mux        bool
	left       int // frames before the limit; <0: none
	done       bool
	buf        [media.FrameSamples]int16
	standalone *media.Play // when it is all the leg sends
}

// next reads the displacing frame into d.buf; false once it is over.
func (d *displacement) next() bool {
	if d.done {
		return false
	}
	if d.left == 0 || !d.src.Read(d.buf[:]) {
		d.done = true
		return false
	}
	if d.left > 0 {
		d.left--
	}
	return true
}

// apply displaces one frame of the leg's own audio.
func (d *displacement) apply(frame []int16) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.next() {
		return
	}
	if !d.mux {
		copy(frame, d.buf[:])
		return
	}
	for i, v := range d.buf[:len(frame)] {
		frame[i] = int16(max(-32768, min(32767, int32(frame[i])+int32(v))))
	}
}

// Read makes the displacement a source of its own, for a leg that sends
// nothing else.
func (d *displacement) Read(frame []int16) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.next() {
		return false
	}
	copy(frame, d.buf[:])
	return true
}

func (c *channel) startDisplace(path string, limit time.Duration, mux bool) error {
	s, err := c.session()
	if err != nil {
		return err
	}
	src, _, err := c.openSource(path)
	if err != nil {
		return err
	}
	d := &displacement{src: src, mux: mux, left: -1}
	if limit > 0 {
		d.left = int(limit / (20 * time.Millisecond))
	}
	c.stopDisplace()
	c.apps.mu.Lock()
	c.apps.displace = d
	c.apps.mu.Unlock()
	c.resumeDisplace(s)
	return nil
}

// displacing is the running displacement, nil when none runs.
func (c *channel) displacing() *displacement {
	c.apps.mu.Lock()
	defer c.apps.mu.Unlock()
	return c.apps.displace
}

// resumeDisplace makes a running displacement the leg's source when the
// leg sends nothing else (after a playback, or at the start).
func (c *channel) resumeDisplace(s *media.Session) {
	d := c.displacing()
	if d == nil || s.Source() != nil {
		return
	}
	d.mu.Lock()
	over := d.done
	d.mu.Unlock()
	if !over {
		p := s.SetSource(d)
		d.mu.Lock()
		d.standalone = p
		d.mu.Unlock()
	}
}

// stopDisplace ends the running displacement; false when there was none.
func (c *channel) stopDisplace() bool {
	c.apps.mu.Lock()
	d := c.apps.displace
	c.apps.displace = nil
	c.apps.mu.Unlock()
	if d == nil {
		return false
	}
	d.mu.Lock()
	d.done = true
	p := d.standalone
	d.mu.Unlock()
	if p != nil {
		p.Stop()
	}
	return true
}
