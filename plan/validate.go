package plan

import (
	"fmt"
	"maps"
	"slices"

	"regexp"
	"strings"
	"time"
)

var (
	namePattern     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	nodeNamePattern = regexp.MustCompile(`^[A-Za-z0-9\[][A-Za-z0-9._:\[\]-]*$`)
	tokenPattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	codecPattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]*$`)
	varPattern      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)
	headerPattern   = regexp.MustCompile(`^X-[A-Za-z0-9][A-Za-z0-9_-]*$`)
	appPattern      = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)(?:\((.*)\))?$`)
	proxyPattern    = regexp.MustCompile(`^(?:sip:)?([A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$`)
	reservedPrefix  = "X-callplan-"
)

// reservedVar says why a channel variable may not be set through
// originate.vars: callplan sets these itself, or through their own fields.
func reservedVar(name string) (string, bool) {
	switch name {
	case "origination_uuid":
		return "set by callplan for every call", true
	case "origination_caller_id_name":
		return "use originate.caller_id_name", true
	case "origination_caller_id_number":
		return "use originate.caller_id_number", true
	case "originate_timeout":
		return "use originate.timeout", true
	case "ignore_early_media":
		return "use originate.ignore_early_media", true
	case "absolute_codec_string":
		return "use originate.codecs", true
	}
	return "", false
}

// errAt reports a semantic problem unless decoding already failed at path
// (the value is then a zero, and a second message would only be noise).
func (d *decoder) errAt(pos Pos, path, format string, args ...any) {
	if d.failedWithin(path) {
		return
	}
	if p, ok := d.valuePos[path]; ok {
		pos = p
	}
	d.errs.Add(pos, path, format, args...)
}

// failedWithin reports whether decoding failed at path or at a list entry
// or field that contains it (an entry that was empty or not a mapping).
func (d *decoder) failedWithin(path string) bool {
	for i := len(path); i > 0; i-- {
		if i == len(path) || path[i] == '.' || path[i] == '[' {
			if d.failed[path[:i]] {
				return true
			}
		}
	}
	return false
}

// badText reports whether s contains characters that could break out of an
// ESL command line.
func badText(s string) bool { return strings.ContainsAny(s, "\r\n\x00") }

// check validates the decoded plan and fills in derived defaults.
func (d *decoder) check(p *Plan) {
	if p.Name == "" {
		p.Name = defaultName(d.file)
	}
	if !namePattern.MatchString(p.Name) {
		d.errAt(p.Fields.Get("name", p.Pos), "name", "%q: use letters, digits, '.', '_' and '-' (it names result directories)", p.Name)
	}
	if p.MaxCalls < 0 {
		d.errAt(p.Fields.Get("max_calls", p.Pos), "max_calls", "must be >= 0 (0 means no cap), got %d", p.MaxCalls)
	}
	d.checkNodes(p)
	d.checkOriginate(p)
	d.checkFlows(p)
	d.checkStages(p)
	d.checkFaults(p)
	d.checkAssertions(p)
	d.checkReport(p)
	d.checkCloudPlan(p)
	d.checkSearch(p)
}

func (d *decoder) checkNodes(p *Plan) {
	if len(p.Nodes) == 0 && !d.failed["nodes"] {
		p.Nodes = defaultNodes()
		resolveNode(&p.Nodes[0], nodeURI{embedded: true})
		return
	}
	names := map[string]string{}
	callers, callees, clouds, broken := 0, 0, 0, false
	for i := range p.Nodes {
		n := &p.Nodes[i]
		path := indexPath("nodes", i)
		uriPath := path
		if _, ok := n.Fields["uri"]; ok && n.Pos != n.Fields["uri"] {
			uriPath = path + ".uri"
		}
		u, err := parseNodeURI(n.URI)
		if err != nil || d.failedWithin(uriPath) || d.failedWithin(path+".role") {
			broken = true
		}
		if err != nil {
			if !d.failed[uriPath] && !d.failed[path+".uri"] {
				d.errAt(n.Fields.Get("uri", n.Pos), uriPath, "%v", err)
			}
			continue
		}
		resolveNode(n, u)
		if n.Cloud {
			clouds++
			d.checkCloudNode(n, path)
		} else if _, set := n.Fields["twilio"]; set {
			d.errAt(n.Fields["twilio"], path+".twilio", "only twilio:// nodes take a twilio: block")
		}
		d.checkImpair(n, path)
		if n.MaxSessions < 0 {
			d.errAt(n.Fields.Get("max_sessions", n.Pos), path+".max_sessions", "must be >= 0 (0 means the node's own limit), got %d", n.MaxSessions)
		}
		if n.Weight < 1 {
			d.errAt(n.Fields.Get("weight", n.Pos), path+".weight", "must be >= 1, got %d", n.Weight)
		}
		if n.SIPPort < 0 || n.SIPPort > 65535 || (n.SIPPort == 0 && !n.Embedded && !n.Cloud) {
			d.errAt(n.Fields.Get("sip_port", n.Pos), path+".sip_port", "must be 1-65535, got %d", n.SIPPort)
		}
		if n.SIPHost != "" && !validHost(strings.Trim(n.SIPHost, "[]")) {
			d.errAt(n.Fields.Get("sip_host", n.Pos), path+".sip_host", "invalid host %q", n.SIPHost)
		}
		if !nodeNamePattern.MatchString(n.Name) {
			d.errAt(n.Fields.Get("name", n.Pos), path+".name", "%q: use letters, digits, '.', ':', '_' and '-'", n.Name)
		}
		if prev, dup := names[n.Name]; dup {
			d.errAt(n.Fields.Get("name", n.Pos), path+".name", "duplicate node name %q (also %s); give each node a distinct name", n.Name, prev)
		}
		names[n.Name] = path
		if n.CanCall() {
			callers++
		}
		if n.CanReceive() {
			callees++
		}
	}
	if broken {
		return // the roles of the broken nodes are unknown
	}
	if len(names) > 0 && callers == 0 {
		d.errAt(p.Fields.Get("nodes", p.Pos), "nodes", "no node can originate calls (every node has role: callee)")
	}
	if len(names) > 0 && callees == 0 && clouds < len(names) {
		d.errAt(p.Fields.Get("nodes", p.Pos), "nodes", "no node can receive calls (every node has role: caller)")
	}
}

func (d *decoder) checkOriginate(p *Plan) {
	o := &p.Originate
	at := func(key string) Pos { return o.Fields.Get(key, p.Fields.Get("originate", p.Pos)) }
	if strings.TrimSpace(o.Destination.Text) == "" {
		d.errAt(at("destination"), "originate.destination", "must not be empty")
	} else if strings.ContainsAny(o.Destination.Expand(func(string) string { return "x" }), " \t\r\n\x00") {
		d.errAt(at("destination"), "originate.destination", "must not contain spaces or line breaks")
	}
	if o.Gateway == "" && !tokenPattern.MatchString(o.Profile) {
		d.errAt(at("profile"), "originate.profile", "%q is not a SIP profile name (letters, digits, '.', '_', '-')", o.Profile)
	}
	if o.Proxy != "" {
		if !proxyPattern.MatchString(o.Proxy) {
			d.errAt(at("proxy"), "originate.proxy", "%q: want host[:port]", o.Proxy)
		}
		if o.Gateway != "" {
			d.errAt(at("proxy"), "originate.proxy", "proxy and gateway exclude each other (a gateway has its own proxy)")
		}
	}
	if o.Gateway != "" && !tokenPattern.MatchString(o.Gateway) {
		d.errAt(at("gateway"), "originate.gateway", "%q is not a gateway name (letters, digits, '.', '_', '-')", o.Gateway)
	}
	for _, f := range []struct{ key, val string }{{"caller_id_name", o.CallerIDName}, {"caller_id_number", o.CallerIDNumber}} {
		if badText(f.val) {
			d.errAt(at(f.key), "originate."+f.key, "must not contain line breaks")
		}
	}
	seen := map[string]bool{}
	for i, c := range o.Codecs {
		path := indexPath("originate.codecs", i)
		if !codecPattern.MatchString(c) {
			d.errAt(at("codecs"), path, "%q is not a codec name (e.g. PCMU, PCMA, opus@48000h@20i)", c)
		}
		if seen[strings.ToUpper(c)] {
			d.errAt(at("codecs"), path, "duplicate codec %q", c)
		}
		seen[strings.ToUpper(c)] = true
	}
	if t := o.Timeout.D(); t < time.Second || t%time.Second != 0 {
		d.errAt(at("timeout"), "originate.timeout", "must be a whole number of seconds >= 1s (originate_timeout is in seconds), got %s", o.Timeout)
	}
	for _, name := range slices.Sorted(maps.Keys(o.Vars)) {
		path := "originate.vars." + name
		switch why, reserved := reservedVar(name); {
		case reserved:
			d.errAt(at("vars"), path, "variable %s is reserved: %s", name, why)
		case strings.HasPrefix(name, "sip_h_"):
			d.errAt(at("vars"), path, "set SIP headers with originate.headers, not sip_h_ variables")
		case strings.HasPrefix(strings.ToLower(name), "callplan_"):
			d.errAt(at("vars"), path, "variables starting with callplan_ are reserved for callplan")
		case !varPattern.MatchString(name):
			d.errAt(at("vars"), path, "%q is not a channel variable name (letters, digits, '_', '.', '-')", name)
		}
		if badText(o.Vars[name]) {
			d.errAt(at("vars"), path, "value must not contain line breaks")
		}
	}
	lower := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(o.Headers)) {
		path := "originate.headers." + name
		switch {
		case !headerPattern.MatchString(name):
			d.errAt(at("headers"), path, "%q: header names must start with X- and use letters, digits, '-' and '_'", name)
		case strings.HasPrefix(strings.ToLower(name), strings.ToLower(reservedPrefix)):
			d.errAt(at("headers"), path, "headers starting with %s are reserved for callplan's call tracking", reservedPrefix)
		}
		if prev, dup := lower[strings.ToLower(name)]; dup {
			d.errAt(at("headers"), path, "same header as %s (SIP header names are case-insensitive)", prev)
		}
		lower[strings.ToLower(name)] = name
		if badText(o.Headers[name]) {
			d.errAt(at("headers"), path, "value must not contain line breaks")
		}
	}
	if m := appPattern.FindStringSubmatch(o.App); m == nil {
		d.errAt(at("app"), "originate.app", "%q: want NAME or NAME(ARG), e.g. park", o.App)
	} else if strings.ContainsAny(m[2], "()") || badText(m[2]) {
		d.errAt(at("app"), "originate.app", "the argument must not contain '(', ')' or line breaks (FreeSWITCH cuts &app(arg) at the first ')')")
	}
}

func (d *decoder) checkFlows(p *Plan) {
	if len(p.Flows) == 0 && !d.failed["flows"] {
		p.Flows = defaultFlows(p.HasCloudNode())
		p.Flows[0].Name = p.Flows[0].Use
		return
	}
	names := map[string]string{}
	for i := range p.Flows {
		f := &p.Flows[i]
		path := indexPath("flows", i)
		if f.Name == "" {
			f.Name = f.Use
		}
		if f.Weight < 1 {
			d.errAt(f.Fields.Get("weight", f.Pos), path+".weight", "must be >= 1, got %d", f.Weight)
		}
		if f.Name == "" {
			continue
		}
		namePath := path + ".name"
		if _, ok := f.Fields["name"]; !ok {
			namePath = path + ".use"
		}
		if !namePattern.MatchString(f.Name) {
			d.errAt(f.Fields.Get("name", f.Fields.Get("use", f.Pos)), namePath, "%q: use letters, digits, '.', '_' and '-'", f.Name)
		}
		if prev, dup := names[f.Name]; dup {
			d.errAt(f.Fields.Get("name", f.Fields.Get("use", f.Pos)), namePath, "duplicate flow name %q (also %s); give one a distinct name", f.Name, prev)
		}
		names[f.Name] = path
	}
}

func (d *decoder) checkStages(p *Plan) {
	if _, ok := p.Fields["stages"]; ok && len(p.Stages) == 0 {
		d.errAt(p.Fields["stages"], "stages", "at least one stage is needed")
	}
	names := map[string]string{}
	for i := range p.Stages {
		s := &p.Stages[i]
		path := indexPath("stages", i)
		at := func(key string) Pos { return s.Fields.Get(key, s.Pos) }
		if s.Name == "" {
			s.Name = defaultStageName(i)
		}
		if !namePattern.MatchString(s.Name) {
			d.errAt(at("name"), path+".name", "%q: use letters, digits, '.', '_' and '-'", s.Name)
		}
		if prev, dup := names[s.Name]; dup {
			d.errAt(at("name"), path+".name", "duplicate stage name %q (also %s)", s.Name, prev)
		}
		names[s.Name] = path
		if _, ok := s.Fields["duration"]; ok && s.Duration <= 0 {
			d.errAt(at("duration"), path+".duration", "must be > 0, got %s", s.Duration)
		}
		if s.MaxCalls < 0 {
			d.errAt(at("max_calls"), path+".max_calls", "must be >= 0 (0 means no cap), got %d", s.MaxCalls)
		}
		_, rateSet := s.Fields["rate"]
		rateOK := rateSet && !d.failed[path+".rate"] && !d.failed[path+".rate.from"] && !d.failed[path+".rate.to"]
		if rateOK {
			switch {
			case s.Rate.From < 0 || s.Rate.To < 0:
				d.errAt(at("rate"), path+".rate", "must be >= 0 calls per second, got %s", formatRate(s.Rate))
				rateOK = false
			case s.Rate.Peak() <= 0:
				d.errAt(at("rate"), path+".rate", "must be > 0 calls per second somewhere in the stage")
				rateOK = false
			}
		}
		_, limitSet := s.Fields["limit"]
		_, holdSet := s.Fields["hold"]
		if limitSet && s.Limit < 1 {
			d.errAt(at("limit"), path+".limit", "must be >= 1, got %d", s.Limit)
			continue
		}
		if holdSet && !s.Hold.Auto && s.Hold.Value <= 0 {
			d.errAt(at("hold"), path+".hold", "must be > 0 or auto, got %s", s.Hold.Value)
			continue
		}
		if d.failed[path+".limit"] || d.failed[path+".hold"] || !rateOK {
			continue
		}
		switch {
		case !limitSet && (!holdSet || s.Hold.Auto):
			d.errAt(s.Pos, path, "give limit or hold (or both): hold defaults to limit / rate, limit to 3 x rate x hold")
		case !holdSet || s.Hold.Auto:
			s.Hold = Hold{Auto: true, Value: autoHold(s.Limit, s.Rate.Peak())}
			if s.Hold.Value <= 0 {
				d.errAt(at("limit"), path+".limit", "limit / rate gives a hold under 1ms; raise limit or give hold")
			}
		case !limitSet:
			s.Limit = defaultLimit(s.Rate.Peak(), s.Hold.Value)
		}
	}
}

func formatRate(r Rate) string {
	if r.Ramp {
		return fmt.Sprintf("{from: %g, to: %g}", r.From, r.To)
	}
	return fmt.Sprintf("%g", r.From)
}

func (d *decoder) checkAssertions(p *Plan) {
	stages, flows, nodes := make([]string, 0, len(p.Stages)), make([]string, 0, len(p.Flows)), make([]string, 0, len(p.Nodes))
	for _, s := range p.Stages {
		stages = appendNew(stages, s.Name)
	}
	for _, f := range p.Flows {
		flows = appendNew(flows, f.Name)
	}
	for _, n := range p.Nodes {
		nodes = appendNew(nodes, n.Name)
	}
	names := map[string]string{}
	for i := range p.Assertions {
		a := &p.Assertions[i]
		path := indexPath("assertions", i)
		at := func(key string) Pos { return a.Fields.Get(key, a.Pos) }
		if _, ok := a.Fields["expr"]; ok && strings.TrimSpace(a.Expr) == "" {
			d.errAt(at("expr"), path+".expr", "must not be empty")
		}
		if a.Name == "" {
			a.Name = strings.Join(strings.Fields(a.Expr), " ")
		}
		if prev, dup := names[a.Name]; dup && a.Name != "" {
			d.errAt(at("name"), path+".name", "duplicate assertion name %q (also %s)", a.Name, prev)
		}
		names[a.Name] = path
		for _, ref := range []struct {
			key, val, what string
			known          []string
		}{{"stage", a.Stage, "stage", stages}, {"flow", a.Flow, "flow", flows}, {"node", a.Node, "node", nodes}} {
			if ref.val != "" && !contains(ref.known, ref.val) {
				d.errAt(at(ref.key), path+"."+ref.key, "no %s named %q%s (known: %s)", ref.what, ref.val, didYouMean(ref.val, ref.known), strings.Join(ref.known, ", "))
			}
		}
		if a.Window < 0 {
			d.errAt(at("window"), path+".window", "must be >= 0 (0 means the whole run), got %s", a.Window)
		}
		if a.AbortDelay < 0 {
			d.errAt(at("abort_delay"), path+".abort_delay", "must be >= 0, got %s", a.AbortDelay)
		}
		if a.AbortDelay > 0 && !a.Abort {
			d.errAt(at("abort_delay"), path+".abort_delay", "only meaningful with abort: true")
		}
	}
}

func (d *decoder) checkReport(p *Plan) {
	r := &p.Report
	seen := map[ReportFormat]bool{}
	for i, f := range r.Formats {
		if seen[f] {
			d.errAt(r.Fields.Get("formats", r.Pos), indexPath("report.formats", i), "duplicate format %q", f)
		}
		seen[f] = true
	}
	if strings.TrimSpace(r.Dir) == "" {
		d.errAt(r.Fields.Get("dir", r.Pos), "report.dir", "must not be empty")
	}
	if r.Tolerance < 0 {
		d.errAt(r.Fields.Get("tolerance", r.Pos), "report.tolerance", "must be >= 0 (a relative change: 0.1 = 10%%), got %g", r.Tolerance)
	}
}

// TotalDuration is the sum of the stages' durations.
func (p *Plan) TotalDuration() time.Duration {
	var t time.Duration
	for _, s := range p.Stages {
		t += s.Duration.D()
	}
	return t
}

func appendNew(list []string, s string) []string {
	if s == "" || contains(list, s) {
		return list
	}
	return append(list, s)
}
