package agent

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/callplan/callplan/agent/media"
)

// tone_detect <key> <freqs> [<flags> <timeout> <app> <data> <hits>] and
// stop_tone_detect, after mod_dptools.c and switch_ivr_tone_detect_session
// in switch_ivr_async.c: a detector per key on what the leg receives;
// when it hears the tones it sets tone_detect_<key>_total_time, runs the
// app if one was given, and fires DETECTED_TONE with Detected-Tone: <key>.
//
// FreeSWITCH creates that event without the channel's data (no Unique-ID):
// a client tells legs apart by the key it chose, so a flow uses a key
// unique to the call. The agent sends the same event. Timeouts are in
// seconds ("+5", or an absolute epoch time). The "w" flag (listen to what
// the leg sends) is not supported: the agent's detectors hear the
// received direction.

var siteDetectedTone = callingSite{"switch_ivr_async.c", "tone_detect_callback", 4271}

var errInvalidToneSpec = errors.New("invalid tone spec")

// toneDetect is one key's detector.
type toneDetect struct {
	key      string
	det      *media.ToneDetector
	remove   func()
	app, arg string
	start    time.Time
	timer    *time.Timer
}

func (c *channel) toneDetectApp(arg string) {
	argv := strings.Fields(arg)
	if len(argv) < 2 {
		c.a.log.Debug("tone_detect: INVALID ARGS!", "uuid", c.uuid)
		return
	}
	at := func(i int) string {
		if i < len(argv) {
			return argv[i]
		}
		return ""
	}
	key, spec := argv[0], argv[1]
	var timeout time.Duration
	if t := at(3); strings.HasPrefix(t, "+") {
		n, _ := strconv.Atoi(t[1:])
		timeout = time.Duration(n) * time.Second
	} else if n, _ := strconv.ParseInt(t, 10, 64); n > time.Now().Unix() {
		timeout = time.Until(time.Unix(n, 0))
	}
	// mod_dptools takes hits from argument 7 when an app and its data are
	// given, else from argument 5 (which is then also the "app").
	hitsArg := ""
	switch {
	case at(4) != "" && at(5) != "":
		hitsArg = at(6)
	case at(4) != "" && at(6) == "":
		hitsArg = at(4)
	}
	hits, _ := strconv.Atoi(hitsArg)
	if v, ok := c.getVar("tone_detect_hits"); ok {
		if n, _ := strconv.Atoi(v); n > 0 {
			hits = n
		}
	}
	var freqs []float64
	for _, f := range strings.Split(spec, ",") {
		if v, err := strconv.ParseFloat(strings.TrimSpace(f), 64); err == nil && v != 0 {
			freqs = append(freqs, v)
		}
	}
	if err := c.startToneDetect(key, freqs, hits, at(4), at(5), timeout); err != nil {
		c.a.log.Debug("tone_detect", "uuid", c.uuid, "key", key, "err", err)
	}
}

func (c *channel) startToneDetect(key string, freqs []float64, hits int, app, arg string, timeout time.Duration) error {
	lkey := strings.ToLower(key)
	c.apps.mu.Lock()
	if d, ok := c.apps.detectors[lkey]; ok {
		// The same key again re-arms its detector ("Re-enabling").
		c.apps.mu.Unlock()
		d.det.Reset()
		return nil
	}
	c.apps.mu.Unlock()
	if len(freqs) == 0 {
		return errInvalidToneSpec
	}
	s, err := c.session()
	if err != nil {
		return err
	}
	if err := c.preAnswer(); err != nil && !c.outbound {
		return err
	}
	cfg := media.ToneDetectorConfig{Freqs: freqs, Hits: hits}
	if v, ok := c.getVar("tone_detect_sleep"); ok {
		cfg.Sleep, _ = strconv.Atoi(v)
	}
	if v, ok := c.getVar("tone_detect_expires"); ok {
		cfg.Expires, _ = strconv.Atoi(v)
	}
	d := &toneDetect{key: key, app: app, arg: arg, start: time.Now()}
	d.det = media.NewToneDetector(cfg, func() {
		c.mbox.Push(func() { c.toneDetected(d) })
	})
	c.apps.mu.Lock()
	if c.apps.detectors == nil {
		c.apps.detectors = map[string]*toneDetect{}
	}
	c.apps.detectors[lkey] = d
	c.apps.mu.Unlock()
	d.remove = s.AddSink(d.det)
	if timeout > 0 {
		d.timer = time.AfterFunc(timeout, func() { c.mbox.Push(func() { c.dropToneDetect(lkey, d) }) })
	}
	return nil
}

// toneDetected runs on the channel goroutine when d's tones were heard.
func (c *channel) toneDetected(d *toneDetect) {
	c.setVar("tone_detect_"+d.key+"_total_time", strconv.FormatInt(time.Since(d.start).Milliseconds(), 10))
	c.a.hub.fire("DETECTED_TONE", "", func(e *event) {
		setCallingSite(e, siteDetectedTone)
		e.Headers = append(e.Headers, header{"Detected-Tone", d.key})
	})
	if d.app != "" && !c.isHungup() {
		app, arg := d.app, d.arg
		c.postPrivate(false, func() { c.execute(app, arg, "", "") })
	}
}

// dropToneDetect removes one detector (its timeout passed).
func (c *channel) dropToneDetect(lkey string, d *toneDetect) {
	c.apps.mu.Lock()
	if c.apps.detectors[lkey] == d {
		delete(c.apps.detectors, lkey)
	}
	c.apps.mu.Unlock()
	d.remove()
}

// stopToneDetect is stop_tone_detect: every detector goes.
func (c *channel) stopToneDetect() {
	c.apps.mu.Lock()
	ds := c.apps.detectors
	c.apps.detectors = nil
	c.apps.mu.Unlock()
	for _, d := range ds {
		if d.timer != nil {
			d.timer.Stop()
		}
		d.remove()
	}
}
