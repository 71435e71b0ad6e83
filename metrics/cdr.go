package metrics

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// CDR file names inside a run's output directory.
const (
	CDRCSVFile        = "cdr.csv"
	CDRJSONLFile      = "cdr.jsonl"
	TimeSeriesCSVFile = "timeseries.csv"
)

// cdrHeader is cdr.csv's header row. Times are RFC 3339 with microseconds
// in UTC; intervals are milliseconds with microsecond precision, empty when
// the interval did not happen; fields is the flow's fields as a JSON object;
// clock is the clock the intervals were computed on, and the *_rx columns
// are the runner's receipt times of the events (docs/metrics.md, "Clocks").
var cdrHeader = []string{
	"run", "call", "stage", "flow", "caller_node", "callee_node",
	"originate_sent", "caller_create", "caller_progress", "caller_answer",
	"callee_create", "callee_answer", "caller_hangup", "callee_hangup",
	"caller_cause", "callee_cause", "sip_status", "originate_result",
	"ended_by_flow", "outcome", "reason",
	NamePDD + "_ms", NameSetupLatency + "_ms", NameAnswerLatency + "_ms", NameDuration + "_ms",
	"fields",
	"clock", "caller_create_rx", "caller_progress_rx", "caller_answer_rx",
	"callee_create_rx", "callee_answer_rx", "caller_hangup_rx", "callee_hangup_rx",
	// Audio quality (quality.go): the call's worse direction, then each
	// leg's received packets and MOS; empty when the call had no media.
	NameMOS, NameLoss, NameJitter + "_ms",
	"caller_in_packets", "caller_in_mos", "callee_in_packets", "callee_in_mos",
}

// CDRWriter streams call records to cdr.csv and cdr.jsonl. Each record is
// flushed to the operating system as it is written, so a run that is killed
// loses no call that had already ended.
type CDRWriter struct {
	csvFile, jsonFile *os.File
	csvBuf, jsonBuf   *bufio.Writer
	csv               *csv.Writer // the header row only
	line              []byte      // the row being encoded (cdrencode.go)
}

// CreateCDR creates (truncating) dir/cdr.csv and dir/cdr.jsonl and writes the
// CSV header.
func CreateCDR(dir string) (*CDRWriter, error) {
	cf, err := os.Create(filepath.Join(dir, CDRCSVFile))
	if err != nil {
		return nil, fmt.Errorf("creating cdr csv: %w", err)
	}
	jf, err := os.Create(filepath.Join(dir, CDRJSONLFile))
	if err != nil {
		cf.Close()
		return nil, fmt.Errorf("creating cdr jsonl: %w", err)
	}
	w := &CDRWriter{csvFile: cf, jsonFile: jf, csvBuf: bufio.NewWriter(cf), jsonBuf: bufio.NewWriter(jf)}
	w.csv = csv.NewWriter(w.csvBuf)
	if err := w.csv.Write(cdrHeader); err != nil {
		w.Close()
		return nil, fmt.Errorf("writing cdr header: %w", err)
	}
	if err := w.flush(); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// Write appends one record to both files and flushes them: one write
// system call per file and call, the price of a killed run losing no call
// that had ended (docs/metrics.md).
func (w *CDRWriter) Write(r *Record) error {
	w.line = appendCSVRow(w.line[:0], r)
	if _, err := w.csvBuf.Write(w.line); err != nil {
		return fmt.Errorf("writing cdr csv row: %w", err)
	}
	line, err := appendJSONLine(w.line[:0], r)
	if err != nil {
		return fmt.Errorf("writing cdr json line: %w", err)
	}
	w.line = line
	if _, err := w.jsonBuf.Write(w.line); err != nil {
		return fmt.Errorf("writing cdr json line: %w", err)
	}
	return w.flush()
}

func (w *CDRWriter) flush() error {
	w.csv.Flush()
	if err := w.csv.Error(); err != nil {
		return fmt.Errorf("flushing cdr csv: %w", err)
	}
	if err := w.csvBuf.Flush(); err != nil {
		return fmt.Errorf("flushing cdr csv: %w", err)
	}
	if err := w.jsonBuf.Flush(); err != nil {
		return fmt.Errorf("flushing cdr jsonl: %w", err)
	}
	return nil
}

// Close flushes and closes both files.
func (w *CDRWriter) Close() error {
	ferr := w.flush()
	return errors.Join(ferr, w.csvFile.Close(), w.jsonFile.Close())
}

// sortedKeys returns m's keys in order, for stable output.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
