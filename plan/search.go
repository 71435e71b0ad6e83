package plan

import "gopkg.in/yaml.v3"

// Capacity search defaults (docs/plans.md, `search:`). A plan with a
// search block answers "how many calls per second does the system take?"
// the way SIPp users do it by hand with -rate_increase and -rate_max: the
// one stage runs at its own rate, then at rate x factor while every
// assertion holds, then narrows in by halving the gap between the highest
// rate that passed and the lowest that failed, until the gap is under
// precision x the passing rate. cmd/callplan runs the steps.
const (
	DefaultSearchFactor    = 2.0
	DefaultSearchPrecision = 0.1
	DefaultSearchMaxSteps  = 12
	maxSearchSteps         = 50
)

// Search is a plan's `search:` block: a capacity search over its stage's
// rate.
type Search struct {
	Max       float64 `yaml:"max" required:"true" doc:"Highest rate (calls per second) the search may try; it stops there even if everything passes."`
	Factor    float64 `yaml:"factor" doc:"While every assertion holds, the next step's rate is this many times the last (> 1)."`
	Precision float64 `yaml:"precision" doc:"Narrowing stops when the gap between the highest passing and the lowest failing rate is under this fraction of the passing rate (0-1)."`
	MaxSteps  int     `yaml:"max_steps" doc:"Never more steps than this (each runs the stage once)."`

	// On is set when the plan has a search block.
	On     bool      `yaml:"-"`
	Pos    Pos       `yaml:"-"`
	Fields Positions `yaml:"-"`
}

func (s *Search) setDefaults() {
	s.Factor = DefaultSearchFactor
	s.Precision = DefaultSearchPrecision
	s.MaxSteps = DefaultSearchMaxSteps
}

// checkSearch validates a search block: it needs exactly one stage with a
// constant rate below max, and no billed cloud node (a search places calls
// until something breaks).
func (d *decoder) checkSearch(p *Plan) {
	pos, on := p.Fields["search"]
	if !on {
		return
	}
	s := &p.Search
	s.On = true
	at := func(key string) Pos { return s.Fields.Get(key, pos) }
	if len(p.Stages) != 1 {
		d.errAt(p.Fields.Get("stages", p.Pos), "stages", "a capacity search steps the rate of one stage; got %d stages", len(p.Stages))
	} else if st := p.Stages[0]; st.Rate.Ramp {
		d.errAt(st.Fields.Get("rate", st.Pos), "stages[0].rate", "a capacity search starts from a constant rate, not a ramp")
	} else if st.Rate.From > 0 && s.Max <= st.Rate.From {
		d.errAt(at("max"), "search.max", "must be above the stage's rate %g, got %g", st.Rate.From, s.Max)
	}
	if s.Factor <= 1 || s.Factor > 10 {
		d.errAt(at("factor"), "search.factor", "must be > 1 and <= 10, got %g", s.Factor)
	}
	if s.Precision <= 0 || s.Precision >= 1 {
		d.errAt(at("precision"), "search.precision", "must be between 0 and 1 (a fraction of the passing rate), got %g", s.Precision)
	}
	if s.MaxSteps < 1 || s.MaxSteps > maxSearchSteps {
		d.errAt(at("max_steps"), "search.max_steps", "must be 1-%d, got %d", maxSearchSteps, s.MaxSteps)
	}
	if p.HasCloudNode() {
		d.errAt(pos, "search", "a capacity search places calls until something fails: not with a billed twilio:// node")
	}
}

// dropSearch removes the search block from a resolved plan that has none,
// so render shows only what the plan uses.
func dropSearch(root *yaml.Node) {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "search" {
			root.Content = append(root.Content[:i], root.Content[i+2:]...)
			return
		}
	}
}
