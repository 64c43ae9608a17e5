package thingplus

import (
	"net/url"
	"strconv"
	"time"
)

// Query is a collection query (§4.2). The zero value asks for nothing and
// lets Thing+ use its defaults.
type Query struct {
	Count    int                 // items per page (max 4000); 0 = server default
	Page     int                 // page number from 0; sent when Count or Page is set
	OrderBy  string              // a field name
	OrderDir string              // "asc" or "desc"
	Fields   []string            // projection; id always comes back
	Filter   map[string][]string // AND across keys, OR within one key
	Embed    []string            // gateways: status, sensors, devices; sensors: status, series
	Start    time.Time           // collection range, inclusive (zero = none)
	End      time.Time           // exclusive (zero = none)
	// Series parameters of an embedded series (sensors?embed=series&series[dataStart]=…).
	Series *SeriesQuery
}

// MaxCount is the largest page Thing+ serves in one collection call.
const MaxCount = 4000

// Values encodes the query with bracket keys (filter[owner]=x) and repeated
// keys (fields=a&fields=b), as Thing+'s node qs parser expects.
func (q Query) Values() url.Values {
	v := url.Values{}
	if q.Count > 0 {
		v.Set("count", strconv.Itoa(q.Count))
	}
	if q.Count > 0 || q.Page > 0 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	if q.OrderBy != "" {
		v.Set("orderBy", q.OrderBy)
	}
	if q.OrderDir != "" {
		v.Set("orderDir", q.OrderDir)
	}
	for _, f := range q.Fields {
		v.Add("fields", f)
	}
	for k, vals := range q.Filter {
		for _, x := range vals {
			v.Add("filter["+k+"]", x)
		}
	}
	for _, e := range q.Embed {
		v.Add("embed", e)
	}
	if !q.Start.IsZero() {
		v.Set("start", isoTime(q.Start))
	}
	if !q.End.IsZero() {
		v.Set("end", isoTime(q.End))
	}
	if q.Series != nil {
		for k, vals := range q.Series.Values() {
			for _, x := range vals {
				v.Add("series["+k+"]", x)
			}
		}
	}
	return v
}

// SeriesQuery asks for a range of sensor values (§4.3).
type SeriesQuery struct {
	DataStart    time.Time // inclusive; zero = only the latest value
	DataEnd      time.Time // exclusive; zero = now
	Interval     string    // "0" raw, "1m", "15m", "1h", "6h", "1d"…; "" = server default (1m)
	IntervalFunc string    // "average" (default), "sum", "count"
	Count        int       // raw points when Interval is "0"
}

// Values encodes the series query; dates are ISO-8601 in UTC with ms.
func (q SeriesQuery) Values() url.Values {
	v := url.Values{}
	if !q.DataStart.IsZero() {
		v.Set("dataStart", isoTime(q.DataStart))
	}
	if !q.DataEnd.IsZero() {
		v.Set("dataEnd", isoTime(q.DataEnd))
	}
	if q.Interval != "" {
		v.Set("interval", q.Interval)
	}
	if q.IntervalFunc != "" {
		v.Set("intervalFunc", q.IntervalFunc)
	}
	if q.Count > 0 {
		v.Set("count", strconv.Itoa(q.Count))
	}
	return v
}

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
