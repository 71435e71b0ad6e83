package agent

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/callplan/callplan/internal/hangup"
	"github.com/stretchr/testify/require"
)

func FuzzParseOriginate(f *testing.F) {
	for _, s := range []string{
		"{origination_uuid=d4cf56ca,sip_h_X-originating_session_uuid=d4cf56ca}sofia/external/test@127.0.0.1:5080 &park()",
		"{originate_timeout=60,origination_caller_id_name='Mr switchio',absolute_codec_string=PCMU,ignore_early_media=true}sofia/external/dest;fs_path=sip:10.0.0.7:5060 &park()",
		"<a=1>{b=2}[c=3]sofia/external/u@h:1,[d=4]sofia/external/v@h|error/USER_BUSY &echo",
		"{^^;a=1;b=x,y}sofia/external/u@h &playback(tone_stream://%(100,100,440))",
		"{origination_uuid=bad sofia/external/x@127.0.0.1:5080 &park()",
		"sofia/external/u@h exten XML default name 123 30",
		"nosuchendpoint/foo &park()",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		oc, err := parseOriginate(s)
		if err != nil {
			return
		}
		// Every accepted command has a leg and an app, and the leg's
		// endpoint either parses or fails with a cause.
		if len(oc.Dial.Legs) == 0 || oc.App == "" {
			t.Fatalf("parseOriginate(%q) accepted without leg or app: %+v", s, oc)
		}
		for _, leg := range oc.Dial.Legs {
			if leg.Endpoint == "" {
				t.Fatalf("parseOriginate(%q): empty endpoint", s)
			}
			target, cause := parseSofia(leg.Endpoint, profiles)
			if cause == hangup.None && (target.User == "" && target.Host == "") {
				t.Fatalf("parseSofia(%q) = %+v without cause", leg.Endpoint, target)
			}
		}
		for _, h := range oc.Dial.Vars {
			if h.Name == "" || strings.ContainsAny(h.Name, "=") {
				t.Fatalf("parseOriginate(%q): bad variable name %q", s, h.Name)
			}
		}
	})
}

func FuzzParseVars(f *testing.F) {
	f.Add("a=1,b=2")
	f.Add(`a=1\,2,b='x y'`)
	f.Add("^^:a=1:b=2,3")
	f.Fuzz(func(t *testing.T, s string) {
		vars, err := parseVars(s)
		if err != nil {
			t.Fatalf("parseVars(%q): %v", s, err)
		}
		for _, h := range vars {
			if h.Name == "" {
				t.Fatalf("parseVars(%q): empty name in %+v", s, vars)
			}
		}
	})
}

// FuzzESLCommands writes arbitrary command bytes to a live agent: it must
// answer or close that connection, never panic, and keep serving others.
func FuzzESLCommands(f *testing.F) {
	for _, s := range []string{
		"auth ClueCon\n\nevent plain ALL\n\n",
		"auth ClueCon\n\napi status\n\nbgapi originate {a=1}sofia/external/x@127.0.0.1:5999 &park()\nJob-UUID: x\n\n",
		"auth ClueCon\n\nsendmsg 123\ncall-command: execute\nexecute-app-name: park\n\n",
		"auth ClueCon\n\nfilter Unique-ID /[/\n\nfilter delete all\n\nnixevent CUSTOM a b\n\nnoevents\n\n",
		"auth ClueCon\n\nevent json CUSTOM mod_bert::in_sync\n\napi uuid_dump x json\n\n",
		"auth ClueCon\n\napi hupall\n\nsendmsg\ncontent-length: 5\n\nabcde",
		"api status\n\nexit\n\n",
	} {
		f.Add([]byte(s))
	}
	n := newFakeNet()
	a := startTestAgent(f, n, "127.0.0.1:5080", func(c *Config) { c.SPS = 5 })
	f.Fuzz(func(t *testing.T, in []byte) {
		nc, err := net.Dial("tcp", a.Addr())
		require.NoError(t, err)
		_ = nc.SetDeadline(time.Now().Add(2 * time.Second))
		_, _ = nc.Write(in)
		_, _ = nc.Write([]byte("\n\nexit\n\n"))
		buf := make([]byte, 64<<10)
		for {
			if _, err := nc.Read(buf); err != nil {
				break
			}
		}
		_ = nc.Close()
		// The agent still serves a fresh client.
		c := dialTest(t, a.Addr())
		c.auth()
		if got := c.api("uuid_exists nobody"); got != "false" {
			t.Fatalf("agent answers %q after fuzz input %q", got, in)
		}
		a.API(t.Context(), "hupall")
	})
}
