package metrics

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"
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
	csv               *csv.Writer
	enc               *json.Encoder
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
	w.enc = json.NewEncoder(w.jsonBuf)
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

// Write appends one record to both files and flushes them.
func (w *CDRWriter) Write(r *Record) error {
	if err := w.csv.Write(cdrRow(r)); err != nil {
		return fmt.Errorf("writing cdr csv row: %w", err)
	}
	if err := w.enc.Encode(r); err != nil {
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

func cdrRow(r *Record) []string {
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
	}
	ms := func(d time.Duration, ok bool) string {
		if !ok {
			return ""
		}
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64)
	}
	sip := ""
	if r.SIPStatus > 0 {
		sip = strconv.Itoa(r.SIPStatus)
	}
	rx := &r.Received
	fields := ""
	if len(r.Fields) > 0 {
		b, _ := json.Marshal(r.Fields) // map keys are sorted by encoding/json
		fields = string(b)
	}
	row := []string{
		r.Run, r.Call, r.Stage, r.Flow, r.CallerNode, r.CalleeNode,
		ts(r.OriginateSent), ts(r.CallerCreate), ts(r.CallerProgress), ts(r.CallerAnswer),
		ts(r.CalleeCreate), ts(r.CalleeAnswer), ts(r.CallerHangup), ts(r.CalleeHangup),
		r.CallerCause, r.CalleeCause, sip, r.OriginateResult,
		strconv.FormatBool(r.EndedByFlow), string(r.Outcome), r.Reason,
		ms(r.PDD()), ms(r.SetupLatency()), ms(r.AnswerLatency()), ms(r.Duration()),
		fields,
		string(r.IntervalClock()), ts(rx.CallerCreate), ts(rx.CallerProgress), ts(rx.CallerAnswer),
		ts(rx.CalleeCreate), ts(rx.CalleeAnswer), ts(rx.CallerHangup), ts(rx.CalleeHangup),
	}
	mos, loss, jitter, ok := r.Quality()
	if !ok {
		return append(row, "", "", "", "", "", "", "")
	}
	num := func(f float64, prec int) string { return strconv.FormatFloat(f, 'f', prec, 64) }
	leg := func(m LegMedia) (string, string) {
		if !m.HasMedia() {
			return "0", ""
		}
		return strconv.FormatInt(m.Packets, 10), num(m.MOS, 2)
	}
	cp, cm := leg(r.CallerMedia)
	ep, em := leg(r.CalleeMedia)
	return append(row, num(mos, 2), num(loss, 6), ms(jitter, true), cp, cm, ep, em)
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
