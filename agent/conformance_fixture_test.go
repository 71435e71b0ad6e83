package agent

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/callplan/callplan/esl"
	"github.com/stretchr/testify/require"
)

// This file reads the FreeSWITCH captures the conformance tests replay
// (conformance_test.go) and normalises what may differ between runs.

// fixtureDir is the esl package's verbatim copy of ../shared/fixtures/esl,
// so the test runs wherever the repository is checked out.
const fixtureDir = "../esl/testdata/fixtures"

func fixturePath(name string) string {
	if d := os.Getenv("CALLPLAN_FIXTURES"); d != "" {
		return filepath.Join(d, name)
	}
	return filepath.Join(fixtureDir, name)
}

// sentCommand is one command of a .sent.txt file.
type sentCommand struct {
	at   time.Duration
	text string // without the final blank line
}

func readSent(t *testing.T, name string) []sentCommand {
	t.Helper()
	b, err := os.ReadFile(fixturePath(name + ".sent.txt"))
	require.NoError(t, err)
	var out []sentCommand
	re := regexp.MustCompile(`(?m)^### t=\+([0-9.]+)s\n`)
	locs := re.FindAllSubmatchIndex(b, -1)
	for i, l := range locs {
		secs, err := strconv.ParseFloat(string(b[l[2]:l[3]]), 64)
		require.NoError(t, err)
		end := len(b)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		text := strings.TrimRight(string(b[l[1]:end]), "\n")
		out = append(out, sentCommand{at: time.Duration(secs * float64(time.Second)), text: text})
	}
	return out
}

func readFrames(t *testing.T, b []byte) []*esl.Frame {
	t.Helper()
	r := esl.NewReader(bytes.NewReader(b))
	var out []*esl.Frame
	for {
		f, err := r.ReadFrame()
		if err != nil {
			break
		}
		out = append(out, f)
	}
	return out
}

// transcript is one side's session, decoded.
type transcript struct {
	replies []string     // non-event frames, normalised: "content-type | reply-text | body"
	events  []*esl.Event // in arrival order
}

var (
	uuidRE   = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	numberRE = regexp.MustCompile(`[0-9]+`)
	// FreeSWITCH's status line says "1 minute" but "2 minutes": once the
	// figures are N, the plural s depends on them and must go too.
	upUnitRE = regexp.MustCompile(`N (year|day|hour|minute|second|millisecond|microsecond)s?\b`)
)

func normalise(s string) string {
	return numberRE.ReplaceAllString(uuidRE.ReplaceAllString(s, "<uuid>"), "N")
}

func decodeTranscript(t *testing.T, frames []*esl.Frame) transcript {
	t.Helper()
	var tr transcript
	for _, f := range frames {
		if esl.IsEvent(f.ContentType()) {
			e, err := esl.DecodeEvent(f)
			require.NoError(t, err)
			tr.events = append(tr.events, e)
			continue
		}
		tr.replies = append(tr.replies, normaliseReply(f))
	}
	return tr
}

// normaliseReply keeps what must match of a reply frame. Bodies whose
// content depends on the host's history (status figures, show channels
// rows, sofia status counters) are reduced to their shape.
func normaliseReply(f *esl.Frame) string {
	body := string(f.Body)
	switch {
	case strings.HasPrefix(body, `{"row_count"`):
		body = `{"row_count"...`
	case strings.HasPrefix(body, "UP "):
		body = upUnitRE.ReplaceAllString(normalise(strings.SplitN(body, "\n", 2)[0]), "N $1(s)") + " ..."
	case strings.HasPrefix(body, "====="):
		body = "=====..."
	case strings.HasPrefix(body, "Event-Name: CHANNEL_DATA"):
		// uuid_dump: the header names and the bert_test variables; the
		// agent's variable set is smaller than FreeSWITCH's (docs/agent.md).
		var keep []string
		for _, line := range strings.Split(body, "\n") {
			name, value, _ := strings.Cut(line, ": ")
			switch {
			case strings.HasPrefix(name, "variable_bert_"):
				keep = append(keep, name+": "+value)
			case name != "" && !strings.HasPrefix(name, "variable_"):
				keep = append(keep, name)
			}
		}
		body = strings.Join(keep, "\n")
	default:
		body = normalise(body)
	}
	return f.ContentType() + " | " + normalise(f.ReplyText()) + " | " + body
}
