package agent

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/callplan/callplan/internal/hangup"
)

// This file holds the API commands about the whole node: hupall, show,
// status, fsctl, version, module_exists, global_getvar, eval, sofia
// (reference 4.3), with FreeSWITCH's reply texts.

// apiHupall: hupall [cause] [<var> <value>]... (4.3).
func apiHupall(a *Agent, args string) string {
	argv := strings.Fields(args)
	cause := hangup.ManagerRequest
	if len(argv) > 0 {
		cause = causeOr(argv[0], hangup.NormalClearing)
	}
	var match []header
	for i := 1; i+1 < len(argv); i += 2 {
		match = append(match, header{argv[i], argv[i+1]})
	}
	var hit []*channel
	for _, c := range a.allChannels() {
		ok := true
		for _, m := range match {
			if v, _ := c.getVar(m.Name); v != m.Value {
				ok = false
				break
			}
		}
		if ok {
			hit = append(hit, c)
		}
	}
	// Mark every leg before any BYE goes out, so both legs of a loop call
	// end as hung up here (send_bye), as FreeSWITCH's hupall does (05, 11).
	h := hangupInfo{cause: cause, sendSignal: true}
	for _, c := range hit {
		c.markPending(h)
	}
	for _, c := range hit {
		c.postHangup(h)
	}
	if len(match) > 0 {
		return fmt.Sprintf("+OK hangup all channels matching [%s]=[%s] with cause: %s\n", match[0].Name, match[0].Value, cause)
	}
	return "+OK hangup all channels with cause " + cause.String() + "\n"
}

// apiShow: show channels [count] [as json] / show calls [count].
func apiShow(a *Agent, args string) string {
	argv := strings.Fields(strings.ToLower(args))
	if len(argv) == 0 {
		return "-USAGE: channels|calls [count] [as json]\n"
	}
	switch argv[0] {
	case "channels", "calls":
	default:
		return "-ERR show " + argv[0] + " not supported\n"
	}
	chans := a.allChannels()
	sort.Slice(chans, func(i, j int) bool { return chans[i].created.Before(chans[j].created) })
	if len(argv) > 1 && argv[1] == "count" {
		return fmt.Sprintf("\n%d total.\n", len(chans))
	}
	asJSON := len(argv) > 2 && argv[len(argv)-2] == "as" && argv[len(argv)-1] == "json"
	if asJSON {
		if len(chans) == 0 {
			return `{"row_count": 0}`
		}
		var b strings.Builder
		fmt.Fprintf(&b, `{"row_count":%d,"rows":[`, len(chans))
		for i, c := range chans {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('{')
			for j, v := range c.showRow(a.id.hostname) {
				if j > 0 {
					b.WriteByte(',')
				}
				k, _ := json.Marshal(showChannelsColumns[j])
				val, _ := json.Marshal(v)
				b.Write(k)
				b.WriteByte(':')
				b.Write(val)
			}
			b.WriteByte('}')
		}
		b.WriteString("]}")
		return b.String()
	}
	var b strings.Builder
	b.WriteString(strings.Join(showChannelsColumns, ","))
	b.WriteByte('\n')
	for _, c := range chans {
		b.WriteString(strings.Join(c.showRow(a.id.hostname), ","))
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "\n%d total.\n", len(chans))
	return b.String()
}

// apiStatus prints the 8 lines of `status` (captured: 10a).
func apiStatus(a *Agent, _ string) string {
	f := a.figures(0)
	var b strings.Builder
	fmt.Fprintf(&b, "UP %s\n", upTime(f.uptime))
	b.WriteString("FreeSWITCH (Version 1.10.12-release  64bit) is ready\n")
	fmt.Fprintf(&b, "%d session(s) since startup\n", f.sinceStartup)
	fmt.Fprintf(&b, "%d session(s) - peak %d, last 5min %d \n", f.count, f.peak, f.peakFiveMin)
	fmt.Fprintf(&b, "%d session(s) per Sec out of max %d, peak %d, last 5min %d \n", f.spsLast, f.spsLimit, f.spsMax, f.spsFiveMin)
	fmt.Fprintf(&b, "%d session(s) max\n", f.max)
	idle := a.idleCPU() // first: it may lower the minimum
	fmt.Fprintf(&b, "min idle cpu %.2f/%.2f\n", a.cpu.min(), idle)
	b.WriteString("Current Stack Size/Max 240K/8192K\n")
	return b.String()
}

// apiFsctl: fsctl max_sessions|sps [n] (set and query alike).
func apiFsctl(a *Agent, args string) string {
	argv := strings.Fields(args)
	if len(argv) == 0 {
		return "-ERR Invalid command\n"
	}
	switch strings.ToLower(argv[0]) {
	case "max_sessions":
		a.mu.Lock()
		defer a.mu.Unlock()
		if len(argv) > 1 {
			if n, err := strconv.Atoi(argv[1]); err == nil && n >= 0 {
				a.stats.maxSessions = n
			}
		}
		return fmt.Sprintf("+OK max sessions: %d\n", a.stats.maxSessions)
	case "sps":
		a.mu.Lock()
		defer a.mu.Unlock()
		if len(argv) > 1 {
			if n, err := strconv.Atoi(argv[1]); err == nil && n >= 0 {
				a.stats.spsLimit = n
				a.stats.spsLeft = n
			}
		}
		return fmt.Sprintf("+OK sessions per second: %d\n", a.stats.spsLimit)
	case "verbose_events":
		return "+OK verbose_events is on \n"
	case "loglevel":
		level := "DEBUG"
		if len(argv) > 1 {
			level = strings.ToUpper(argv[1])
		}
		return "+OK log level: " + level + " [7]\n"
	}
	return "-ERR Invalid command\n"
}

func apiVersion(_ *Agent, args string) string {
	if strings.TrimSpace(args) == "short" {
		return "1.10.12\n"
	}
	return "FreeSWITCH Version " + fsVersion + " ( 64bit)\n"
}

func apiModuleExists(_ *Agent, args string) string {
	switch strings.TrimSpace(args) {
	case "mod_sofia", "mod_commands", "mod_dptools", "mod_event_socket":
		return "true"
	}
	return "false"
}

func apiGlobalGetvar(a *Agent, args string) string {
	switch strings.TrimSpace(args) {
	case "hostname":
		return a.id.hostname
	case "local_ip_v4":
		return a.sipHost()
	case "core_uuid":
		return a.id.coreUUID
	}
	return ""
}

// globalVarRE matches $${name} and ${name}.
var globalVarRE = regexp.MustCompile(`\$\$?\{([^}]*)\}`)

// apiEval expands global variables in its argument (eval $${local_ip_v4}).
func apiEval(a *Agent, args string) string {
	return globalVarRE.ReplaceAllStringFunc(args, func(m string) string {
		return apiGlobalGetvar(a, globalVarRE.FindStringSubmatch(m)[1])
	})
}

// apiSofia: sofia status [profile <name>].
func apiSofia(a *Agent, args string) string {
	argv := strings.Fields(args)
	if len(argv) == 0 || argv[0] != "status" {
		return "-ERR Usage: sofia status [profile <name>]\n"
	}
	line := strings.Repeat("=", 97) + "\n"
	sip := a.sipAddrOrDefault()
	host := a.sipHost()
	a.mu.Lock()
	n := len(a.channels)
	a.mu.Unlock()
	if len(argv) >= 3 && argv[1] == "profile" {
		if argv[2] != "external" {
			return "Invalid Profile!\n"
		}
		in, failedIn, out, failedOut := a.sofiaCounters()
		rows := [][2]string{
			{"Name", "external"}, {"Domain Name", "N/A"}, {"Auto-NAT", "false"},
			{"DBName", "sofia_reg_external"}, {"Pres Hosts", ""}, {"Dialplan", "XML"},
			{"Context", "public"}, {"Challenge Realm", "auto_to"}, {"RTP-IP", host},
			{"Ext-RTP-IP", host}, {"SIP-IP", host}, {"Ext-SIP-IP", host},
			{"URL", "sip:mod_sofia@" + sip},
			{"BIND-URL", "sip:mod_sofia@" + sip + ";maddr=" + host + ";transport=udp,tcp"},
			{"HOLD-MUSIC", "local_stream://moh"}, {"OUTBOUND-PROXY", "N/A"},
			{"CODECS IN", "PCMU,PCMA"}, {"CODECS OUT", "PCMU,PCMA"}, {"TEL-EVENT", "101"},
			{"DTMF-MODE", "rfc2833"}, {"CNG", "13"}, {"SESSION-TO", "0"}, {"MAX-DIALOG", "0"},
			{"MAX-RECV-RPS", "1000"}, {"NOMEDIA", "false"}, {"LATE-NEG", "true"},
			{"PROXY-MEDIA", "false"}, {"AGGRESSIVENAT", "false"},
			{"CALLS-IN", strconv.FormatUint(in, 10)}, {"FAILED-CALLS-IN", strconv.FormatUint(failedIn, 10)},
			{"CALLS-OUT", strconv.FormatUint(out, 10)}, {"FAILED-CALLS-OUT", strconv.FormatUint(failedOut, 10)},
			{"REGISTRATIONS", "0"},
		}
		var b strings.Builder
		b.WriteString(line)
		for _, r := range rows {
			fmt.Fprintf(&b, "%-17s\t%s\n", r[0], r[1])
		}
		return b.String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%25s\t%s\t%32s\t%s\n", "Name", "   Type", "Data", "State")
	b.WriteString(line)
	fmt.Fprintf(&b, "%25s\t%s\t%32s\t%s\n", "external", "profile", "sip:mod_sofia@"+sip, fmt.Sprintf("RUNNING (%d)", n))
	b.WriteString(line)
	b.WriteString("1 profile 0 aliases\n")
	return b.String()
}
