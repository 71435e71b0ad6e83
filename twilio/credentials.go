package twilio

import (
	"errors"
	"fmt"
	"strings"
)

// Default environment variable names, as Twilio's own tools and the seed
// load tester use them.
const (
	EnvAccountSID = "TWILIO_ACCOUNT_SID"
	EnvAuthToken  = "TWILIO_AUTH_TOKEN"
	EnvAPIKey     = "TWILIO_API_KEY"
	EnvAPISecret  = "TWILIO_API_SECRET"
)

// Redacted is what every secret prints as.
const Redacted = "***"

// ErrNoCredentials is returned when the environment holds no usable
// credentials.
var ErrNoCredentials = errors.New("no API credentials in the environment")

// EnvNames names the environment variables credentials are read from.
// Empty fields take the defaults (EnvAccountSID, ...).
type EnvNames struct {
	AccountSID string
	AuthToken  string
	APIKey     string
	APISecret  string
}

func (n EnvNames) withDefaults() EnvNames {
	def := func(s, d string) string {
		if s == "" {
			return d
		}
		return s
	}
	return EnvNames{
		AccountSID: def(n.AccountSID, EnvAccountSID),
		AuthToken:  def(n.AuthToken, EnvAuthToken),
		APIKey:     def(n.APIKey, EnvAPIKey),
		APISecret:  def(n.APISecret, EnvAPISecret),
	}
}

// Credentials authenticate API requests with HTTP basic auth: the user is
// the account SID (auth token) or the API key SID (API key and secret); the
// account SID always names the account in the URL.
//
// Credentials never print their secret: String, GoString and Format all
// show it as ***.
type Credentials struct {
	AccountSID string
	user       string
	secret     string
}

// NewCredentials builds credentials from an account SID and its auth token.
// Prefer CredentialsFromEnv: a secret belongs in the environment.
func NewCredentials(accountSID, authToken string) Credentials {
	return Credentials{AccountSID: accountSID, user: accountSID, secret: authToken}
}

// NewKeyCredentials builds credentials from an API key SID and its secret,
// for the account accountSID.
func NewKeyCredentials(accountSID, keySID, keySecret string) Credentials {
	return Credentials{AccountSID: accountSID, user: keySID, secret: keySecret}
}

// CredentialsFromEnv reads credentials through getenv (os.Getenv, or an
// injected environment in tests). An API key and secret win over the auth
// token when both are set. The error names the variables it looked at,
// never their values.
func CredentialsFromEnv(getenv func(string) string, names EnvNames) (Credentials, error) {
	n := names.withDefaults()
	sid := strings.TrimSpace(getenv(n.AccountSID))
	if sid == "" {
		return Credentials{}, fmt.Errorf("%w: %s is not set", ErrNoCredentials, n.AccountSID)
	}
	if key, secret := getenv(n.APIKey), getenv(n.APISecret); key != "" || secret != "" {
		if key == "" || secret == "" {
			return Credentials{}, fmt.Errorf("%w: set both %s and %s, or neither", ErrNoCredentials, n.APIKey, n.APISecret)
		}
		return checked(NewKeyCredentials(sid, strings.TrimSpace(key), secret))
	}
	token := getenv(n.AuthToken)
	if token == "" {
		return Credentials{}, fmt.Errorf("%w: %s (or %s and %s) is not set", ErrNoCredentials, n.AuthToken, n.APIKey, n.APISecret)
	}
	return checked(NewCredentials(sid, token))
}

// checked refuses values that cannot be sent in a URL path or a basic-auth
// header; the error never quotes the secret.
func checked(c Credentials) (Credentials, error) {
	if err := c.Validate(); err != nil {
		return Credentials{}, err
	}
	return c, nil
}

// Validate reports whether the credentials can be used: an account SID of
// letters and digits (it goes into the URL path), a user without ':', and a
// secret without control characters.
func (c Credentials) Validate() error {
	if c.AccountSID == "" || c.user == "" || c.secret == "" {
		return fmt.Errorf("%w: account SID, user and secret are all required", ErrNoCredentials)
	}
	if !isAlnum(c.AccountSID) {
		return fmt.Errorf("account SID %q: want letters and digits only", c.AccountSID)
	}
	if strings.ContainsAny(c.user, ":\r\n") || !isPrintable(c.user) {
		return fmt.Errorf("API user (account SID or key SID): must not contain ':' or control characters")
	}
	if !isPrintable(c.secret) {
		return errors.New("API secret: contains control characters")
	}
	return nil
}

// IsKey reports whether an API key (rather than the auth token) is used.
func (c Credentials) IsKey() bool { return c.user != c.AccountSID }

// User is the basic-auth user: the account SID or the API key SID. It is
// an identifier, not a secret.
func (c Credentials) User() string { return c.user }

// String shows the credentials with the secret as ***.
func (c Credentials) String() string {
	if c.IsKey() {
		return fmt.Sprintf("account %s, API key %s, secret %s", c.AccountSID, c.user, Redacted)
	}
	return fmt.Sprintf("account %s, auth token %s", c.AccountSID, Redacted)
}

// GoString is String, so %#v cannot print the secret either.
func (c Credentials) GoString() string { return c.String() }

// Format makes every verb (%v, %+v, %s, %q, ...) print String.
func (c Credentials) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.String())) }

// redact removes the secret from text that is about to leave the package
// (error messages), in case anything upstream echoed it.
func (c Credentials) redact(s string) string {
	if c.secret == "" || !strings.Contains(s, c.secret) {
		return s
	}
	return strings.ReplaceAll(s, c.secret, Redacted)
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z') {
			return false
		}
	}
	return true
}

func isPrintable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}
