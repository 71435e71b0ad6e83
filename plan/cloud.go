package plan

import (
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Cloud node settings: a node written `twilio://` places calls through a
// Twilio-compatible REST API instead of ESL (docs/cloud.md). The constants
// are the defaults; plan holds only names of environment variables, never
// a credential.
const (
	CloudScheme         = "twilio://"
	DefaultCloudBaseURL = "https://api.twilio.com"
	DefaultCloudName    = "twilio"
	// CloudFlow is the one flow a cloud node runs: the answered call runs
	// the TwiML, and callplan ends it after the hold.
	CloudFlow            = "twiml"
	DefaultPollRate      = 5.0
	DefaultPollInterval  = time.Second
	cloudTimeLimitMargin = time.Minute
	// maxInlineTwiml is the API's limit on the Twiml parameter.
	maxInlineTwiml = 4000
)

var envNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// CloudAPI is the `twilio:` block of a cloud node.
type CloudAPI struct {
	BaseURL        string   `yaml:"base_url" doc:"API root: https://api.twilio.com, or a Twilio-compatible API such as SignalWire's (https://SPACE.signalwire.com/api/laml)."`
	AccountSIDEnv  string   `yaml:"account_sid_env" doc:"Environment variable holding the account SID."`
	AuthTokenEnv   string   `yaml:"auth_token_env" doc:"Environment variable holding the auth token (used unless the API key variables are set)."`
	APIKeyEnv      string   `yaml:"api_key_env" doc:"Environment variable holding an API key SID; with api_secret_env it replaces the auth token."`
	APISecretEnv   string   `yaml:"api_secret_env" doc:"Environment variable holding the API key's secret."`
	From           string   `yaml:"from" doc:"Caller ID (the API's From): a number of the account in E.164, or a client:/sip: identity."`
	To             Template `yaml:"to" doc:"Destination (the API's To), a template: {{call.id}}, {{run.id}}, {{flow}}, {{stage}}, {{node.name}}."`
	TwimlURL       string   `yaml:"twiml_url" doc:"URL the API fetches TwiML from when the call is answered (the API's Url). Not with twiml."`
	Twiml          string   `yaml:"twiml" doc:"Inline TwiML run on the answered call (the API's Twiml), at most 4000 characters. Not with twiml_url."`
	CPS            float64  `yaml:"cps" doc:"Never more create requests per second than this, evenly spaced; 0 means the stage rate alone. A stage may not ask for more."`
	PollRate       float64  `yaml:"poll_rate" doc:"Most status requests (GET .../Calls/SID.json) per second for the whole node."`
	PollInterval   Duration `yaml:"poll_interval" doc:"Fetch each live call's status at most this often; status changes are seen this late at worst."`
	TimeLimit      Duration `yaml:"time_limit" doc:"Sent as the API's TimeLimit: the API ends each call after this even if callplan dies. Defaults to the longest hold + 1m; whole seconds."`
	StatusCallback string   `yaml:"status_callback" doc:"Public URL at which the API can reach callback_listen: calls then report their status by callback and polling only backs it up. Needs callback_listen."`
	CallbackListen string   `yaml:"callback_listen" doc:"host:port callplan listens on for status callbacks during a run (behind status_callback, e.g. a tunnel). Needs status_callback."`

	Pos    Pos       `yaml:"-"`
	Fields Positions `yaml:"-"`
}

// HasCloudNode reports whether any node of the plan is a cloud node.
func (p *Plan) HasCloudNode() bool {
	for _, n := range p.Nodes {
		if n.Cloud {
			return true
		}
	}
	return false
}

func (c *CloudAPI) setDefaults() {
	c.BaseURL = DefaultCloudBaseURL
	c.AccountSIDEnv = "TWILIO_ACCOUNT_SID"
	c.AuthTokenEnv = "TWILIO_AUTH_TOKEN"
	c.APIKeyEnv = "TWILIO_API_KEY"
	c.APISecretEnv = "TWILIO_API_SECRET"
	c.PollRate = DefaultPollRate
	c.PollInterval = Duration(DefaultPollInterval)
}

// resolveCloud fills what a cloud node's URI implies: a name, and the
// caller role (a REST API cannot receive the calls it places).
func resolveCloud(n *Node) {
	if n.Name == "" {
		n.Name = DefaultCloudName
	}
	if _, set := n.Fields["role"]; !set {
		n.Role = RoleCaller
	}
}

// checkCloudNode validates one cloud node's own fields.
func (d *decoder) checkCloudNode(n *Node, path string) {
	c := &n.Twilio
	cp := path + ".twilio"
	at := func(key string) Pos { return c.Fields.Get(key, n.Fields.Get("twilio", n.Pos)) }
	if _, ok := n.Fields["twilio"]; !ok {
		d.errAt(n.Pos, cp, "a twilio:// node needs a twilio: block with at least from, to and twiml or twiml_url (see docs/cloud.md)")
		return
	}
	if n.Role != RoleCaller {
		d.errAt(n.Fields.Get("role", n.Pos), path+".role", "a cloud node only places calls: role must be caller, got %s", n.Role)
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		// Never echo the URL: user info in it would be a secret.
		d.errAt(at("base_url"), cp+".base_url", "want http(s)://host[/path] with no user info, query or fragment (credentials come from the environment)")
	}
	for _, f := range []struct{ key, val string }{
		{"account_sid_env", c.AccountSIDEnv}, {"auth_token_env", c.AuthTokenEnv},
		{"api_key_env", c.APIKeyEnv}, {"api_secret_env", c.APISecretEnv},
	} {
		if !envNamePattern.MatchString(f.val) {
			d.errAt(at(f.key), cp+"."+f.key, "%q is not an environment variable name (letters, digits, '_'); write the variable's name, not its value", f.val)
		}
	}
	switch {
	case strings.TrimSpace(c.From) == "":
		d.errAt(at("from"), cp+".from", "required: the caller ID, a number of the account (e.g. +15005550006)")
	case badText(c.From) || strings.ContainsAny(c.From, " \t"):
		d.errAt(at("from"), cp+".from", "must not contain blanks or line breaks")
	}
	switch to := c.To.Expand(func(string) string { return "x" }); {
	case strings.TrimSpace(c.To.Text) == "":
		d.errAt(at("to"), cp+".to", "required: the number (or sip:/client: address) to call")
	case badText(to) || strings.ContainsAny(to, " \t"):
		d.errAt(at("to"), cp+".to", "must not contain blanks or line breaks")
	}
	for _, name := range []string{"node.host", "node.port", "node.sip_host", "node.sip_port"} {
		if c.To.Uses(name) {
			d.errAt(at("to"), cp+".to", "{{%s}} means nothing on a cloud node (it has no ESL or SIP address)", name)
		}
	}
	if c.TwimlURL != "" && c.Twiml != "" {
		d.errAt(at("twiml"), cp+".twiml", "give twiml or twiml_url, not both")
	}
	if c.TwimlURL != "" {
		if u, err := url.Parse(c.TwimlURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			d.errAt(at("twiml_url"), cp+".twiml_url", "want an http(s) URL the API can fetch, got %q", c.TwimlURL)
		}
	}
	d.checkTwiml(c.Twiml, at("twiml"), cp+".twiml")
	if (c.StatusCallback == "") != (c.CallbackListen == "") {
		d.errAt(at("status_callback"), cp+".status_callback", "give status_callback (the public URL) and callback_listen (where callplan listens) together, or neither (then status is polled)")
	}
	if c.StatusCallback != "" {
		if u, err := url.Parse(c.StatusCallback); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			d.errAt(at("status_callback"), cp+".status_callback", "want an http(s) URL the API can reach, without user info")
		}
	}
	if c.CallbackListen != "" {
		if _, port, err := net.SplitHostPort(c.CallbackListen); err != nil || port == "" {
			d.errAt(at("callback_listen"), cp+".callback_listen", "want host:port (e.g. :8080 or 127.0.0.1:8080), got %q", c.CallbackListen)
		}
	}
	if c.CPS < 0 {
		d.errAt(at("cps"), cp+".cps", "must be >= 0 (0 means no cap beyond the stage rate), got %g", c.CPS)
	}
	if c.PollRate <= 0 {
		d.errAt(at("poll_rate"), cp+".poll_rate", "must be > 0 requests per second, got %g", c.PollRate)
	}
	if c.PollInterval.D() < 100*time.Millisecond {
		d.errAt(at("poll_interval"), cp+".poll_interval", "must be >= 100ms, got %s", c.PollInterval)
	}
	if t := c.TimeLimit.D(); t < 0 || t%time.Second != 0 {
		d.errAt(at("time_limit"), cp+".time_limit", "must be a whole number of seconds (the API's TimeLimit is in seconds), got %s", c.TimeLimit)
	}
}

// checkTwiml checks inline TwiML, wherever it is written.
func (d *decoder) checkTwiml(twiml string, pos Pos, path string) {
	switch {
	case twiml == "":
	case len(twiml) > maxInlineTwiml:
		d.errAt(pos, path, "inline TwiML is %d characters; the API takes at most %d (host it and use a URL)", len(twiml), maxInlineTwiml)
	case !strings.HasPrefix(strings.TrimSpace(twiml), "<"):
		d.errAt(pos, path, "want TwiML, e.g. <Response><Pause length=\"60\"/></Response>")
	}
}

// checkCloudPlan validates what a cloud node asks of the whole plan: a cap
// on calls (each one is billed), only the twiml flow, no mixing with ESL
// nodes, stages within the cps cap, and a default TimeLimit.
func (d *decoder) checkCloudPlan(p *Plan) {
	first := -1
	cps, capped := 0.0, true
	esl := false
	for i, n := range p.Nodes {
		if !n.Cloud {
			esl = true
			continue
		}
		if first < 0 {
			first = i
		}
		cps += n.Twilio.CPS
		capped = capped && n.Twilio.CPS > 0
	}
	if first < 0 {
		for i, f := range p.Flows {
			if f.Use == CloudFlow {
				d.errAt(f.Fields.Get("use", f.Pos), indexPath("flows", i)+".use", "flow %s places calls through a cloud API and runs only on twilio:// nodes", CloudFlow)
			}
		}
		return
	}
	node := p.Nodes[first]
	nodePos := node.Fields.Get("uri", node.Pos)
	if esl {
		d.errAt(p.Fields.Get("nodes", p.Pos), "nodes", "cloud (twilio://) and ESL nodes cannot share a plan: the twiml flow runs only on cloud nodes and every other flow needs leg control; write two plans")
	}
	if p.MaxCalls <= 0 {
		d.errAt(p.Fields.Get("max_calls", nodePos), "max_calls", "required (> 0) with a cloud node (%s is %s): every call is billed, so say how many this run may create", indexPath("nodes", first), CloudScheme)
	}
	for i, f := range p.Flows {
		path := indexPath("flows", i)
		if f.Use != CloudFlow && f.Use != "" {
			d.errAt(f.Fields.Get("use", f.Pos), path+".use", "flow %s needs leg control (answering, media, DTMF or signalling on the legs), which a cloud API does not give; cloud nodes run the %s flow", f.Use, CloudFlow)
			continue
		}
		twiml, url := f.With["twiml"], f.With["url"]
		if twiml.Value != "" {
			d.checkTwiml(twiml.Value, twiml.Pos, path+".with.twiml")
		}
		if twiml.Value != "" || url.Value != "" {
			continue
		}
		for j, n := range p.Nodes {
			if _, block := n.Fields["twilio"]; block && n.Cloud && n.Twilio.Twiml == "" && n.Twilio.TwimlURL == "" {
				d.errAt(n.Fields.Get("twilio", n.Pos), indexPath("nodes", j)+".twilio", "no TwiML for flow %s: give twiml or twiml_url here, or twiml or url in the flow's with", f.Name)
			}
		}
	}
	for key := range p.Originate.Fields {
		if key != "timeout" {
			d.errAt(p.Originate.Fields[key], "originate."+key, "does not apply to cloud nodes (only originate.timeout does: how long the API lets a call ring)")
		}
	}
	var longest time.Duration
	for i, s := range p.Stages {
		longest = max(longest, s.Hold.Value.D())
		if capped && s.Rate.Peak() > cps {
			d.errAt(s.Fields.Get("rate", s.Pos), indexPath("stages", i)+".rate", "peaks at %g calls per second, over the cloud nodes' cps cap of %g", s.Rate.Peak(), cps)
		}
	}
	for i := range p.Nodes {
		c := &p.Nodes[i].Twilio
		if p.Nodes[i].Cloud && c.TimeLimit == 0 {
			// The API's own default is four hours: a crashed run would
			// leave every call up (and billed) that long.
			limit := longest + cloudTimeLimitMargin
			if r := limit % time.Second; r != 0 {
				limit += time.Second - r
			}
			c.TimeLimit = Duration(limit)
		}
	}
}

// CloudCall is what the plan says about one call on a cloud node, free of
// the API's wire format: the runner's cloud driver and `callplan render`
// turn it into a create request.
type CloudCall struct {
	To       string
	From     string
	Twiml    string // inline TwiML, or
	TwimlURL string // where the API fetches it
	// Timeout is how long the API lets the call ring (originate.timeout);
	// TimeLimit the longest it may last. Whole seconds.
	Timeout   time.Duration
	TimeLimit time.Duration
}

// CloudCallFor builds call c on cloud node n for flow f.
func (p *Plan) CloudCallFor(n Node, f Flow, c Call) CloudCall {
	twiml, u := CloudTwiml(n, f)
	return CloudCall{
		To:        n.Twilio.To.ExpandFor(n, c),
		From:      n.Twilio.From,
		Twiml:     twiml,
		TwimlURL:  u,
		Timeout:   p.Originate.Timeout.D(),
		TimeLimit: n.Twilio.TimeLimit.D(),
	}
}

// CloudTwiml is the TwiML source of flow f on cloud node n: the flow's own
// twiml or url, else the node's. Exactly one of the two is non-empty in a
// valid plan.
func CloudTwiml(n Node, f Flow) (twiml, twimlURL string) {
	if v := f.With["twiml"].Value; v != "" {
		return v, ""
	}
	if v := f.With["url"].Value; v != "" {
		return "", v
	}
	return n.Twilio.Twiml, n.Twilio.TwimlURL
}

// cloudOriginate keeps only timeout in a cloud plan's encoded originate
// mapping: the rest is SIP and ESL, which a cloud node does not use (and
// which its validation refuses).
func cloudOriginate(plan *yaml.Node) {
	for i := 0; i+1 < len(plan.Content); i += 2 {
		if plan.Content[i].Value != "originate" {
			continue
		}
		o := plan.Content[i+1]
		kept := o.Content[:0]
		for j := 0; j+1 < len(o.Content); j += 2 {
			if o.Content[j].Value == "timeout" {
				kept = append(kept, o.Content[j], o.Content[j+1])
			}
		}
		o.Content = kept
	}
}
