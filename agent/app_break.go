package agent

// uuid_break, as mod_commands' break_function: it sets the channel flag
// CF_BREAK, which the play loop of switch_ivr_play_file, the record loop
// of switch_ivr_record_file and switch_ivr_sleep test and clear, ending
// with a break. park, echo and bert_test never look at it, so a break
// that finds none of the three running stays set and ends the next one
// at once (a playback then fires PLAYBACK_START and PLAYBACK_STOP with
// Playback-Status break).

// breakApp is uuid_break on the leg. Any goroutine.
func (c *channel) breakApp() {
	c.apps.mu.Lock()
	p, brk := c.apps.play, c.apps.brk
	if p == nil && brk == nil {
		c.apps.breakPending = true
	}
	c.apps.mu.Unlock()
	switch {
	case p != nil:
		p.Stop()
	case brk != nil:
		brk()
	}
}

// takeBreak registers stop as what uuid_break calls while a record or a
// sleep runs, and reports whether a break was already pending, which it
// consumes (the app should end at once; stop is then not registered).
// endBreak unregisters it when the app ends.
func (c *channel) takeBreak(stop func()) (pending bool) {
	c.apps.mu.Lock()
	defer c.apps.mu.Unlock()
	if c.apps.breakPending {
		c.apps.breakPending = false
		return true
	}
	c.apps.brk = stop
	return false
}

func (c *channel) endBreak() {
	c.apps.mu.Lock()
	c.apps.brk = nil
	c.apps.mu.Unlock()
}
