package agent

import (
	"io"
	"os"
	"strconv"

	"github.com/callplan/callplan/agent/media"
	"github.com/callplan/callplan/internal/hangup"
)

// bert_test, as mod_bert.c runs it: answer, require PCMU, read the bert_*
// variables, set bert_stats_sync_lost_count=0 and bert_stats_sync_lost=
// false, then send the milliwatt pattern and check what comes back until
// the leg hangs up (no break check: uuid_break does not stop it), firing
// the CUSTOM mod_bert::in_sync / lost_sync / timeout events with the
// channel's basic data and no variables (captured: 06, 11). The pattern
// checking is media.BERT.

// Where mod_bert.c fires each event (bert_test_function; captured: 06).
var bertSites = map[media.BERTEventKind]callingSite{
	media.BERTInSync:   {"mod_bert.c", "bert_test_function", 313},
	media.BERTLostSync: {"mod_bert.c", "bert_test_function", 294},
	media.BERTTimeout:  {"mod_bert.c", "bert_test_function", 246},
}

func (c *channel) bertTest() {
	// switch_channel_answer: an inbound leg is answered; an outbound one
	// is up already.
	if !c.outbound && c.answer() != nil {
		return
	}
	s, _ := c.session()
	if s == nil || s.Codec().PayloadType != media.PCMU.PayloadType {
		c.a.log.Debug("bert_test: This application only works when using ulaw codec", "uuid", c.uuid)
		return
	}
	cfg := media.BERTConfigFromVars(c.getVar)
	if cfg.TimerName != "" && cfg.TimerName != "soft" {
		// FreeSWITCH knows only the timers its modules register; "soft"
		// is the core's. Others fail: "Timer Setup Failed. BERT cannot
		// start!"
		c.a.log.Debug("bert_test: timer setup failed", "uuid", c.uuid, "timer", cfg.TimerName)
		return
	}
	c.setVar("bert_stats_sync_lost_count", "0")
	c.setVar("bert_stats_sync_lost", "false")
	live := true // read and written on the channel goroutine only
	b := media.NewBERT(cfg, nil, func(e media.BERTEvent) {
		c.mbox.Push(func() {
			if live {
				c.bertEvent(e)
			}
		})
	})
	if cfg.DebugIOFile != "" {
		in, out := c.bertDebugFile(cfg.DebugIOFile+".in"), c.bertDebugFile(cfg.DebugIOFile+".out")
		var inW, outW io.Writer // a nil *os.File must not become a non-nil Writer
		if in != nil {
			inW = in
		}
		if out != nil {
			outW = out
		}
		b.SetDebugIO(inW, outW)
		defer closeDebug(in)
		defer closeDebug(out)
	}
	remove := s.AddSink(b)
	p := s.SetSource(b)
	c.wait(nil, nil) // until hangup
	live = false
	remove()
	p.Stop()
}

// bertEvent handles one mod_bert event on the channel goroutine.
func (c *channel) bertEvent(e media.BERTEvent) {
	if c.isHungup() {
		return
	}
	if e.Kind == media.BERTLostSync {
		c.setVar("bert_stats_sync_lost_count", strconv.FormatUint(uint64(e.LostCount), 10))
		c.setVar("bert_stats_sync_lost", "true")
	}
	c.fireAt("CUSTOM", e.Kind.Subclass(), bertSites[e.Kind], nil, func(ev *event) {
		if e.Kind != media.BERTLostSync {
			return
		}
		ev.Headers = append(ev.Headers,
			header{"sync_lost_percent", strconv.FormatFloat(float64(e.LostPercent), 'f', 6, 64)},
			header{"sync_lost_count", strconv.FormatUint(uint64(e.LostCount), 10)},
			header{"cng_count", strconv.FormatUint(uint64(e.CNGCount), 10)},
			header{"err_samples", strconv.FormatUint(uint64(e.ErrSamples), 10)})
	})
	if e.Hangup {
		c.doHangup(hangupInfo{cause: hangup.MediaTimeout, sendSignal: true})
	}
}

// bertDebugFile opens one of bert_debug_io_file's files; nil (and a log
// line, as mod_bert's "Failed to open ... debug file") when it cannot.
func (c *channel) bertDebugFile(path string) *os.File {
	f, err := os.Create(path)
	if err != nil {
		c.a.log.Debug("bert_test: failed to open debug file", "uuid", c.uuid, "err", err)
		return nil
	}
	return f
}

func closeDebug(f *os.File) {
	if f != nil {
		_ = f.Close()
	}
}
