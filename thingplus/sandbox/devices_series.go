package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// seriesCap bounds each sensor's stored values: a week at one value every
// 30 s, which holds the simulator's door events and climate values for the
// last week (the sensor page charts an hour, a day or a week).
const seriesCap = 20160

// Raw (interval=0) answers: default and maximum number of points (§4.3).
const (
	rawDefaultCount = 2000
	rawMaxCount     = 10080
	maxBuckets      = 100000
)

// point is one stored value. Object values are kept as compact JSON.
type point struct {
	t int64
	v string
}

// seriesLeaf is a sensor's series leaf with its values in a ring, oldest first.
type seriesLeaf struct {
	ID           string
	Ctime, Mtime int64 // 0 until the first value
	object       bool  // values are JSON objects (object sensor types)
	buf          []point
	head         int // index of the oldest point once buf is full
}

func (l *seriesLeaf) len() int { return len(l.buf) }

func (l *seriesLeaf) at(i int) point {
	if len(l.buf) < seriesCap {
		return l.buf[i]
	}
	return l.buf[(l.head+i)%seriesCap]
}

func (l *seriesLeaf) last() (point, bool) {
	if len(l.buf) == 0 {
		return point{}, false
	}
	return l.at(len(l.buf) - 1), true
}

func (l *seriesLeaf) push(p point) {
	if len(l.buf) < seriesCap {
		l.buf = append(l.buf, p)
		return
	}
	l.buf[l.head] = p
	l.head = (l.head + 1) % seriesCap
}

// search is the index of the first point at or after t.
func (l *seriesLeaf) search(t int64) int {
	return sort.Search(l.len(), func(i int) bool { return l.at(i).t >= t })
}

func (l *seriesLeaf) valueOut(v string) any {
	if l.object {
		return json.RawMessage(v)
	}
	return v
}

// appendLocked stores pts (ascending) after checking them against the latest
// value: an earlier time is 400 INVALID_INPUT (§5.8), unless clamp, which the
// simulator uses to move a point up to the latest time instead.
func (d *deviceArea) appendLocked(sn *sensor, pts []point, clamp bool) error {
	leaf := sn.Series
	latest := int64(math.MinInt64)
	if p, ok := leaf.last(); ok {
		latest = p.t
	}
	for i := range pts {
		if pts[i].t < latest {
			if !clamp {
				return inputErr(fmt.Sprintf("time %d is earlier than the latest value of sensor %s (%d)", pts[i].t, sn.ID, latest))
			}
			pts[i].t = latest
		}
		latest = pts[i].t
	}
	now := d.s.nowMs()
	for _, p := range pts {
		leaf.push(p)
	}
	if leaf.Ctime == 0 {
		leaf.Ctime = now
	}
	leaf.Mtime = now
	return nil
}

// notify hands stored values to the rule engine (never blocks, by contract).
func (d *deviceArea) notify(info SensorInfo, pts []point) {
	observe := d.observe.Load()
	for _, p := range pts {
		ev := SeriesEvent{Sensor: info, Value: p.v, Time: p.t}
		if d.s.rules != nil {
			d.s.rules.seriesArrived(ev)
		}
		if observe != nil {
			(*observe)(ev)
		}
	}
}

// storeValues is the one path for new values of any user's sensor: the
// simulator, PushValue and (after its ownership check) PUT series.
func (d *deviceArea) storeValues(sensorID string, pts []point, clamp bool) error {
	d.mu.Lock()
	sn, ok := d.sensors[sensorID]
	if !ok {
		d.mu.Unlock()
		return notFound("sensor", sensorID)
	}
	if err := d.appendLocked(sn, pts, clamp); err != nil {
		d.mu.Unlock()
		return err
	}
	info := d.infoLocked(sn)
	d.mu.Unlock()
	d.notify(info, pts)
	return nil
}

// PushValue stores one value of a sensor (any owner) exactly as
// PUT …/sensors/{id}/series does, so rules fire. For tests and tools.
// A time earlier than the sensor's latest value is refused.
func (s *Sandbox) PushValue(sensorID, value string, t time.Time) error {
	if st, ok := s.devices.sensorTypeOf(sensorID); ok && st.ValueType == "object" {
		var obj map[string]any
		if err := json.Unmarshal([]byte(value), &obj); err != nil {
			return schemaErr("value of an object sensor must be a JSON object")
		}
	}
	return s.devices.storeValues(sensorID, []point{{t: t.UnixMilli(), v: value}}, false)
}

func (d *deviceArea) sensorTypeOf(sensorID string) (sensorTypeDef, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	sn, ok := d.sensors[sensorID]
	if !ok {
		return sensorTypeDef{}, false
	}
	return sensorTypeByID(sn.Type)
}

// seriesView is the series leaf (§5.8): the latest value, and with a query
// also data and _meta.
func seriesView(sn *sensor, q *seriesQuery) *seriesJSON {
	leaf := sn.Series
	v := &seriesJSON{Type: "series", SrcType: sn.Type, SrcCategory: sn.Category, SrcDbType: "sensor",
		Series: sn.ID, Owner: sn.Owner, Sensor: sn.ID, ID: leaf.ID}
	if p, ok := leaf.last(); ok {
		v.Value = leaf.valueOut(p.v)
		v.Time = strconv.FormatInt(p.t, 10)
		v.Ctime = strconv.FormatInt(leaf.Ctime, 10)
		v.Mtime = strconv.FormatInt(leaf.Mtime, 10)
	}
	if q != nil {
		v.Data, v.Meta = leaf.query(*q)
	}
	return v
}

// seriesQuery is §4.3 without the statistics form.
type seriesQuery struct {
	start, end int64
	interval   string // "0" or e.g. "15m"
	intervalMs int64  // 0 = raw
	fn         string // average, sum, count, min, max
	limit      int    // raw only
}

var intervalRe = regexp.MustCompile(`^([1-9][0-9]{0,5})(m|h|d)$`)

var intervalFuncs = map[string]bool{"average": true, "sum": true, "count": true, "min": true, "max": true}

// parseSeriesQuery reads dataStart, dataEnd, interval, intervalFunc and count.
// given is false when none is present (the answer is then the latest value).
// Choices where the sheet is silent: count without interval means raw
// values; without dataStart only raw values with count are allowed (the
// newest count values); raw answers keep the newest points when over count.
func parseSeriesQuery(q url.Values, now int64) (sq seriesQuery, given bool, err error) {
	for k := range q {
		if strings.HasPrefix(k, "statFunc") {
			return sq, true, inputErr("statFunc (statistics) is not supported by this sandbox; use interval and intervalFunc")
		}
	}
	has := func(k string) bool { _, ok := q[k]; return ok }
	if !has("dataStart") && !has("dataEnd") && !has("interval") && !has("intervalFunc") && !has("count") {
		return sq, false, nil
	}
	sq.end = now + 1 // by default a value stamped now is included
	if v := q.Get("dataEnd"); v != "" {
		if sq.end, err = parseQueryTime(v); err != nil {
			return sq, true, schemaErr("dataEnd: " + err.Error())
		}
	}
	hasStart := q.Get("dataStart") != ""
	if hasStart {
		if sq.start, err = parseQueryTime(q.Get("dataStart")); err != nil {
			return sq, true, schemaErr("dataStart: " + err.Error())
		}
	}
	switch iv := q.Get("interval"); {
	case iv == "0":
		sq.interval = "0"
	case iv == "" && (has("count") || !hasStart):
		sq.interval = "0"
	case iv == "":
		sq.interval, sq.intervalMs = "1m", time.Minute.Milliseconds()
	default:
		m := intervalRe.FindStringSubmatch(iv)
		if m == nil {
			return sq, true, schemaErr("interval must be 0 or a number of minutes, hours or days such as 1m, 15m, 1h, 6h, 1d")
		}
		n, _ := strconv.ParseInt(m[1], 10, 64)
		unit := map[string]time.Duration{"m": time.Minute, "h": time.Hour, "d": 24 * time.Hour}[m[2]]
		sq.interval, sq.intervalMs = iv, n*unit.Milliseconds()
	}
	sq.fn = "average"
	if f := q.Get("intervalFunc"); f != "" {
		if !intervalFuncs[f] {
			return sq, true, schemaErr("intervalFunc must be one of average, sum, count (min and max are also accepted)")
		}
		sq.fn = f
	}
	sq.limit = rawDefaultCount
	if c := q.Get("count"); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 1 {
			return sq, true, schemaErr("count must be a positive integer")
		}
		sq.limit = min(n, rawMaxCount)
	}
	if !hasStart {
		if sq.intervalMs != 0 {
			return sq, true, schemaErr("dataStart is required with an interval")
		}
		sq.start = 0
	}
	if sq.start >= sq.end {
		return sq, true, inputErr("dataStart must be before dataEnd")
	}
	if sq.intervalMs > 0 && (sq.end-sq.start)/sq.intervalMs > maxBuckets {
		return sq, true, inputErr("too many intervals between dataStart and dataEnd; use a longer interval")
	}
	return sq, true, nil
}

// parseQueryTime reads an ISO-8601 time (offsets +09:00 or +0900, or Z) or
// ms since the epoch. A '+' sent unencoded arrives as a space; it is put back.
func parseQueryTime(v string) (int64, error) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return n, nil
	}
	v = strings.ReplaceAll(v, " ", "+")
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, fmt.Errorf("%q is not an ISO-8601 time", v)
}

// query answers a series query: data is [value, time, …] (value first, raw
// values strings, aggregated values numbers, times ms numbers) and _meta.
func (l *seriesLeaf) query(q seriesQuery) ([]any, map[string]any) {
	i0, i1 := l.search(q.start), l.search(q.end)
	data := []any{}
	meta := map[string]any{"dataStart": q.start, "dataEnd": q.end, "interval": q.interval}
	if q.intervalMs == 0 {
		if i1-i0 > q.limit {
			i0 = i1 - q.limit
		}
		for i := i0; i < i1; i++ {
			p := l.at(i)
			data = append(data, l.valueOut(p.v), p.t)
		}
		if q.start == 0 { // no dataStart: the range starts at the first value returned
			meta["dataStart"] = q.end
			if i1 > i0 {
				meta["dataStart"] = l.at(i0).t
			}
		}
		meta["count"] = i1 - i0
		return data, meta
	}
	var agg bucketAgg
	bucket := int64(math.MinInt64)
	flush := func() {
		if v, ok := agg.result(q.fn); ok {
			data = append(data, v, bucket)
		}
	}
	for i := i0; i < i1; i++ {
		p := l.at(i)
		b := p.t - ((p.t%q.intervalMs)+q.intervalMs)%q.intervalMs
		if b != bucket {
			if bucket != math.MinInt64 {
				flush()
			}
			bucket, agg = b, bucketAgg{}
		}
		agg.add(p.v)
	}
	if bucket != math.MinInt64 {
		flush()
	}
	meta["count"] = len(data) / 2
	meta["stat"] = q.fn
	return data, meta
}

// bucketAgg aggregates one interval. Non-numeric values only count.
type bucketAgg struct {
	all, n        int
	sum, min, max float64
}

func (a *bucketAgg) add(v string) {
	a.all++
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return
	}
	if a.n == 0 || f < a.min {
		a.min = f
	}
	if a.n == 0 || f > a.max {
		a.max = f
	}
	a.n++
	a.sum += f
}

func (a *bucketAgg) result(fn string) (float64, bool) {
	if fn == "count" {
		return float64(a.all), a.all > 0
	}
	if a.n == 0 {
		return 0, false
	}
	switch fn {
	case "sum":
		return round4(a.sum), true
	case "min":
		return a.min, true
	case "max":
		return a.max, true
	default:
		return round4(a.sum / float64(a.n)), true
	}
}

func round4(f float64) float64 { return math.Round(f*1e4) / 1e4 }

// getSeries: GET …/sensors/{id}/series → data = sensor with its series leaf.
func (d *deviceArea) getSeries(w http.ResponseWriter, r *http.Request) {
	if !d.s.requireScope(w, r, "gateway-read") {
		return
	}
	q, given, err := parseSeriesQuery(r.URL.Query(), d.s.nowMs())
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	p := principalOf(r)
	d.mu.RLock()
	_, sn, err := d.sensorOfLocked(p.UserID, r.PathValue("owner"), r.PathValue("id"))
	if err != nil {
		d.mu.RUnlock()
		writeAreaErr(w, err)
		return
	}
	v := sensorView(sn, false)
	var sq *seriesQuery
	if given {
		sq = &q
	}
	leaf := seriesView(sn, sq)
	v.Series = leaf
	d.mu.RUnlock()
	writeData(w, http.StatusOK, v, leaf.Meta)
}

// seriesInput is one pushed value: value a string (an object for object
// types), time integer ms (required, as Thing+ requires it).
type seriesInput struct {
	Value json.RawMessage `json:"value"`
	Time  json.RawMessage `json:"time"`
}

// parseSeriesBody reads the PUT series body: one object or an array (oldest first).
func parseSeriesBody(r *http.Request, object bool, now int64) (pts []point, multi bool, err error) {
	var raw json.RawMessage
	if err := decodeStrict(r, &raw); err != nil {
		return nil, false, err
	}
	raw = bytes.TrimSpace(raw)
	var items []json.RawMessage
	switch {
	case len(raw) > 0 && raw[0] == '[':
		multi = true
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, true, schemaErr("invalid body: " + err.Error())
		}
		if len(items) == 0 {
			return nil, true, schemaErr("the array of values is empty")
		}
	case len(raw) > 0 && raw[0] == '{':
		items = []json.RawMessage{raw}
	default:
		return nil, false, schemaErr("body must be an object {value, time} or an array of them")
	}
	for i, it := range items {
		var in seriesInput
		dec := json.NewDecoder(bytes.NewReader(it))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return nil, multi, schemaErr(fmt.Sprintf("value %d: %v", i, err))
		}
		p, err := seriesPoint(in, object, now)
		if err != nil {
			return nil, multi, schemaErr(fmt.Sprintf("value %d: %v", i, err))
		}
		if len(pts) > 0 && p.t < pts[len(pts)-1].t {
			return nil, multi, inputErr(fmt.Sprintf("value %d: times must be in ascending order", i))
		}
		pts = append(pts, p)
	}
	return pts, multi, nil
}

func seriesPoint(in seriesInput, object bool, now int64) (point, error) {
	v := bytes.TrimSpace(in.Value)
	var p point
	switch {
	case len(v) == 0 || string(v) == "null":
		return p, fmt.Errorf("value is required")
	case v[0] == '"':
		if object {
			return p, fmt.Errorf("value must be an object for this sensor type")
		}
		if err := json.Unmarshal(v, &p.v); err != nil {
			return p, err
		}
	case v[0] == '{':
		if !object {
			return p, fmt.Errorf("value must be a string (send numbers as strings, e.g. \"36.5\")")
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, v); err != nil {
			return p, err
		}
		p.v = buf.String()
	default:
		return p, fmt.Errorf("value must be a string (send numbers as strings, e.g. \"36.5\")")
	}
	t := bytes.TrimSpace(in.Time)
	if len(t) == 0 || string(t) == "null" {
		return p, fmt.Errorf("time is required (integer ms since the epoch)")
	}
	n, err := strconv.ParseInt(string(t), 10, 64)
	if err != nil || n < 0 {
		return p, fmt.Errorf("time must be an integer number of ms since the epoch")
	}
	p.t = n
	return p, nil
}

// putSeries: PUT …/sensors/{id}/series stores values; the answer is the
// series leaf, with seriesPack when an array was sent (§9.6).
func (d *deviceArea) putSeries(w http.ResponseWriter, r *http.Request) {
	if !d.s.requireScope(w, r, "gateway-update") {
		return
	}
	p := principalOf(r)
	d.mu.RLock()
	_, sn, err := d.sensorOfLocked(p.UserID, r.PathValue("owner"), r.PathValue("id"))
	object := err == nil && sn.Series.object
	d.mu.RUnlock()
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	pts, multi, err := parseSeriesBody(r, object, d.s.nowMs())
	if err != nil {
		writeAreaErr(w, err)
		return
	}
	d.mu.Lock()
	_, sn, err = d.sensorOfLocked(p.UserID, r.PathValue("owner"), r.PathValue("id"))
	if err == nil {
		err = d.appendLocked(sn, pts, false)
	}
	if err != nil {
		d.mu.Unlock()
		writeAreaErr(w, err)
		return
	}
	leaf := seriesView(sn, nil)
	if multi {
		pack := make([]map[string]any, len(pts))
		for i, pt := range pts {
			pack[i] = map[string]any{"value": sn.Series.valueOut(pt.v), "time": pt.t}
		}
		leaf.SeriesPack = pack
	}
	info := d.infoLocked(sn)
	d.mu.Unlock()
	d.notify(info, pts)
	writeData(w, http.StatusOK, leaf, nil)
}
