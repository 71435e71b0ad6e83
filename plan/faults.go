package plan

import (
	"strings"
	"time"
)

// Fault is one timed change to a node callplan runs itself (an embedded
// agent), so a plan can ask "does the balancer in front of these nodes
// fail over, and spread calls evenly among the nodes that are left?".
type Fault struct {
	At     Duration    `yaml:"at" required:"true" doc:"When, from the start of the run (second 0 of the time series)."`
	Node   string      `yaml:"node" required:"true" doc:"The embedded node to act on, by name."`
	Action FaultAction `yaml:"action" required:"true" doc:"stop: close the node's SIP profile, hanging up its calls (sofia profile stop); start: open it again; reject: answer new INVITEs with code; blackhole: answer no new INVITE or OPTIONS; slow: hold each new INVITE for delay before the node sees it; heal: back to normal."`
	For    Duration    `yaml:"for" doc:"Undo the fault this long after at (start after stop, heal after the others); 0: until a later fault changes the node."`
	Code   int         `yaml:"code" doc:"With reject: the SIP status new INVITEs get (400-699); other actions ignore it."`
	Delay  Duration    `yaml:"delay" doc:"With slow: how long each new INVITE waits before the node handles it; other actions ignore it."`

	Pos    Pos       `yaml:"-"`
	Fields Positions `yaml:"-"`
}

// FaultAction is what a fault does to its node.
type FaultAction string

// Fault actions.
const (
	FaultStop      FaultAction = "stop"
	FaultStart     FaultAction = "start"
	FaultReject    FaultAction = "reject"
	FaultBlackhole FaultAction = "blackhole"
	FaultSlow      FaultAction = "slow"
	FaultHeal      FaultAction = "heal"
)

func (FaultAction) enumValues() []string {
	return []string{string(FaultStop), string(FaultStart), string(FaultReject), string(FaultBlackhole), string(FaultSlow), string(FaultHeal)}
}

// Fault defaults: a node that refuses work says 503 Service Unavailable
// (what FreeSWITCH answers over its session limit); slow is slow enough
// to be seen in post-dial delay and short of SIP's 32 s transaction
// timeout.
const (
	DefaultFaultCode  = 503
	DefaultFaultDelay = 2 * time.Second
)

func (f *Fault) setDefaults() {
	f.Code = DefaultFaultCode
	f.Delay = Duration(DefaultFaultDelay)
}

// Undo is the action that ends this fault when For is set: start after
// stop, heal after the others; "" for start and heal themselves.
func (f Fault) Undo() FaultAction {
	switch f.Action {
	case FaultStop:
		return FaultStart
	case FaultReject, FaultBlackhole, FaultSlow:
		return FaultHeal
	}
	return ""
}

func (d *decoder) checkFaults(p *Plan) {
	var embedded, all []string
	for _, n := range p.Nodes {
		all = append(all, n.Name)
		if n.Embedded {
			embedded = append(embedded, n.Name)
		}
	}
	total := p.TotalDuration()
	for i := range p.Faults {
		f := &p.Faults[i]
		path := indexPath("faults", i)
		at := func(key string) Pos { return f.Fields.Get(key, f.Pos) }
		if f.Node != "" && !contains(embedded, f.Node) {
			why := "no node named %q%s (embedded nodes: %s)"
			if contains(all, f.Node) {
				why = "node %q is not embedded: callplan injects faults only into the agents it runs%s (embedded nodes: %s)"
			}
			d.errAt(at("node"), path+".node", why, f.Node, didYouMean(f.Node, embedded), strings.Join(embedded, ", "))
		}
		if f.At < 0 {
			d.errAt(at("at"), path+".at", "must be >= 0, got %s", f.At)
		}
		if total > 0 && f.At.D() >= total {
			d.errAt(at("at"), path+".at", "%s is not before the last stage ends (%s)", f.At, total)
		}
		if f.For < 0 {
			d.errAt(at("for"), path+".for", "must be >= 0, got %s", f.For)
		}
		if f.For > 0 && f.Undo() == "" {
			d.errAt(at("for"), path+".for", "only meaningful with stop, reject, blackhole or slow (%s undoes nothing)", f.Action)
		}
		if f.Code < 400 || f.Code > 699 {
			d.errAt(at("code"), path+".code", "must be a SIP failure status 400-699, got %d", f.Code)
		}
		if f.Delay <= 0 {
			d.errAt(at("delay"), path+".delay", "must be > 0, got %s", f.Delay)
		}
	}
}
