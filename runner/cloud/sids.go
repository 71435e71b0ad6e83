package cloud

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/callplan/callplan/twilio"
)

// Files a run with cloud nodes writes to its results directory.
const (
	// SIDsFile lists every call the API created, one row per call, written
	// the moment the create request returns: node, call id, SID, time.
	SIDsFile = "sids.csv"
	// NodesFile says where each cloud node's API is and which environment
	// variables hold its credentials (names only), so `callplan hangup
	// RESULTS_DIR` needs nothing but the directory and the environment.
	NodesFile = "cloud-nodes.json"
)

// NodeInfo is one cloud node as NodesFile records it. It holds no secret.
type NodeInfo struct {
	Name          string `json:"name"`
	BaseURL       string `json:"base_url"`
	AccountSIDEnv string `json:"account_sid_env"`
	AuthTokenEnv  string `json:"auth_token_env"`
	APIKeyEnv     string `json:"api_key_env"`
	APISecretEnv  string `json:"api_secret_env"`
}

// EnvNames are the node's credential variable names, for
// twilio.CredentialsFromEnv.
func (ni NodeInfo) EnvNames() twilio.EnvNames {
	return twilio.EnvNames{AccountSID: ni.AccountSIDEnv, AuthToken: ni.AuthTokenEnv, APIKey: ni.APIKeyEnv, APISecret: ni.APISecretEnv}
}

// WriteNodes writes NodesFile into dir.
func WriteNodes(dir string, nodes []NodeInfo) error {
	b, err := json.MarshalIndent(struct {
		Nodes []NodeInfo `json:"nodes"`
	}{nodes}, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", NodesFile, err)
	}
	if err := os.WriteFile(filepath.Join(dir, NodesFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", NodesFile, err)
	}
	return nil
}

// ReadNodes reads NodesFile from dir.
func ReadNodes(dir string) ([]NodeInfo, error) {
	b, err := os.ReadFile(filepath.Join(dir, NodesFile))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", NodesFile, err)
	}
	var f struct {
		Nodes []NodeInfo `json:"nodes"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", NodesFile, err)
	}
	return f.Nodes, nil
}

// SIDWriter appends rows to SIDsFile. Each row is written with one write
// system call as the API returns the SID, so it survives the process being
// killed right after.
type SIDWriter struct {
	mu sync.Mutex
	f  *os.File
}

var sidsHeader = []string{"node", "call", "sid", "created"}

// CreateSIDs creates SIDsFile in dir with its header.
func CreateSIDs(dir string) (*SIDWriter, error) {
	f, err := os.OpenFile(filepath.Join(dir, SIDsFile), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", SIDsFile, err)
	}
	w := &SIDWriter{f: f}
	if err := w.write(sidsHeader); err != nil {
		_ = f.Close()
		return nil, err
	}
	return w, nil
}

// Add records one created call.
func (w *SIDWriter) Add(node, callID, sid string, at time.Time) error {
	return w.write([]string{node, callID, sid, at.UTC().Format(time.RFC3339Nano)})
}

func (w *SIDWriter) write(row []string) error {
	var b bytesWriter
	cw := csv.NewWriter(&b)
	if err := cw.Write(row); err != nil {
		return fmt.Errorf("encoding %s row: %w", SIDsFile, err)
	}
	cw.Flush()
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.f.Write(b); err != nil {
		return fmt.Errorf("writing %s: %w", SIDsFile, err)
	}
	return nil
}

// Close closes the file.
func (w *SIDWriter) Close() error { return w.f.Close() }

type bytesWriter []byte

func (b *bytesWriter) Write(p []byte) (int, error) { *b = append(*b, p...); return len(p), nil }

// SIDRow is one row of SIDsFile.
type SIDRow struct {
	Node, Call, SID string
}

// ReadSIDs reads SIDsFile from dir. A last row cut short by a kill is
// skipped.
func ReadSIDs(dir string) ([]SIDRow, error) {
	f, err := os.Open(filepath.Join(dir, SIDsFile))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", SIDsFile, err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	var rows []SIDRow
	for line := 0; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", SIDsFile, err)
		}
		if line == 0 || len(rec) < 3 || rec[2] == "" {
			continue
		}
		rows = append(rows, SIDRow{Node: rec[0], Call: rec[1], SID: rec[2]})
	}
}

// EndResult is what EndSIDs did.
type EndResult struct {
	Ended   int // calls this request ended
	Already int // calls that were already over
	Failed  int // calls whose end request failed
}

// EndSIDs ends each call idempotently (twilio.Client.EndCall reads it
// first and leaves a finished call alone), at most perSecond calls a
// second. It goes on past failures and returns them joined.
func EndSIDs(ctx context.Context, c *twilio.Client, sids []string, perSecond float64) (EndResult, error) {
	pace := twilio.NewPace(perSecond)
	var res EndResult
	var errs []error
	for _, sid := range sids {
		if err := pace.Wait(ctx); err != nil {
			return res, err
		}
		ended, err := c.EndCall(ctx, sid)
		switch {
		case err != nil:
			res.Failed++
			errs = append(errs, err)
			if twilio.IsAuth(err) {
				// Every other request would be refused the same way.
				return res, errors.Join(errs...)
			}
		case ended:
			res.Ended++
		default:
			res.Already++
		}
	}
	return res, errors.Join(errs...)
}
