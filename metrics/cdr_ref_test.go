package metrics

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cdrRow is the CDR's CSV row as the columns' plain definition, written
// with encoding/csv: the reference appendCSVRow must match byte for byte.
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

// cdrRecords are records with every field and the awkward values each
// encoder has a special case for.
func cdrRecords() map[string]*Record {
	park := benchRecord()
	zone := time.FixedZone("X", -(3*3600 + 30*60))
	awkward := benchRecord()
	awkward.Run = `run,"quoted"`
	awkward.Call = " leading space"
	awkward.Stage = `\.`
	awkward.Flow = "line\nbreak\r"
	awkward.CallerNode = "<node>&amp;"
	awkward.CalleeNode = "café \u2028 \xff"
	awkward.Reason = "tab\there"
	awkward.OriginateSent = awkward.OriginateSent.In(zone)
	awkward.CallerCreate = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	awkward.Clock = ClockReceipt
	awkward.Fields = map[string]string{"b": "2", "a": "<1>", "c": `"q"`}
	awkward.Counts = map[string]int64{"unexpected": 3, "z": -1}
	awkward.Timings = map[string]time.Duration{"sync_time": 1012 * time.Millisecond}
	awkward.Values = map[string]float64{"tiny": 1e-9, "big": 1e22, "zero": 0, "neg": -2.5, "third": 1.0 / 3}
	awkward.CallerMedia = LegMedia{Packets: 7, Lost: 3, Jitter: 5, MOS: 1e-7}
	awkward.CalleeMedia = LegMedia{Lost: 1}
	failed := &Record{Run: "r", Call: "c", Outcome: OutcomeFailed, Reason: "no_callee_leg",
		OriginateSent: time.Unix(1, 5).UTC(), OriginateResult: "-ERR USER_BUSY"}
	return map[string]*Record{
		"park call":            park,
		"awkward values":       awkward,
		"failed, nearly empty": failed,
		"zero record":          {},
		"media on one leg":     {Run: "r", CallerMedia: LegMedia{Packets: 50, MOS: 4.5}},
		"received only":        {Received: Received{CalleeHangup: time.Unix(2, 0)}},
	}
}

func TestCDRLinesMatchEncodingPackages(t *testing.T) {
	for name, r := range cdrRecords() {
		t.Run(name, func(t *testing.T) {
			var want bytes.Buffer
			cw := csv.NewWriter(&want)
			require.NoError(t, cw.Write(cdrRow(r)))
			cw.Flush()
			assert.Equal(t, want.String(), string(appendCSVRow(nil, r)), "csv")

			want.Reset()
			require.NoError(t, json.NewEncoder(&want).Encode(r))
			got, err := appendJSONLine([]byte("kept "), r)
			require.NoError(t, err)
			assert.Equal(t, "kept "+want.String(), string(got), "json")

			var back Record
			require.NoError(t, json.Unmarshal(got[len("kept "):], &back))
		})
	}
}

// A value encoding/json refuses fails the line as json.Encoder does.
func TestCDRJSONLineRefusesNaN(t *testing.T) {
	r := benchRecord()
	r.Values = map[string]float64{"x": math.NaN()}
	require.Error(t, json.NewEncoder(&bytes.Buffer{}).Encode(r))
	_, err := appendJSONLine(nil, r)
	require.Error(t, err)
	r.Values = nil
	r.CallerMedia.MOS = math.Inf(1)
	_, err = appendJSONLine(nil, r)
	require.Error(t, err)
}

// Floats across encoding/json's format switch points.
func TestCDRJSONFloats(t *testing.T) {
	for _, f := range []float64{0, 1, -1, 4.41, 1e-6, 9.99e-7, 1e20, 1e21, 123456789.125, math.SmallestNonzeroFloat64, math.MaxFloat64, -1e-7} {
		t.Run(strconv.FormatFloat(f, 'g', -1, 64), func(t *testing.T) {
			want, err := json.Marshal(f)
			require.NoError(t, err)
			o := jsonObj{}
			o.open()
			o.float("f", f)
			o.close()
			assert.Equal(t, `{"f":`+string(want)+`}`, string(o.b))
		})
	}
}

// The hand encoders name every field: a field added to Record, Received
// or LegMedia must be added to appendJSONLine (and to the CSV columns if
// it belongs there), or this fails.
func TestCDREncodersKnowEveryField(t *testing.T) {
	for typ, n := range map[reflect.Type]int{
		reflect.TypeFor[Record]():   29,
		reflect.TypeFor[Received](): 7,
		reflect.TypeFor[LegMedia](): 4,
	} {
		assert.Equal(t, n, typ.NumField(), "%s changed: update cdrencode.go and this count", typ)
	}
}
