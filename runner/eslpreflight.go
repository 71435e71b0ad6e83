package runner

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ErrPreflight wraps every preflight failure: a node that cannot be used.
var ErrPreflight = errors.New("preflight failed")

// PreflightError names the node that failed and why.
type PreflightError struct {
	Node string
	Err  error
}

func (e *PreflightError) Error() string   { return fmt.Sprintf("node %s: %v", e.Node, e.Err) }
func (e *PreflightError) Unwrap() []error { return []error{ErrPreflight, e.Err} }

// NodeFacts is what preflight learnt about a node.
type NodeFacts struct {
	Version     string
	MaxSessions int // from `status`; 0 when not reported
}

// Check says what preflight verifies on each node.
type Check struct {
	// Profile is the SIP profile calls leave through ("" when a gateway is
	// used): it must exist (`sofia status profile NAME`).
	Profile string
	// Modules must be loaded (`module_exists NAME`).
	Modules []string
	// Timeout bounds each node's checks.
	Timeout time.Duration
}

var maxSessionsLine = regexp.MustCompile(`(?m)^(\d+) session\(s\) max`)

// Preflight checks one ESL node: it answers `version`, reports its
// session limit in `status`, has the SIP profile and the modules. The
// first failure is returned as a *PreflightError.
func Preflight(ctx context.Context, name string, d *ESLDriver, c Check) (NodeFacts, error) {
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	fail := func(format string, args ...any) (NodeFacts, error) {
		return NodeFacts{}, &PreflightError{Node: name, Err: fmt.Errorf(format, args...)}
	}
	api := func(cmd string) (string, error) { return d.API(ctx, cmd) }
	var f NodeFacts
	v, err := api("version")
	if err != nil {
		return fail("version: %w", err)
	}
	f.Version = strings.TrimSpace(v)
	st, err := api("status")
	if err != nil {
		return fail("status: %w", err)
	}
	if m := maxSessionsLine.FindStringSubmatch(st); m != nil {
		f.MaxSessions, _ = strconv.Atoi(m[1])
	}
	if c.Profile != "" {
		if err := safeArg(c.Profile); err != nil {
			return fail("profile: %w", err)
		}
		out, err := api("sofia status profile " + c.Profile)
		if err != nil {
			return fail("sofia status profile %s: %w", c.Profile, err)
		}
		if strings.Contains(out, "Invalid Profile") || !strings.Contains(out, c.Profile) {
			return fail("SIP profile %q does not exist (sofia status profile %s: %s)", c.Profile, c.Profile, strings.TrimSpace(firstLine(out)))
		}
	}
	for _, m := range c.Modules {
		if err := safeArg(m); err != nil {
			return fail("module: %w", err)
		}
		out, err := api("module_exists " + m)
		if err != nil {
			return fail("module_exists %s: %w", m, err)
		}
		if strings.TrimSpace(out) != "true" {
			return fail("module %s is not loaded (a flow of this plan needs it)", m)
		}
	}
	return f, nil
}
