package plan

// Impair is the damage an embedded node does on purpose to the RTP it sends
// (agent/media Impairment), so a run proves its quality figures see loss and
// jitter, or exercises an SUT's jitter buffer.
type Impair struct {
	Loss   float64  `yaml:"loss" doc:"Percent of sent RTP packets dropped, 0 to under 100."`
	Burst  float64  `yaml:"burst" doc:"Mean number of packets in a run of lost packets (1 or more; 1 or unset: independent losses)."`
	Delay  Duration `yaml:"delay" doc:"Added to every sent packet."`
	Jitter Duration `yaml:"jitter" doc:"A further random 0..jitter added to each packet (over 20ms reorders packets)."`

	Pos    Pos       `yaml:"-"`
	Fields Positions `yaml:"-"`
}

// zero reports an impair: block that damages nothing.
func (im Impair) zero() bool {
	return im.Loss == 0 && im.Burst == 0 && im.Delay == 0 && im.Jitter == 0
}

// checkImpair validates a node's impair: block.
func (d *decoder) checkImpair(n *Node, path string) {
	im := &n.Impair
	at := func(key string) Pos { return im.Fields.Get(key, n.Fields.Get("impair", n.Pos)) }
	if _, set := n.Fields["impair"]; set && !n.Embedded {
		d.errAt(n.Fields["impair"], path+".impair", "only the embedded node takes an impair: block (run 'callplan agent --impair-...' for a standalone agent)")
		return
	}
	if im.Loss < 0 || im.Loss >= 100 {
		d.errAt(at("loss"), path+".impair.loss", "must be a percent from 0 to under 100, got %v", im.Loss)
	}
	if im.Burst != 0 && im.Burst < 1 {
		d.errAt(at("burst"), path+".impair.burst", "must be 1 or more packets, got %v", im.Burst)
	}
	if im.Delay < 0 {
		d.errAt(at("delay"), path+".impair.delay", "must not be negative, got %s", im.Delay)
	}
	if im.Jitter < 0 {
		d.errAt(at("jitter"), path+".impair.jitter", "must not be negative, got %s", im.Jitter)
	}
	if im.Delay.D()+im.Jitter.D() > 10e9 {
		d.errAt(at("delay"), path+".impair.delay", "delay plus jitter must be at most 10s")
	}
}
