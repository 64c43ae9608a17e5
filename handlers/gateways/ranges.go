package gateways

import (
	"net/url"
	"strings"
	"time"
)

// rangeSpec is a chart range: its span, the Thing+ interval that gives a
// readable number of points, and the spacing of the time axis labels. A
// custom range also carries its own start and end.
type rangeSpec struct {
	Key      string
	Span     time.Duration
	Interval string        // Thing+ interval
	Step     time.Duration // the same, as a duration
	Tick     time.Duration // time axis labels
	From, To time.Time     // custom ranges only
}

var ranges = []rangeSpec{
	{Key: "hour", Span: time.Hour, Interval: "1m", Step: time.Minute, Tick: 15 * time.Minute},                // 60 points
	{Key: "day", Span: 24 * time.Hour, Interval: "15m", Step: 15 * time.Minute, Tick: 4 * time.Hour},         // 96 points
	{Key: "week", Span: 7 * 24 * time.Hour, Interval: "1h", Step: time.Hour, Tick: 24 * time.Hour},           // 168 points
	{Key: "month", Span: 30 * 24 * time.Hour, Interval: "6h", Step: 6 * time.Hour, Tick: 5 * 24 * time.Hour}, // 120 points
}

// intervals are the aggregation steps offered, smallest first.
var intervals = []struct {
	Key  string
	Step time.Duration
}{{"1m", time.Minute}, {"15m", 15 * time.Minute}, {"1h", time.Hour}, {"6h", 6 * time.Hour}, {"1d", 24 * time.Hour}}

// intervalFuncs are Thing+'s documented bucket functions (§4.3).
var intervalFuncs = []string{"average", "sum", "count"}

// maxPoints bounds a chart: a step that would give more is refused.
const maxPoints = 2000

// maxCustom bounds a custom range.
const maxCustom = 366 * 24 * time.Hour

func rangeOf(key string) rangeSpec {
	for _, r := range ranges {
		if r.Key == key {
			return r
		}
	}
	return ranges[0]
}

// window is the range ending at the next step boundary after now, so that
// requests within one step ask Thing+ the same question (and share a cache
// entry) and buckets line up. A custom range is its own window.
func (r rangeSpec) window(now time.Time) (start, end time.Time) {
	if r.Key == "custom" {
		return r.From, r.To
	}
	end = now.Truncate(r.Step).Add(r.Step)
	return end.Add(-r.Span), end
}

// chartQuery is what the sensor page's form asks for: a range (or custom
// dates), and optionally an interval and a function. Bad values come back
// as a message key, and the page keeps what was typed.
type chartQuery struct {
	Range    rangeSpec
	From, To string // custom dates as typed (YYYY-MM-DD)
	Every    string // "" = the range's own interval
	Fn       string // "" = the sensor type's advice
	Problem  string // text key of what was wrong, "" when fine
}

// chartQueryOf reads range, from, to, every and fn in the user's zone.
func chartQueryOf(q url.Values, loc *time.Location) chartQuery {
	cq := chartQuery{Range: rangeOf(q.Get("range")), From: clip(q.Get("from"), 10), To: clip(q.Get("to"), 10)}
	if q.Get("range") == "custom" {
		r, problem := customRange(cq.From, cq.To, loc)
		if problem == "" {
			cq.Range = r
		}
		cq.Problem = problem
	}
	if e := q.Get("every"); e != "" {
		if step, ok := stepOf(e); ok {
			if cq.Range.Span/step > maxPoints {
				cq.Problem = "gw.q.toomany"
			} else {
				cq.Every, cq.Range.Interval, cq.Range.Step = e, e, step
			}
		} else {
			cq.Problem = "gw.q.bad.every"
		}
	}
	if f := q.Get("fn"); f != "" {
		if contains(intervalFuncs, f) {
			cq.Fn = f
		} else {
			cq.Problem = "gw.q.bad.fn"
		}
	}
	return cq
}

// customRange is from 00:00 of the first day to 24:00 of the last one, in
// the user's zone, with an interval that keeps the chart readable.
func customRange(from, to string, loc *time.Location) (rangeSpec, string) {
	f, err1 := time.ParseInLocation("2006-01-02", strings.TrimSpace(from), loc)
	t, err2 := time.ParseInLocation("2006-01-02", strings.TrimSpace(to), loc)
	if err1 != nil || err2 != nil {
		return rangeSpec{}, "gw.q.dates"
	}
	t = t.AddDate(0, 0, 1)
	span := t.Sub(f)
	switch {
	case span <= 0:
		return rangeSpec{}, "gw.q.order"
	case span > maxCustom:
		return rangeSpec{}, "gw.q.long"
	}
	r := rangeSpec{Key: "custom", Span: span, From: f, To: t}
	for _, iv := range intervals {
		if span/iv.Step <= 400 {
			r.Interval, r.Step = iv.Key, iv.Step
			break
		}
	}
	if r.Interval == "" {
		r.Interval, r.Step = "1d", 24*time.Hour
	}
	r.Tick = tickFor(span)
	return r, ""
}

// tickFor spaces time labels so that about 4 to 8 fit.
func tickFor(span time.Duration) time.Duration {
	for _, t := range []time.Duration{15 * time.Minute, time.Hour, 4 * time.Hour, 12 * time.Hour, 24 * time.Hour, 2 * 24 * time.Hour, 5 * 24 * time.Hour, 10 * 24 * time.Hour, 30 * 24 * time.Hour, 60 * 24 * time.Hour} {
		if span/t <= 8 {
			return t
		}
	}
	return 60 * 24 * time.Hour
}

func stepOf(key string) (time.Duration, bool) {
	for _, iv := range intervals {
		if iv.Key == key {
			return iv.Step, true
		}
	}
	return 0, false
}

func contains(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}

// values is the query string of this chart state, for links and polling.
func (cq chartQuery) values() url.Values {
	v := url.Values{"range": {cq.Range.Key}}
	if cq.Range.Key == "custom" {
		v.Set("from", cq.From)
		v.Set("to", cq.To)
	}
	if cq.Every != "" {
		v.Set("every", cq.Every)
	}
	if cq.Fn != "" {
		v.Set("fn", cq.Fn)
	}
	return v
}
