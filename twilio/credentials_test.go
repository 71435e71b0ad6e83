package twilio_test

import (
	"fmt"
	"testing"

	"github.com/callplan/callplan/twilio"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestCredentialsFromEnv(t *testing.T) {
	t.Parallel()
	const secret = "tok-9f8e7d"
	tests := []struct {
		name    string
		env     map[string]string
		names   twilio.EnvNames
		wantErr string
		wantKey bool
		user    string
	}{
		{"auth token", map[string]string{"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": secret}, twilio.EnvNames{}, "", false, "AC1"},
		{"api key wins", map[string]string{"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "x", "TWILIO_API_KEY": "SK1", "TWILIO_API_SECRET": secret}, twilio.EnvNames{}, "", true, "SK1"},
		{"own names", map[string]string{"LOAD_SID": "AC2", "LOAD_TOKEN": secret}, twilio.EnvNames{AccountSID: "LOAD_SID", AuthToken: "LOAD_TOKEN"}, "", false, "AC2"},
		{"no sid", map[string]string{"TWILIO_AUTH_TOKEN": secret}, twilio.EnvNames{}, "TWILIO_ACCOUNT_SID is not set", false, ""},
		{"no token", map[string]string{"TWILIO_ACCOUNT_SID": "AC1"}, twilio.EnvNames{}, "TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET) is not set", false, ""},
		{"half a key", map[string]string{"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_API_KEY": "SK1"}, twilio.EnvNames{}, "set both TWILIO_API_KEY and TWILIO_API_SECRET", false, ""},
		{"sid with a slash", map[string]string{"TWILIO_ACCOUNT_SID": "AC1/..", "TWILIO_AUTH_TOKEN": secret}, twilio.EnvNames{}, "letters and digits", false, ""},
		{"token with a newline", map[string]string{"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": secret + "\n"}, twilio.EnvNames{}, "control characters", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := twilio.CredentialsFromEnv(envOf(tt.env), tt.names)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.NotContains(t, err.Error(), secret)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantKey, c.IsKey())
			assert.Equal(t, tt.user, c.User())
		})
	}
}

// No fmt verb prints the secret.
func TestCredentialsNeverPrintSecret(t *testing.T) {
	t.Parallel()
	const secret = "tok-9f8e7d"
	for _, c := range []twilio.Credentials{
		twilio.NewCredentials("AC1", secret),
		twilio.NewKeyCredentials("AC1", "SK1", secret),
	} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			out := fmt.Sprintf(verb, c)
			assert.NotContains(t, out, secret, verb)
			assert.Contains(t, out, twilio.Redacted, verb)
			assert.NotContains(t, fmt.Sprintf(verb, struct{ C twilio.Credentials }{c}), secret, "nested "+verb)
		}
	}
}

func TestCheckBaseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url     string
		wantErr string
	}{
		{"https://api.twilio.com", ""},
		{"https://example.signalwire.com/api/laml", ""},
		{"http://127.0.0.1:8080/", ""},
		{"ftp://api.twilio.com", "want http:// or https://"},
		{"https://", "no host"},
		{"https://AC1:tok-9f8e7d@api.twilio.com", "user info is not allowed"},
		{"https://api.twilio.com?x=1", "no query"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			err := twilio.CheckBaseURL(tt.url)
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.NotContains(t, err.Error(), "tok-9f8e7d")
		})
	}
}
