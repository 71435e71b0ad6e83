package sip

import (
	"fmt"
	"net/url"
	"strings"

	sipmsg "github.com/emiago/sipgo/sip"
)

// checkOffer refuses values that would break the INVITE's framing: a CR or
// LF anywhere, a header name that is not an RFC 3261 token.
func checkOffer(o Offer) error {
	for _, v := range []string{o.FromUser, o.FromName, o.CallID} {
		if strings.ContainsAny(v, "\r\n") {
			return fmt.Errorf("value %q holds a line break", v)
		}
	}
	for _, h := range o.Headers {
		if h.Name == "" || strings.IndexFunc(h.Name, func(r rune) bool { return !isTokenChar(r) }) >= 0 {
			return fmt.Errorf("header name %q is not a token", h.Name)
		}
		if strings.ContainsAny(h.Value, "\r\n") {
			return fmt.Errorf("header %s: value holds a line break", h.Name)
		}
	}
	return nil
}

// isTokenChar reports whether r may appear in an RFC 3261 token.
func isTokenChar(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("-.!%*_+`'~", r)
}

// quoteDisplayName escapes a display name for a quoted-string (RFC 3261
// 25.1): backslash and double quote get a backslash.
func quoteDisplayName(s string) string {
	if !strings.ContainsAny(s, `"\`) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r == '"' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// unquoteDisplayName undoes quoteDisplayName on a received display name.
func unquoteDisplayName(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	escaped := false
	for _, r := range s {
		if r == '\\' && !escaped {
			escaped = true
			continue
		}
		escaped = false
		b.WriteRune(r)
	}
	return b.String()
}

// parseSIPURI reads "user@host[:port][;params]" with or without "sip:",
// angle brackets or URL encoding (fs_path values are often encoded).
func parseSIPURI(s string) (sipmsg.Uri, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "%") {
		if dec, err := url.PathUnescape(s); err == nil {
			s = dec
		}
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
	if !strings.HasPrefix(strings.ToLower(s), "sip:") && !strings.HasPrefix(strings.ToLower(s), "sips:") {
		s = "sip:" + s
	}
	var u sipmsg.Uri
	if err := sipmsg.ParseUri(s, &u); err != nil {
		return u, fmt.Errorf("parsing sip uri %q: %w", s, err)
	}
	if u.Host == "" {
		return u, fmt.Errorf("parsing sip uri %q: no host", s)
	}
	return u, nil
}
