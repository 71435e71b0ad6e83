package plan

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"time"
)

// Every default of the plan format lives in this file: static ones in the
// setDefaults methods (applied before a struct is filled from YAML, so the
// plan overrides them), derived ones in the functions below (applied after
// decoding, because they depend on other fields). docs/plans.md and the JSON
// Schema are generated from, or checked against, these.

// DefaultDestination calls the originating node itself: the call leaves
// through the node's SIP profile and comes back to the same node, which is
// what the embedded agent and a FreeSWITCH loop test need. Add a proxy to
// route it through the system under test.
const DefaultDestination = "callplan@{{node.sip_host}}:{{node.sip_port}}"

// Other static defaults.
const (
	DefaultSeed            = 1
	DefaultProfile         = "external"
	DefaultCallerIDName    = "callplan"
	DefaultCallerIDNumber  = "0000000000"
	DefaultTimeout         = 60 * time.Second // FreeSWITCH's own originate default
	DefaultApp             = "park"
	DefaultSIPPort         = 5080 // FreeSWITCH's external profile
	DefaultFlow            = "park"
	DefaultReportDir       = "results"
	DefaultReportTolerance = 0.10
	// limitFactor is SIPp's default concurrency cap (-l): 3 x rate x hold.
	limitFactor = 3
)

func (p *Plan) setDefaults() {
	p.Seed = DefaultSeed
	p.NodePolicy = PolicyRoundRobin
	p.FlowChoice = ChoiceRoundRobin
	p.Originate.setDefaults()
	p.Report.setDefaults()
	p.Search.setDefaults()
}

func (o *Originate) setDefaults() {
	dest, err := ParseTemplate(DefaultDestination)
	if err != nil {
		panic(fmt.Sprintf("plan: default destination: %v", err))
	}
	o.Destination = dest
	o.Profile = DefaultProfile
	o.CallerIDName = DefaultCallerIDName
	o.CallerIDNumber = DefaultCallerIDNumber
	o.Timeout = Duration(DefaultTimeout)
	o.App = DefaultApp
	// Load testers wait for answer (switchio does): with early media
	// accepted, originate returns at 183 and park starts on an unanswered leg.
	o.IgnoreEarlyMedia = true
}

func (r *Report) setDefaults() {
	r.Formats = []ReportFormat{FormatTable}
	r.Dir = DefaultReportDir
	r.Tolerance = DefaultReportTolerance
}

func (n *Node) setDefaults() {
	n.Weight = 1
	n.Role = RoleBoth
	n.Twilio.setDefaults()
}

func (f *Flow) setDefaults() {
	f.Weight = 1
}

func (s *Stage) setDefaults() {
	s.Arrivals = ArrivalsUniform
	s.HoldDist = HoldFixed
}

// defaultName is the plan's name when it gives none: the file name without
// its extension.
func defaultName(file string) string {
	base := filepath.Base(file)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

// defaultNodes is the node list of a plan that names none.
func defaultNodes() []Node {
	n := Node{URI: Embedded}
	n.setDefaults()
	return []Node{n}
}

// defaultFlows is the flow list of a plan that names none: park, or twiml
// on cloud nodes.
func defaultFlows(cloud bool) []Flow {
	f := Flow{Use: DefaultFlow}
	if cloud {
		f.Use = CloudFlow
	}
	f.setDefaults()
	return []Flow{f}
}

// resolveNode fills what a node's URI implies.
func resolveNode(n *Node, u nodeURI) {
	n.Embedded, n.Cloud, n.Host, n.Port, n.Password = u.embedded, u.cloud, u.host, u.port, u.password
	if n.Cloud {
		resolveCloud(n)
		return
	}
	if n.Embedded {
		n.Host = "127.0.0.1"
	}
	if n.Name == "" {
		if n.Embedded {
			n.Name = Embedded
		} else {
			n.Name = hostPort(n.Host, n.Port)
		}
	}
	if n.SIPHost == "" {
		n.SIPHost = n.Host
	}
	if _, set := n.Fields["sip_port"]; !set && !n.Embedded {
		n.SIPPort = DefaultSIPPort
	}
}

// defaultStageName names the i-th (0-based) stage.
func defaultStageName(i int) string { return fmt.Sprintf("stage-%d", i+1) }

// autoHold is Little's law, L = λW, solved for W: the hold that keeps limit
// calls up at the stage's peak rate. With a ramp the peak is used, so the
// limit is reached at the top of the ramp and never exceeded on the way up.
// Rounded to the millisecond so the plan renders readably.
func autoHold(limit int, peak float64) Duration {
	return Duration((time.Duration(float64(limit) / peak * float64(time.Second))).Round(time.Millisecond))
}

// defaultLimit is SIPp's default concurrency cap, 3 x rate x hold, at the
// stage's peak rate: room for the variance of Poisson arrivals and
// exponential holds around the mean λW.
func defaultLimit(peak float64, hold Duration) int {
	return max(1, int(math.Ceil(limitFactor*peak*hold.D().Seconds())))
}
