package gateways

import (
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

// seriesData is what the sensor page and the CSV are made of.
type seriesData struct {
	sensor     thingplus.Sensor
	typ        thingplus.SensorType
	known      bool // the sensor type was found
	fn         string
	start, end time.Time
	points     []thingplus.Point // numeric, in range, sorted
	raw        []thingplus.Point // every point in range (CSV)
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

// loadSeries reads the sensor (status, latest value) and the sensor types,
// then the series of the range folded as the type advises.
func (h *Handler) loadSeries(ctx context.Context, token, gwID, id string, r rangeSpec, now time.Time) (seriesData, error) {
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
	d.typ, d.known = typeIndex(types)[d.sensor.Type]
	d.fn = intervalFunc(d.typ, d.known)
	d.start, d.end = r.window(now)
	leaf, err := h.src.Series(ctx, token, gwID, id, thingplus.SeriesQuery{
		DataStart: d.start, DataEnd: d.end, Interval: r.Interval, IntervalFunc: d.fn})
	if err != nil {
		return d, err
	}
	s, e := d.start.UnixMilli(), d.end.UnixMilli()
	for _, p := range leaf.Data {
		if int64(p.Time) >= s && int64(p.Time) < e {
			d.raw = append(d.raw, p)
		}
	}
	d.points = numericIn(d.raw, d.start, d.end)
	return d, nil
}

// sensorPageOf builds the sensor page's view model.
func (v viewer) sensorPageOf(gwID, gwName string, d seriesData, r rangeSpec) vt.SensorPage {
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
	p := vt.SensorPage{
		Title: name, GatewayName: gwName, GatewayHref: gatewayHref(gwID),
		ID: d.sensor.ID, Type: row.Type, Value: row.Value, Age: row.Age, Status: row.Status,
		Ranges:  rangeLinks(v.ctx, gwID, d.sensor.ID, r.Key),
		CSVHref: sensorHref(gwID, d.sensor.ID) + "/series.csv?range=" + r.Key, CSVLabel: text.T(v.ctx, "gw.csv"),
	}
	unit := ""
	if d.known && d.typ.Unit != "" {
		unit = " " + d.typ.Unit
	}
	dp := int(d.typ.DecimalPlace)
	f := func(x float64) string { return formatNumber(x, dp) + unit }
	from, to := v.absolute(d.start), v.absolute(d.end)
	title := fmt.Sprintf(text.T(v.ctx, "gw.chart.title"), name, text.T(v.ctx, "gw.range."+r.Key+".noun"))
	st := statsOf(d.points)
	desc := fmt.Sprintf(text.T(v.ctx, "gw.chart.desc.empty"), from, to)
	if st.n > 0 {
		desc = fmt.Sprintf(text.T(v.ctx, "gw.chart.desc"), from, to, f(st.min), f(st.max), f(st.avg))
		p.Stats = []vt.Stat{
			{Label: text.T(v.ctx, "gw.stat.min"), Value: f(st.min), Testid: "sensor-min"},
			{Label: text.T(v.ctx, "gw.stat.max"), Value: f(st.max), Testid: "sensor-max"},
			{Label: text.T(v.ctx, "gw.stat.avg"), Value: f(st.avg), Testid: "sensor-avg"},
		}
	}
	p.Stats = append(p.Stats, vt.Stat{Label: text.T(v.ctx, "gw.stat.count"), Value: strconv.Itoa(st.n), Testid: "sensor-count"})
	p.Chart = v.buildChart(d.points, d.start, d.end, r, title, desc)
	p.Summary = fmt.Sprintf(text.T(v.ctx, "gw.summary"), st.n, text.T(v.ctx, "gw.every."+r.Interval), text.T(v.ctx, "gw.func."+d.fn))
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

func rangeLinks(ctx context.Context, gwID, id, cur string) []vt.RangeLink {
	links := make([]vt.RangeLink, len(ranges))
	for i, r := range ranges {
		links[i] = vt.RangeLink{Label: text.T(ctx, "gw.range."+r.Key), Href: sensorHref(gwID, id) + "?range=" + r.Key, Current: r.Key == cur}
	}
	return links
}

// sensor serves /gateways/{gw}/sensors/{id}?range=hour|day|week.
func (h *Handler) sensor(c *gin.Context) {
	gwID, id := c.Param("gw"), c.Param("id")
	v := h.viewerOf(c)
	r := rangeOf(c.Query("range"))
	token := web.TokenOf(c)
	key := userKey(c) + "|sensor|" + gwID + "|" + id + "|" + r.Key

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
		d, err = h.loadSeries(ctx, token, gwID, id, r, v.now)
		return err
	})
	err := g.Wait()
	status := http.StatusOK
	var p vt.SensorPage
	switch {
	case err == nil:
		p = v.sensorPageOf(gwID, gwName, d, r)
		h.last.put(key, p, v.now)
	case isUnavailable(err):
		status = http.StatusServiceUnavailable
		slog.WarnContext(c.Request.Context(), "sensor: Thing+ unavailable", "err", err)
		if last, at, ok := lastOf[vt.SensorPage](h.last, key); ok {
			p = last
			p.Notice = vt.Notice{Kind: "warn", Text: fmt.Sprintf(text.T(c, "gw.asof"), v.absolute(at))}
		} else {
			start, end := r.window(v.now)
			p = vt.SensorPage{Title: id, GatewayName: gwID, GatewayHref: gatewayHref(gwID), ID: id,
				Value: text.T(c, "gw.novalue"), Status: badgeOf(c, stOff),
				Ranges: rangeLinks(c, gwID, id, r.Key), CSVHref: sensorHref(gwID, id) + "/series.csv?range=" + r.Key, CSVLabel: text.T(c, "gw.csv"),
				Notice: vt.Notice{Kind: "warn", Text: text.T(c, "gw.unavailable")}}
			p.Chart = v.buildChart(nil, start, end, r, id, fmt.Sprintf(text.T(c, "gw.chart.desc.empty"), v.absolute(start), v.absolute(end)))
		}
	default:
		web.Fail(c, err)
		return
	}
	web.Render(c, status, web.Page{Title: p.Title, Active: "gateways"}, vt.SensorPageView(p))
}

// csv serves the chart's data: time in the user's zone, epoch ms, value.
func (h *Handler) csv(c *gin.Context) {
	gwID, id := c.Param("gw"), c.Param("id")
	v := h.viewerOf(c)
	r := rangeOf(c.Query("range"))
	d, err := h.loadSeries(c.Request.Context(), web.TokenOf(c), gwID, id, r, v.now)
	if err != nil {
		web.Fail(c, err)
		return
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"time", "time_ms", "value"})
	for _, p := range d.raw {
		_ = w.Write([]string{p.Time.Time().In(v.loc).Format(time.RFC3339), strconv.FormatInt(int64(p.Time), 10), csvSafe(p)})
	}
	w.Flush()
	name := fileSafe(id) + "-" + r.Key + ".csv"
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
