package plan

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// ESL connection defaults, as FreeSWITCH ships them.
const (
	DefaultESLPort     = 8021
	DefaultESLPassword = "ClueCon"
	// Embedded is the node URI (and name) of the in-process agent.
	Embedded = "embedded"
)

// nodeURI is a parsed node URI.
type nodeURI struct {
	embedded bool
	cloud    bool
	host     string
	port     int
	password string
}

// parseNodeURI parses `embedded` or `fs://[:password@]host[:port]`. The
// password is everything between "fs://:" and the last "@", taken
// literally, so a password from ${ENV} may contain any character but CR/LF.
func parseNodeURI(s string) (nodeURI, error) {
	if s == Embedded {
		return nodeURI{embedded: true}, nil
	}
	if rest, ok := strings.CutPrefix(s, CloudScheme); ok {
		if rest != "" {
			// Never echo rest: it may hold credentials.
			return nodeURI{}, fmt.Errorf("write twilio:// alone: the API's address goes in twilio.base_url, credentials in the environment")
		}
		return nodeURI{cloud: true}, nil
	}
	rest, ok := strings.CutPrefix(s, "fs://")
	if !ok {
		if i := strings.Index(s, "://"); i >= 0 {
			return nodeURI{}, fmt.Errorf("unsupported scheme %q (want fs://[:password@]host[:port], twilio:// or embedded)", s[:i])
		}
		return nodeURI{}, fmt.Errorf("want fs://[:password@]host[:port], twilio:// or embedded")
	}
	u := nodeURI{port: DefaultESLPort, password: DefaultESLPassword}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		userinfo := rest[:at]
		rest = rest[at+1:]
		pw, ok := strings.CutPrefix(userinfo, ":")
		if !ok {
			// Never echo userinfo: it is probably the password.
			return nodeURI{}, fmt.Errorf("the password goes after a colon: fs://:PASSWORD@host (ESL has no user name)")
		}
		if pw == "" {
			return nodeURI{}, fmt.Errorf("empty password; leave out \":@\" to use the default")
		}
		if strings.ContainsAny(pw, "\r\n\x00") {
			return nodeURI{}, fmt.Errorf("password contains a line break or NUL")
		}
		u.password = pw
	}
	if strings.ContainsAny(rest, "/?#") {
		return nodeURI{}, fmt.Errorf("unexpected path or query after host in node URI")
	}
	host, portText := rest, ""
	if strings.HasPrefix(rest, "[") || strings.Count(rest, ":") == 1 {
		h, p, err := net.SplitHostPort(rest)
		if err != nil {
			if !strings.HasPrefix(rest, "[") || !strings.HasSuffix(rest, "]") {
				return nodeURI{}, fmt.Errorf("invalid host:port %q", rest)
			}
			h = strings.Trim(rest, "[]")
		}
		host, portText = h, p
	}
	if host == "" {
		return nodeURI{}, fmt.Errorf("missing host")
	}
	if !validHost(host) {
		return nodeURI{}, fmt.Errorf("invalid host %q", host)
	}
	u.host = host
	if portText != "" {
		p, err := strconv.Atoi(portText)
		if err != nil || p < 1 || p > 65535 {
			return nodeURI{}, fmt.Errorf("invalid port %q (1-65535)", portText)
		}
		u.port = p
	}
	return u, nil
}

// validHost accepts IP addresses and DNS names (letters, digits, '-', '.',
// '_').
func validHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			if !isHostChar(label[i]) {
				return false
			}
		}
	}
	return true
}

func isHostChar(c byte) bool {
	return c == '-' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// hostPort joins host and port, bracketing IPv6 addresses.
func hostPort(host string, port int) string {
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// RedactedURI is the node's URI with the password shown as ***, safe to
// print.
func (n Node) RedactedURI() string {
	if n.Embedded {
		return Embedded
	}
	if n.Cloud {
		return CloudScheme
	}
	return "fs://:***@" + hostPort(n.Host, n.Port)
}

// Addr is the node's ESL address (host:port); "" for the embedded agent,
// whose address is chosen when it starts.
func (n Node) Addr() string {
	if n.Embedded || n.Cloud {
		return ""
	}
	return hostPort(n.Host, n.Port)
}

// CanCall reports whether calls may be originated on the node.
func (n Node) CanCall() bool { return n.Role != RoleCallee }

// CanReceive reports whether the node may receive callee legs.
func (n Node) CanReceive() bool { return n.Role != RoleCaller }
