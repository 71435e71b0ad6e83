package agent

import (
	"strconv"
	"sync/atomic"
	"time"
)

// secondCache keeps the date strings of the last few seconds. Every event
// carries Event-Date-Local and -GMT, and every leg ends with its start,
// answer and end times as stamps ("2006-01-02 15:04:05", local) and epochs
// (whole seconds): a loop call's times fall in one or two seconds, and
// formatting them for every event and every leg was two allocations an
// event and about a dozen a leg. Four slots, by second: the times of one
// call (its start, answer, end) do not evict each other.
type secondCache struct {
	slots [4]atomic.Pointer[secondDates]
}

// secondDates is one second's strings.
type secondDates struct {
	unix       int64
	local, gmt string // Event-Date-Local, Event-Date-GMT; local is also a *_stamp variable
	epoch      string // the *_epoch variables
}

// of returns the strings of t's second.
func (c *secondCache) of(t time.Time) *secondDates {
	sec := t.Unix()
	slot := &c.slots[sec&3]
	if d := slot.Load(); d != nil && d.unix == sec {
		return d
	}
	d := &secondDates{unix: sec,
		local: t.Local().Format("2006-01-02 15:04:05"),
		gmt:   t.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT"),
		epoch: strconv.FormatInt(sec, 10)}
	slot.Store(d)
	return d
}
