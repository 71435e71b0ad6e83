package metrics

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The CDR's two lines per call, appended to one byte slice each instead
// of going through encoding/csv's []string and encoding/json's reflection:
// a call's record was about 25 µs and 57 allocations of an embedded run's
// CPU, on the engine's one goroutine. The bytes are exactly what
// csv.Writer (default settings) and json.Encoder (default settings) write
// for the same record; cdr_ref_test.go checks that against both on a
// table of records, and that Record's fields are the ones written here.

// cdrTimeLayout is the CSV's time format: RFC 3339, microseconds, UTC.
const cdrTimeLayout = "2006-01-02T15:04:05.000000Z07:00"

// csvRow appends one CSV row, field by field.
type csvRow struct {
	b []byte
	n int
}

func (w *csvRow) sep() {
	if w.n > 0 {
		w.b = append(w.b, ',')
	}
	w.n++
}

// str is a field as csv.Writer writes it: quoted when it holds a comma, a
// quote, CR or LF, starts with a space, or is `\.`; quotes doubled.
func (w *csvRow) str(s string) {
	w.sep()
	if !csvNeedsQuotes(s) {
		w.b = append(w.b, s...)
		return
	}
	w.b = append(w.b, '"')
	w.b = append(w.b, strings.ReplaceAll(s, `"`, `""`)...)
	w.b = append(w.b, '"')
}

func csvNeedsQuotes(s string) bool {
	if s == "" {
		return false
	}
	if s == `\.` || strings.ContainsAny(s, ",\"\r\n") {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}

// time is empty for the zero time; the layout never needs quotes.
func (w *csvRow) time(t time.Time) {
	w.sep()
	if !t.IsZero() {
		w.b = t.UTC().AppendFormat(w.b, cdrTimeLayout)
	}
}

// ms is milliseconds with microsecond precision, empty when !ok.
func (w *csvRow) ms(d time.Duration, ok bool) {
	w.sep()
	if ok {
		w.b = strconv.AppendFloat(w.b, float64(d)/float64(time.Millisecond), 'f', 3, 64)
	}
}

func (w *csvRow) num(f float64, prec int) {
	w.sep()
	w.b = strconv.AppendFloat(w.b, f, 'f', prec, 64)
}

// legMedia is a leg's received packets and MOS: "0" and empty without
// media.
func (w *csvRow) legMedia(m LegMedia) {
	w.sep()
	if !m.HasMedia() {
		w.b = append(w.b, '0')
		w.sep()
		return
	}
	w.b = strconv.AppendInt(w.b, m.Packets, 10)
	w.num(m.MOS, 2)
}

// appendCSVRow appends r's cdr.csv row (cdrHeader's columns) and its
// newline.
func appendCSVRow(b []byte, r *Record) []byte {
	w := csvRow{b: b}
	for _, s := range [...]string{r.Run, r.Call, r.Stage, r.Flow, r.CallerNode, r.CalleeNode} {
		w.str(s)
	}
	for _, t := range [...]time.Time{r.OriginateSent, r.CallerCreate, r.CallerProgress, r.CallerAnswer,
		r.CalleeCreate, r.CalleeAnswer, r.CallerHangup, r.CalleeHangup} {
		w.time(t)
	}
	w.str(r.CallerCause)
	w.str(r.CalleeCause)
	w.sep()
	if r.SIPStatus > 0 {
		w.b = strconv.AppendInt(w.b, int64(r.SIPStatus), 10)
	}
	w.str(r.OriginateResult)
	w.sep()
	w.b = strconv.AppendBool(w.b, r.EndedByFlow)
	w.str(string(r.Outcome))
	w.str(r.Reason)
	w.ms(r.PDD())
	w.ms(r.SetupLatency())
	w.ms(r.AnswerLatency())
	w.ms(r.Duration())
	if len(r.Fields) > 0 {
		b, _ := json.Marshal(r.Fields) // map keys are sorted by encoding/json
		w.str(string(b))
	} else {
		w.sep()
	}
	w.str(string(r.IntervalClock()))
	rx := &r.Received
	for _, t := range [...]time.Time{rx.CallerCreate, rx.CallerProgress, rx.CallerAnswer,
		rx.CalleeCreate, rx.CalleeAnswer, rx.CallerHangup, rx.CalleeHangup} {
		w.time(t)
	}
	if mos, loss, jitter, ok := r.Quality(); ok {
		w.num(mos, 2)
		w.num(loss, 6)
		w.ms(jitter, true)
		w.legMedia(r.CallerMedia)
		w.legMedia(r.CalleeMedia)
	} else {
		for range 7 {
			w.sep()
		}
	}
	return append(w.b, '\n')
}

// jsonObj appends one JSON object's members.
type jsonObj struct {
	b     []byte
	first bool
	err   error
}

func (o *jsonObj) key(k string) {
	if o.first {
		o.first = false
	} else {
		o.b = append(o.b, ',')
	}
	o.b = append(o.b, '"')
	o.b = append(o.b, k...)
	o.b = append(o.b, '"', ':')
}

// str appends s as encoding/json does: the plain printable ASCII it needs
// no escaping for is copied, anything else goes through json.Marshal
// (HTML-safe escapes, invalid UTF-8, U+2028/9).
func (o *jsonObj) str(k, s string, omitEmpty bool) {
	if omitEmpty && s == "" {
		return
	}
	o.key(k)
	o.b = appendJSONString(o.b, s)
}

func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// time is time.Time's MarshalJSON (RFC 3339 with nanoseconds, the time's
// own zone), omitted when zero.
func (o *jsonObj) time(k string, t time.Time) {
	if t.IsZero() {
		return
	}
	if y := t.Year(); y < 0 || y > 9999 {
		o.marshal(k, t) // MarshalJSON's error, as encoding/json reports it
		return
	}
	o.key(k)
	o.b = append(o.b, '"')
	o.b = t.AppendFormat(o.b, time.RFC3339Nano)
	o.b = append(o.b, '"')
}

func (o *jsonObj) int(k string, v int64) {
	o.key(k)
	o.b = strconv.AppendInt(o.b, v, 10)
}

// float is encoding/json's float64: 'f' format in [1e-6, 1e21) and for 0;
// the 'e' cases and NaN/Inf (an error) go through json.Marshal.
func (o *jsonObj) float(k string, f float64) {
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21 || math.IsNaN(f)) {
		o.marshal(k, f)
		return
	}
	o.key(k)
	o.b = strconv.AppendFloat(o.b, f, 'f', -1, 64)
}

// marshal appends v by encoding/json itself.
func (o *jsonObj) marshal(k string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		if o.err == nil {
			o.err = err
		}
		return
	}
	o.key(k)
	o.b = append(o.b, b...)
}

func (o *jsonObj) open() { o.b, o.first = append(o.b, '{'), true }

func (o *jsonObj) close() { o.b = append(o.b, '}') }

func (o *jsonObj) legMedia(k string, m LegMedia) {
	if m == (LegMedia{}) {
		return
	}
	o.key(k)
	o.open()
	o.int("packets", m.Packets)
	o.int("lost", m.Lost)
	o.int("jitter", int64(m.Jitter))
	o.float("mos", m.MOS)
	o.close()
}

// appendJSONLine appends r's cdr.jsonl line and its newline: what
// json.Encoder.Encode(r) writes, field by field in Record's order with its
// tags' omitempty and omitzero.
func appendJSONLine(b []byte, r *Record) ([]byte, error) {
	o := jsonObj{b: b}
	o.open()
	o.str("run", r.Run, false)
	o.str("call", r.Call, false)
	o.str("stage", r.Stage, false)
	o.str("flow", r.Flow, false)
	o.str("caller_node", r.CallerNode, false)
	o.str("callee_node", r.CalleeNode, true)
	o.time("originate_sent", r.OriginateSent)
	o.time("caller_create", r.CallerCreate)
	o.time("caller_progress", r.CallerProgress)
	o.time("caller_answer", r.CallerAnswer)
	o.time("callee_create", r.CalleeCreate)
	o.time("callee_answer", r.CalleeAnswer)
	o.time("caller_hangup", r.CallerHangup)
	o.time("callee_hangup", r.CalleeHangup)
	if rx := r.Received; rx != (Received{}) {
		o.key("received")
		o.open()
		o.time("caller_create", rx.CallerCreate)
		o.time("caller_progress", rx.CallerProgress)
		o.time("caller_answer", rx.CallerAnswer)
		o.time("callee_create", rx.CalleeCreate)
		o.time("callee_answer", rx.CalleeAnswer)
		o.time("caller_hangup", rx.CallerHangup)
		o.time("callee_hangup", rx.CalleeHangup)
		o.close()
	}
	o.str("clock", string(r.Clock), true)
	o.str("caller_cause", r.CallerCause, true)
	o.str("callee_cause", r.CalleeCause, true)
	if r.SIPStatus != 0 {
		o.int("sip_status", int64(r.SIPStatus))
	}
	o.str("originate_result", r.OriginateResult, true)
	if r.EndedByFlow {
		o.key("ended_by_flow")
		o.b = append(o.b, "true"...)
	}
	o.str("outcome", string(r.Outcome), false)
	o.str("reason", r.Reason, true)
	if len(r.Fields) > 0 {
		o.marshal("fields", r.Fields)
	}
	if len(r.Counts) > 0 {
		o.marshal("counts", r.Counts)
	}
	if len(r.Timings) > 0 {
		o.marshal("timings", r.Timings)
	}
	if len(r.Values) > 0 {
		o.marshal("values", r.Values)
	}
	o.legMedia("caller_media", r.CallerMedia)
	o.legMedia("callee_media", r.CalleeMedia)
	o.close()
	return append(o.b, '\n'), o.err
}
