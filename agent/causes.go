package agent

import (
	"github.com/callplan/callplan/agent/sip"
	"github.com/callplan/callplan/internal/hangup"
)

// parseCause reads a cause by name (any case) or number, as uuid_kill and
// hupall do. ok is false for an unknown cause, and for NONE (0), which is "no
// cause": never a reason to hang up or fail.
func parseCause(s string) (hangup.Cause, bool) {
	c, ok := hangup.Parse(s)
	if !ok || c == hangup.None {
		return hangup.None, false
	}
	return c, true
}

// causeOr is the cause s names, or def when s is empty or names no known
// cause: every command that takes an optional cause falls back this way.
func causeOr(s string, def hangup.Cause) hangup.Cause {
	if c, ok := parseCause(s); ok {
		return c
	}
	return def
}

// sipPhrase is the standard reason phrase of a SIP status code.
func sipPhrase(code int) string { return sip.StatusPhrase(code) }
