package gateways

import (
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/sync/errgroup"

	"github.com/thingplus/thingplus-webapp/handlers/web"
	"github.com/thingplus/thingplus-webapp/thingplus"
	vt "github.com/thingplus/thingplus-webapp/views/gateways"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// maxTableRows bounds the data table under the chart.
const maxTableRows = 2000

// maxRawEvents bounds the raw events read to draw a counter's bars.
const maxRawEvents = 10080

// StatsReader reads Thing+'s statistics of a range (statFunc). Optional:
// without it, or when Thing+ refuses, the figures are computed here.
type StatsReader interface {
	SeriesStats(ctx context.Context, token, gatewayID, sensorID string, start, end time.Time) (thingplus.SeriesStat, error)
}

// seriesData is what the sensor page and the CSV are made of.
type seriesData struct {
	sensor     thingplus.Sensor
	typ        thingplus.SensorType
	known      bool // the sensor type was found
	fn         string
	start, end time.Time
	points     []thingplus.Point // numeric, in range, sorted
	raw        []thingplus.Point // every point in range (CSV)
	counter    bool              // IN/OUT events: drawn as bars
	bars       []bucket
	upstream   *thingplus.SeriesStat // Thing+'s statistics, when it gave them
}

// intervalFunc is how Thing+ folds a bucket: the type's chart advice, sums
// for event types (door counts), else the average.
func intervalFunc(t thingplus.SensorType, known bool) string {
	if known && t.Chart != nil {
		switch t.Chart.IntervalFunc {
		case "average", "sum", "count":
			return t.Chart.IntervalFunc
		}
		if t.Chart.DataType == "event" {
			return "sum"
		}
	}
	return "average"
}

// isCounter reports whether a sensor counts people in (+1) and out (-1):
// its chart shows both directions, not their net sum.
func isCounter(s thingplus.Sensor) bool { return s.Type == counterType }

// loadSeries reads the sensor (status, latest value) and the sensor types,
// then the series of the range folded as asked (or as the type advises).
// Counters read raw events and are bucketed here into IN and OUT.
func (h *Handler) loadSeries(ctx context.Context, token, gwID, id string, cq chartQuery, now time.Time) (seriesData, error) {
	var d seriesData
	var types []thingplus.SensorType
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		d.sensor, err = h.src.Sensor(gctx, token, gwID, id, sensorsQuery)
		return err
	})
	optional(g, gctx, "sensor types", h.src.SensorTypes, &types)
	if err := g.Wait(); err != nil {
		return d, err
	}
	r := cq.Range
	d.typ, d.known = typeIndex(types)[d.sensor.Type]
	d.fn = cmp.Or(cq.Fn, intervalFunc(d.typ, d.known))
	d.start, d.end = r.window(now)
	d.counter = isCounter(d.sensor) && cq.Fn == ""
	g, gctx = errgroup.WithContext(ctx)
	g.Go(func() error {
		q := thingplus.SeriesQuery{DataStart: d.start, DataEnd: d.end, Interval: r.Interval, IntervalFunc: d.fn}
		if d.counter {
			q = thingplus.SeriesQuery{DataStart: d.start, DataEnd: d.end, Interval: "0", Count: maxRawEvents}
		}
		leaf, err := h.src.Series(gctx, token, gwID, id, q)
		if err != nil {
			return err
		}
		s, e := d.start.UnixMilli(), d.end.UnixMilli()
		for _, p := range leaf.Data {
			if int64(p.Time) >= s && int64(p.Time) < e {
				d.raw = append(d.raw, p)
			}
		}
		return nil
	})
	if sr, ok := h.src.(StatsReader); ok {
		g.Go(func() error {
			st, err := sr.SeriesStats(gctx, token, gwID, id, d.start, d.end)
			if err == nil && st.Has["count"] {
				d.upstream = &st
			} else if err != nil {
				slog.DebugContext(gctx, "sensor: no Thing+ statistics, computing here", "err", err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return d, err
	}
	d.points = numericIn(d.raw, d.start, d.end)
	if d.counter {
		d.bars = bucketsOf(d.points, d.start, d.end, r.Step)
	}
	return d, nil
}

// bucketsOf folds ±1 events into IN and OUT per step.
func bucketsOf(pts []thingplus.Point, start, end time.Time, step time.Duration) []bucket {
	n := int(end.Sub(start) / step)
	if n <= 0 || n > maxPoints*2 {
		return nil
	}
	out := make([]bucket, n)
	for i := range out {
		out[i].t = start.Add(time.Duration(i) * step)
	}
	for _, p := range pts {
		i := int(p.Time.Time().Sub(start) / step)
		if i < 0 || i >= n {
			continue
		}
		if p.Value > 0 {
			out[i].in += p.Value
		} else {
			out[i].out -= p.Value
		}
	}
	return out
}

// sensorPageOf builds the sensor page's view model.
func (v viewer) sensorPageOf(gwID, gwName string, d seriesData, cq chartQuery) vt.SensorPage {
	r := cq.Range
	name := clip(d.sensor.Name, 200)
	if strings.TrimSpace(name) == "" {
		name = d.sensor.ID
	}
	if d.sensor.ID == "" {
		d.sensor.ID = name
	}
	types := map[string]thingplus.SensorType{}
	if d.known {
		types[d.sensor.Type] = d.typ
	}
	row := v.sensorRow(gwID, &d.sensor, types)
	p := v.sensorShell(gwID, d.sensor.ID, cq)
	p.Title, p.GatewayName = name, gwName
	p.Type, p.Value, p.Age, p.Status = row.Type, row.Value, row.Age, row.Status
	unit := ""
	if d.known && d.typ.Unit != "" && !d.counter { // a counter's axis already says "people"
		unit = " " + d.typ.Unit
	}
	dp := int(d.typ.DecimalPlace)
	f := func(x float64) string { return formatNumber(x, dp) + unit }
	from, to := v.absolute(d.start), v.absolute(d.end)
	title := fmt.Sprintf(text.T(v.ctx, "gw.chart.title"), name, rangeNoun(v.ctx, cq))
	st := statsOf(d.points)
	desc := fmt.Sprintf(text.T(v.ctx, "gw.chart.desc.empty"), from, to)
	if st.n > 0 {
		desc = fmt.Sprintf(text.T(v.ctx, "gw.chart.desc"), from, to, f(st.min), f(st.max), f(st.avg))
	}
	p.Stats, p.StatsNote = v.statsBlock(d, f)
	in := chartIn{pts: d.points, bars: d.bars, start: d.start, end: d.end, r: r, title: title, desc: desc,
		yTitle: yTitle(v.ctx, d, unit, r.Interval), format: f}
	if d.counter {
		in.format = func(x float64) string { return formatNumber(x, 0) }
	}
	p.Chart = v.buildChart(in)
	p.Summary = text.N(v.ctx, "gw.summary", st.n, stepText(v.ctx, r.Interval), text.T(v.ctx, "gw.func."+d.fn))
	p.ValueHead = text.T(v.ctx, "gw.func.head."+d.fn)
	if d.counter {
		p.Summary = text.N(v.ctx, "gw.summary.counter", st.n, stepText(v.ctx, r.Interval))
		p.ValueHead = text.T(v.ctx, "gw.col.event")
	}
	rows := d.points
	if len(rows) > maxTableRows {
		rows = rows[len(rows)-maxTableRows:]
	}
	p.Points = make([]vt.PointRow, len(rows))
	for i, pt := range rows {
		p.Points[i] = vt.PointRow{Time: pt.Time.Time().In(v.loc).Format("2006-01-02 15:04"), Value: formatNumber(pt.Value, dp)}
	}
	return p
}

// sensorShell is the part of the sensor page that needs no Thing+ data:
// links, the picker with what was asked, and the live panel's URL.
func (v viewer) sensorShell(gwID, id string, cq chartQuery) vt.SensorPage {
	q := cq.values().Encode()
	return vt.SensorPage{Title: id, GatewayName: gwID, GatewayHref: gatewayHref(gwID), ID: id,
		Value: text.T(v.ctx, "gw.novalue"), Status: badgeOf(v.ctx, stOff, 0),
		Ranges:  rangeLinks(v.ctx, gwID, id, cq.Range.Key),
		CSVHref: sensorHref(gwID, id) + "/series.csv?" + q, CSVLabel: text.T(v.ctx, "gw.csv"),
		Live: vt.Live{URL: sensorHref(gwID, id) + "?" + q, Updated: vt.Ago{Text: text.T(v.ctx, "gw.justnow"), Title: v.absolute(v.now), Ms: strconv.FormatInt(v.now.UnixMilli(), 10)}},
		Form: chartFormOf(v.ctx, sensorHref(gwID, id), cq),
	}
}

// yTitle names the value axis: the type and its unit, or "people" per step.
func yTitle(ctx context.Context, d seriesData, unit, interval string) string {
	if d.counter {
		return fmt.Sprintf(text.T(ctx, "gw.chart.people"), stepText(ctx, interval))
	}
	t := d.sensor.Type
	if t == "" {
		t = text.T(ctx, "gw.chart.value")
	}
	if u := strings.TrimSpace(unit); u != "" {
		return t + " (" + u + ")"
	}
	return t
}

// everyText is "one per 15 minutes" for an interval key.
func stepText(ctx context.Context, iv string) string { return text.T(ctx, "gw.every."+iv) }

// rangeNoun is "hour", "30 days" or "2025-06-01 – 2025-06-07".
func rangeNoun(ctx context.Context, cq chartQuery) string {
	if cq.Range.Key == "custom" {
		return cq.From + " – " + cq.To
	}
	return text.T(ctx, "gw.range."+cq.Range.Key+".noun")
}

// statsBlock shows Thing+'s statistics when it gave them, else the same
// figures computed from the points read (raw events for counters, buckets
// otherwise, which the note says).
func (v viewer) statsBlock(d seriesData, f func(float64) string) ([]vt.Stat, string) {
	if d.counter {
		in, out := 0.0, 0.0
		for _, b := range d.bars {
			in, out = in+b.in, out+b.out
		}
		n := func(x float64) string { return formatNumber(x, 0) }
		return []vt.Stat{
			{Label: text.T(v.ctx, "gw.chart.in"), Value: n(in), Testid: "sensor-in"},
			{Label: text.T(v.ctx, "gw.chart.out"), Value: n(out), Testid: "sensor-out"},
			{Label: text.T(v.ctx, "gw.stat.net"), Value: n(in - out), Testid: "sensor-net"},
			{Label: text.T(v.ctx, "gw.stat.count"), Value: strconv.Itoa(len(d.points)), Testid: "sensor-count"},
		}, text.T(v.ctx, "gw.stat.local.raw")
	}
	if u := d.upstream; u != nil {
		var out []vt.Stat
		add := func(key, testid string, val string) {
			if u.Has[key] {
				out = append(out, vt.Stat{Label: text.T(v.ctx, "gw.stat."+key), Value: val, Testid: testid})
			}
		}
		add("count", "sensor-count", strconv.Itoa(u.Count))
		add("min", "sensor-min", f(u.Min))
		add("max", "sensor-max", f(u.Max))
		add("avg", "sensor-avg", f(u.Avg))
		add("sum", "sensor-sum", f(u.Sum))
		add("first", "sensor-first", f(u.First))
		add("last", "sensor-last", f(u.Last))
		return out, text.T(v.ctx, "gw.stat.thingplus")
	}
	st := statsOf(d.points)
	out := []vt.Stat{{Label: text.T(v.ctx, "gw.stat.count"), Value: strconv.Itoa(st.n), Testid: "sensor-count"}}
	if st.n > 0 {
		out = append(out,
			vt.Stat{Label: text.T(v.ctx, "gw.stat.min"), Value: f(st.min), Testid: "sensor-min"},
			vt.Stat{Label: text.T(v.ctx, "gw.stat.max"), Value: f(st.max), Testid: "sensor-max"},
			vt.Stat{Label: text.T(v.ctx, "gw.stat.avg"), Value: f(st.avg), Testid: "sensor-avg"},
			vt.Stat{Label: text.T(v.ctx, "gw.stat.sum"), Value: f(st.sum), Testid: "sensor-sum"},
			vt.Stat{Label: text.T(v.ctx, "gw.stat.first"), Value: f(d.points[0].Value), Testid: "sensor-first"},
			vt.Stat{Label: text.T(v.ctx, "gw.stat.last"), Value: f(d.points[len(d.points)-1].Value), Testid: "sensor-last"})
	}
	return out, fmt.Sprintf(text.T(v.ctx, "gw.stat.local"), text.T(v.ctx, "gw.func."+d.fn))
}

func rangeLinks(ctx context.Context, gwID, id, cur string) []vt.RangeLink {
	links := make([]vt.RangeLink, len(ranges))
	for i, r := range ranges {
		links[i] = vt.RangeLink{Label: text.T(ctx, "gw.range."+r.Key), Href: sensorHref(gwID, id) + "?range=" + r.Key, Current: r.Key == cur}
	}
	return links
}

// chartFormOf fills the picker with the current choice selected.
func chartFormOf(ctx context.Context, action string, cq chartQuery) vt.ChartForm {
	f := vt.ChartForm{Action: action, From: cq.From, To: cq.To}
	for _, r := range append(ranges, rangeSpec{Key: "custom"}) {
		f.Ranges = append(f.Ranges, vt.Option{Value: r.Key, Label: text.T(ctx, "gw.range."+r.Key), Selected: r.Key == cq.Range.Key})
	}
	f.Every = []vt.Option{{Value: "", Label: text.T(ctx, "gw.q.auto"), Selected: cq.Every == ""}}
	for _, iv := range intervals {
		f.Every = append(f.Every, vt.Option{Value: iv.Key, Label: stepText(ctx, iv.Key), Selected: cq.Every == iv.Key})
	}
	f.Fn = []vt.Option{{Value: "", Label: text.T(ctx, "gw.q.auto"), Selected: cq.Fn == ""}}
	for _, fn := range intervalFuncs {
		f.Fn = append(f.Fn, vt.Option{Value: fn, Label: text.T(ctx, "gw.func."+fn), Selected: cq.Fn == fn})
	}
	if cq.Problem != "" {
		f.Problem = text.T(ctx, cq.Problem)
	}
	return f
}

// sensor serves /gateways/{gw}/sensors/{id}?range=hour|day|week|month|custom
// (&from=&to=)(&every=)(&fn=). The page polls itself: htmx asks for the
// same URL and gets the same component.
func (h *Handler) sensor(c *gin.Context) {
	gwID, id := c.Param("gw"), c.Param("id")
	v := h.viewerOf(c)
	cq := chartQueryOf(c.Request.URL.Query(), v.loc)
	token := web.TokenOf(c)
	key := userKey(c) + "|sensor|" + gwID + "|" + id + "|" + cq.values().Encode()

	var d seriesData
	gwName := gwID
	g, ctx := errgroup.WithContext(c.Request.Context())
	g.Go(func() error {
		gw, err := h.src.Gateway(ctx, token, gwID, gatewaysQuery)
		if err == nil && strings.TrimSpace(gw.Name) != "" {
			gwName = clip(gw.Name, 200)
		}
		return err
	})
	g.Go(func() error {
		var err error
		d, err = h.loadSeries(ctx, token, gwID, id, cq, v.now)
		return err
	})
	err := g.Wait()
	status := http.StatusOK
	var p vt.SensorPage
	switch {
	case err == nil:
		p = v.sensorPageOf(gwID, gwName, d, cq)
		h.last.put(key, p, v.now)
	case isUnavailable(err):
		status = http.StatusServiceUnavailable
		slog.WarnContext(c.Request.Context(), "sensor: Thing+ unavailable", "err", err)
		if last, at, ok := lastOf[vt.SensorPage](h.last, key); ok {
			p = last
			p.Notice = vt.Notice{Kind: "warn", Text: web.InPlaceAsOf(c, err, "gw.asof", v.absolute(at))}
		} else {
			start, end := cq.Range.window(v.now)
			p = v.sensorShell(gwID, id, cq)
			p.Notice = vt.Notice{Kind: "warn", Text: web.InPlace(c, err, "gw.unavailable")}
			p.Chart = v.buildChart(chartIn{start: start, end: end, r: cq.Range, title: id,
				desc: fmt.Sprintf(text.T(c, "gw.chart.desc.empty"), v.absolute(start), v.absolute(end))})
		}
	default:
		web.Fail(c, err)
		return
	}
	p.Live.PollSec = int(h.poll / time.Second)
	web.Render(c, status, web.Page{Title: p.Title, Active: "gateways"}, vt.SensorPageView(p))
}

// csv serves the chart's data: time in the user's zone, epoch ms, value.
func (h *Handler) csv(c *gin.Context) {
	gwID, id := c.Param("gw"), c.Param("id")
	v := h.viewerOf(c)
	cq := chartQueryOf(c.Request.URL.Query(), v.loc)
	d, err := h.loadSeries(c.Request.Context(), web.TokenOf(c), gwID, id, cq, v.now)
	if err != nil {
		web.Fail(c, err)
		return
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"time", "time_ms", "value"})
	for _, p := range d.raw {
		_ = w.Write([]string{p.Time.Time().In(v.loc).Format(web.CSVTimeLayout), strconv.FormatInt(int64(p.Time), 10), csvSafe(p)})
	}
	w.Flush()
	name := fileSafe(id) + "-" + cq.Range.Key + ".csv"
	c.Header("Content-Disposition", `attachment; filename="`+name+`"; filename*=UTF-8''`+url.PathEscape(name))
	c.Data(http.StatusOK, "text/csv; charset=utf-8", []byte(b.String()))
}

// csvSafe neutralises spreadsheet formulas in text values; numbers (even
// negative ones, like a door's "-1") stay as they are.
func csvSafe(p thingplus.Point) string {
	s := p.Text
	if p.Numeric {
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return s
		}
		return formatNumber(p.Value, 0)
	}
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// fileSafe keeps a name to letters, digits, dot, dash and underscore.
func fileSafe(s string) string {
	b := []byte(s)
	for i, ch := range b {
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '.' || ch == '-' || ch == '_') {
			b[i] = '_'
		}
	}
	if len(b) > 100 {
		b = b[:100]
	}
	return string(b)
}
