package plan

import "time"

// Plan is a loaded, defaulted and validated plan. Field tags give the YAML
// key (`yaml`), the one-line documentation used by the JSON Schema (`doc`)
// and whether the key must be written (`required:"true"`). Fields tagged
// `yaml:"-"` are resolved from the others and never read from the file.
type Plan struct {
	Name        string      `yaml:"name" doc:"Plan name, used in reports and result directories. Letters, digits, '.', '_' and '-'. Defaults to the file name without extension."`
	Description string      `yaml:"description" doc:"Free text shown in reports."`
	Seed        int64       `yaml:"seed" doc:"Seed for every random choice (poisson arrivals, exponential holds, random flow choice), so runs are reproducible."`
	NodePolicy  NodePolicy  `yaml:"node_policy" doc:"How the originating node of each call is chosen."`
	Nodes       []Node      `yaml:"nodes" doc:"Call generators: 'embedded', 'fs://[:password@]host[:port]' or a mapping. No nodes means one embedded agent."`
	Originate   Originate   `yaml:"originate" doc:"How calls are originated toward the system under test."`
	FlowChoice  FlowChoice  `yaml:"flow_choice" doc:"How the flow of each call is chosen from the weighted flows."`
	Flows       []Flow      `yaml:"flows" doc:"The weighted mix of call flows. No flows means one 'park' flow."`
	MaxCalls    int         `yaml:"max_calls" doc:"Stop originating after this many calls in the whole run; 0 means no cap. Required (> 0) with a twilio:// node: its calls are billed."`
	Stages      []Stage     `yaml:"stages" required:"true" doc:"Load stages, run in order."`
	Search      Search      `yaml:"search" doc:"Capacity search: step the one stage's rate up while every assertion holds, then narrow in; reports the highest rate that passed (plan/search.go)."`
	Faults      []Fault     `yaml:"faults" doc:"Timed faults injected into embedded nodes during the run (plan/faults.go, docs/plans.md)."`
	Assertions  []Assertion `yaml:"assertions" doc:"Pass/fail conditions over the run's metrics."`
	Report      Report      `yaml:"report" doc:"Report formats and where results go."`

	// File is the path the plan was loaded from.
	File string `yaml:"-"`
	// Pos is where the plan's top-level mapping starts; Fields where each
	// top-level key's value was written.
	Pos    Pos       `yaml:"-"`
	Fields Positions `yaml:"-"`
}

// NodePolicy chooses the originating node of each call.
type NodePolicy string

// Node policies.
const (
	PolicyRoundRobin  NodePolicy = "round_robin"  // each calling node in turn
	PolicyWeighted    NodePolicy = "weighted"     // in proportion to node weight
	PolicyLeastLoaded NodePolicy = "least_loaded" // fewest live calls, from heartbeats and this run's own counts
)

func (NodePolicy) enumValues() []string {
	return []string{string(PolicyRoundRobin), string(PolicyWeighted), string(PolicyLeastLoaded)}
}

// FlowChoice chooses the flow of each call from the weighted list.
type FlowChoice string

// Flow choices.
const (
	// ChoiceRoundRobin is smooth weighted round robin: deterministic, exact
	// proportions over every window of sum(weights) calls.
	ChoiceRoundRobin FlowChoice = "round_robin"
	// ChoiceRandom draws each call's flow at random in proportion to the
	// weights, from the plan's seed.
	ChoiceRandom FlowChoice = "random"
)

func (FlowChoice) enumValues() []string {
	return []string{string(ChoiceRoundRobin), string(ChoiceRandom)}
}

// Role says whether a node places calls, receives them, or both.
type Role string

// Node roles.
const (
	RoleBoth   Role = "both"
	RoleCaller Role = "caller"
	RoleCallee Role = "callee"
)

func (Role) enumValues() []string {
	return []string{string(RoleBoth), string(RoleCaller), string(RoleCallee)}
}

// Node is one call generator. In YAML it is either a string (the URI) or a
// mapping with the URI and options.
type Node struct {
	URI         string `yaml:"uri" required:"true" doc:"'embedded', fs://[:password@]host[:port] (port 8021, password ClueCon by default; take the password from ${ENV}), or twilio:// for a Twilio-compatible REST API (docs/cloud.md)."`
	Name        string `yaml:"name" doc:"Name used in reports and assertions. Defaults to host:port, or 'embedded'."`
	MaxSessions int    `yaml:"max_sessions" doc:"Never more live calls on this node; 0 means the node's own Max-Sessions from its heartbeat."`
	Weight      int    `yaml:"weight" doc:"Share of calls under node_policy: weighted."`
	Role        Role   `yaml:"role" doc:"Whether the node originates calls, receives them, or both."`
	SIPHost     string `yaml:"sip_host" doc:"Address of the node's SIP profile, for {{node.sip_host}} in the destination. Defaults to the ESL host (127.0.0.1 for embedded)."`
	SUT         bool   `yaml:"sut" doc:"The node is also the system under test (a loop test of one FreeSWITCH): its saturation is the result being measured, reported but not a generator failure, and calls to it are not held back when it saturates."`
	SIPPort     int    `yaml:"sip_port" doc:"Port of the node's SIP profile, for {{node.sip_port}}. Defaults to 5080 (FreeSWITCH's external profile); for embedded, 0: the port the agent binds when it starts."`
	// Impair damages the embedded agent's RTP (plan/impair.go).
	Impair Impair `yaml:"impair" doc:"Embedded node only: loss, burst, delay and jitter done on purpose to the RTP it sends."`
	// Twilio configures a twilio:// node (plan/cloud.go).
	Twilio CloudAPI `yaml:"twilio" doc:"Settings of a twilio:// node: API, credentials' environment variables, From, To, TwiML, rates (docs/cloud.md)."`

	// Resolved from URI.
	Embedded bool   `yaml:"-"`
	Cloud    bool   `yaml:"-"` // twilio://: calls go through a REST API, not ESL
	Host     string `yaml:"-"`
	Port     int    `yaml:"-"`
	// Password is the ESL password. Never print it; Redacted replaces it.
	Password string `yaml:"-"`

	Pos    Pos       `yaml:"-"`
	Fields Positions `yaml:"-"`
}

// Originate says how each call's caller leg is originated.
type Originate struct {
	Destination      Template          `yaml:"destination" doc:"Request-URI user@host[:port] of the call, a template: {{node.host}}, {{node.name}}, {{node.sip_host}}, {{node.sip_port}}, {{call.id}}, {{run.id}}, {{flow}}, {{stage}}."`
	Profile          string            `yaml:"profile" doc:"Sofia SIP profile the call leaves through."`
	Proxy            string            `yaml:"proxy" doc:"Next hop host[:port] for the INVITE (rendered as ;fs_path=sip:PROXY); the Request-URI stays the destination."`
	Gateway          string            `yaml:"gateway" doc:"Send through this configured gateway (sofia/gateway/NAME/DESTINATION) instead of a profile."`
	CallerIDName     string            `yaml:"caller_id_name" doc:"origination_caller_id_name."`
	CallerIDNumber   string            `yaml:"caller_id_number" doc:"origination_caller_id_number."`
	Codecs           []string          `yaml:"codecs" doc:"Offer exactly these codecs (absolute_codec_string), e.g. [PCMU, PCMA]. Empty: the profile's default."`
	Timeout          Duration          `yaml:"timeout" doc:"Originate timeout (originate_timeout), whole seconds."`
	Vars             map[string]string `yaml:"vars" doc:"Extra channel variables set on the caller leg."`
	Headers          map[string]string `yaml:"headers" doc:"SIP X- headers sent on the INVITE (as sip_h_X-NAME)."`
	App              string            `yaml:"app" doc:"Application run on the answered caller leg: NAME or NAME(ARG)."`
	IgnoreEarlyMedia bool              `yaml:"ignore_early_media" doc:"Wait for answer, not early media, before originate returns (ignore_early_media)."`

	Pos    Pos       `yaml:"-"`
	Fields Positions `yaml:"-"`
}

// Flow is one entry of the weighted flow mix.
type Flow struct {
	Use    string            `yaml:"use" required:"true" doc:"Flow name, one of the flows in docs/flows.md."`
	Name   string            `yaml:"name" doc:"Name in reports and assertions; defaults to use. Needed when one flow is used twice."`
	Weight int               `yaml:"weight" doc:"Relative share of calls."`
	With   map[string]Scalar `yaml:"with" doc:"The flow's parameters."`

	Pos    Pos       `yaml:"-"`
	Fields Positions `yaml:"-"`
}

// Stage is one period of load.
type Stage struct {
	Name     string   `yaml:"name" doc:"Name in reports and assertions; defaults to stage-N (1-based)."`
	Duration Duration `yaml:"duration" required:"true" doc:"How long the stage originates calls."`
	Rate     Rate     `yaml:"rate" required:"true" doc:"Calls per second: a number, or {from: A, to: B} for a linear ramp over the stage."`
	Limit    int      `yaml:"limit" doc:"Maximum concurrent calls (erlangs); an arrival over it is dropped. Defaults to 3 x peak rate x hold (SIPp's default)."`
	Hold     Hold     `yaml:"hold" doc:"How long answered calls are held: a duration, or 'auto' = limit / peak rate (Little's law)."`
	MaxCalls int      `yaml:"max_calls" doc:"Stop this stage after this many calls; 0 means no cap."`
	Arrivals Arrivals `yaml:"arrivals" doc:"Arrival process: evenly spaced, or a seeded Poisson process."`
	HoldDist HoldDist `yaml:"hold_dist" doc:"Hold time distribution: fixed, or exponential with mean hold."`

	Pos    Pos       `yaml:"-"`
	Fields Positions `yaml:"-"`
}

// Arrivals is a stage's arrival process.
type Arrivals string

// Arrival processes.
const (
	ArrivalsUniform Arrivals = "uniform"
	ArrivalsPoisson Arrivals = "poisson"
)

func (Arrivals) enumValues() []string {
	return []string{string(ArrivalsUniform), string(ArrivalsPoisson)}
}

// HoldDist is a stage's hold time distribution.
type HoldDist string

// Hold distributions.
const (
	HoldFixed       HoldDist = "fixed"
	HoldExponential HoldDist = "exponential"
)

func (HoldDist) enumValues() []string { return []string{string(HoldFixed), string(HoldExponential)} }

// Assertion is one pass/fail condition.
type Assertion struct {
	Name       string   `yaml:"name" doc:"Name in reports; defaults to the expression."`
	Expr       string   `yaml:"expr" required:"true" doc:"An expr-lang expression over the metrics, e.g. 'asr >= 0.99' (see docs/assertions.md)."`
	Stage      string   `yaml:"stage" doc:"Only calls of this stage."`
	Flow       string   `yaml:"flow" doc:"Only calls of this flow (its name)."`
	Node       string   `yaml:"node" doc:"Only calls originated by this node (its name)."`
	Window     Duration `yaml:"window" doc:"Must hold in every sliding window of this length, not only over the whole run; 0 means the whole run."`
	Abort      bool     `yaml:"abort" doc:"Evaluate live and stop the run when it fails."`
	AbortDelay Duration `yaml:"abort_delay" doc:"With abort: do not abort before this much of the run has passed."`

	// ExprSource locates the expression's text in the file.
	ExprSource Source `yaml:"-"`

	Pos    Pos       `yaml:"-"`
	Fields Positions `yaml:"-"`
}

// Report says which reports are written and where.
type Report struct {
	Formats []ReportFormat `yaml:"formats" doc:"Report formats to write."`
	Dir     string         `yaml:"dir" doc:"Directory under which each run writes <name>-<timestamp>/."`
	// Tolerance is how far a metric may move the wrong way, relative to a
	// baseline run, before `callplan report --baseline` calls it a
	// regression. It lives in the plan so a team agrees on it once.
	Tolerance float64 `yaml:"tolerance" doc:"With callplan report --baseline: relative change allowed before a metric counts as regressed (0.1 = 10%)."`

	Pos    Pos       `yaml:"-"`
	Fields Positions `yaml:"-"`
}

// ReportFormat is one report format.
type ReportFormat string

// Report formats.
const (
	FormatTable ReportFormat = "table"
	FormatJSON  ReportFormat = "json"
	FormatJUnit ReportFormat = "junit"
	FormatCSV   ReportFormat = "csv"
	FormatHTML  ReportFormat = "html"
)

func (ReportFormat) enumValues() []string {
	return []string{string(FormatTable), string(FormatJSON), string(FormatJUnit), string(FormatCSV), string(FormatHTML)}
}

// Duration is a time.Duration written as a Go duration string ("1m30s").
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

// Rate is calls per second, constant (From == To) or ramped linearly from
// From to To over the stage.
type Rate struct {
	From float64
	To   float64
	// Ramp records that the plan wrote {from, to}, even when equal.
	Ramp bool
}

// Peak is the highest rate of the stage.
func (r Rate) Peak() float64 { return max(r.From, r.To) }

// Hold is a stage's hold time. Auto means it was derived by Little's law
// (limit / peak rate); Value is the resolved hold either way.
type Hold struct {
	Auto  bool
	Value Duration
}

// Scalar is one flow parameter value as written: its text after ${VAR}
// expansion, and where it was written. Its meaning depends on the flow.
type Scalar struct {
	Value string
	Pos   Pos
}

// Source locates a string value's text in the file, so a layer that parses
// the string (the assertion compiler) can turn an offset inside it into a
// file position.
type Source struct {
	Pos Pos
	// Inline is true for a value written on one line (plain or quoted), where
	// a column inside the text maps to Pos.Col + Shift + column.
	Inline bool
	Shift  int // 1 for a quoted value: the opening quote
}

// At maps a 1-based line and 0-based column inside the value's text to a
// file position. For block scalars, whose indentation the parser does not
// report, it returns the value's own position.
func (s Source) At(line, col int) Pos {
	if !s.Inline || line != 1 {
		return s.Pos
	}
	return Pos{File: s.Pos.File, Line: s.Pos.Line, Col: s.Pos.Col + s.Shift + col}
}
