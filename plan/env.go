package plan

import (
	"fmt"
	"strings"
)

// expandEnv replaces ${VAR} and ${VAR:-default} in s using lookup. Shell
// semantics: the default applies when VAR is unset or empty. $${ writes a
// literal ${; a $ not followed by { is kept as is. Substituted text is not
// expanded again, so a value from the environment cannot pull in another
// variable. changed reports whether any substitution happened.
func expandEnv(s string, lookup func(string) (string, bool)) (out string, changed bool, err error) {
	if !strings.Contains(s, "${") {
		return s, false, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], "$${") {
			b.WriteString("${")
			i += 3
			changed = true
			continue
		}
		if !strings.HasPrefix(s[i:], "${") {
			b.WriteByte(s[i])
			i++
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", false, fmt.Errorf("unclosed ${ in %q", s)
		}
		body := s[i+2 : i+end]
		name, def, hasDef := strings.Cut(body, ":-")
		if !validEnvName(name) {
			return "", false, fmt.Errorf("invalid environment variable name %q in ${%s} (letters, digits and _, not starting with a digit)", name, body)
		}
		val, ok := "", false
		if lookup != nil {
			val, ok = lookup(name)
		}
		switch {
		case ok && val != "":
		case hasDef:
			val = def
		case ok:
			// Set but empty, and no default: the plan asked for it as is.
		default:
			return "", false, fmt.Errorf("environment variable %s is not set (write ${%s:-default} to give a default)", name, name)
		}
		b.WriteString(val)
		changed = true
		i += end + 1
	}
	return b.String(), changed, nil
}

func validEnvName(name string) bool {
	if name == "" {
		return false
	}
	for i, c := range name {
		switch {
		case c == '_', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
