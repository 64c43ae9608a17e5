package gateways

import (
	"bytes"
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"

	"github.com/thingplus/thingplus-webapp/thingplus"
	vt "github.com/thingplus/thingplus-webapp/views/gateways"
)

// renderChart draws a chart through the real component and parses it.
func renderChart(t *testing.T, c vt.Chart) *goquery.Document {
	t.Helper()
	p := vt.SensorPage{Title: "t", Chart: c, Live: vt.Live{URL: "/x"}}
	var buf bytes.Buffer
	if err := vt.SensorLive(p).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func pointsEvery(start time.Time, n int, step time.Duration) []thingplus.Point {
	pts := make([]thingplus.Point, n)
	for i := range pts {
		pts[i] = thingplus.Point{Time: thingplus.Millis(start.Add(time.Duration(i) * step).UnixMilli()), Value: 20 + float64(i%7), Numeric: true}
	}
	return pts
}

// labelWidth over-estimates a label's width at the chart's 12-unit font.
func labelWidth(s string) float64 { return float64(utf8.RuneCountInString(s)) * 7.5 }

// Every time label stays inside the SVG, at the edges too: the empty
// chart clipped its last label ("03:0").
func TestChartNoClippedLabels(t *testing.T) {
	v := fuzzViewer()
	for _, r := range ranges {
		start, end := r.window(v.now)
		for _, pts := range [][]thingplus.Point{nil, pointsEvery(start, int(r.Span/r.Step), r.Step)} {
			c := v.buildChart(chartIn{pts: pts, start: start, end: end, r: r, yTitle: "temperature (°C)"})
			doc := renderChart(t, c)
			ticks := doc.Find(`[data-testid="chart-xtick"]`)
			if ticks.Length() < 3 {
				t.Fatalf("%s: %d time labels", r.Key, ticks.Length())
			}
			ticks.Each(func(_ int, s *goquery.Selection) {
				x, _ := strconv.ParseFloat(s.AttrOr("x", ""), 64)
				w := labelWidth(s.Text())
				lo, hi := x-w/2, x+w/2
				switch s.AttrOr("text-anchor", "") {
				case "end":
					lo, hi = x-w, x
				case "start":
					lo, hi = x, x+w
				}
				if lo < 0 || hi > chartW {
					t.Errorf("%s: label %q at %.1f (%s) spans %.1f–%.1f, outside 0–%.0f", r.Key, s.Text(), x, s.AttrOr("text-anchor", ""), lo, hi, chartW)
				}
			})
		}
	}
}

// Both axes have titles: the value axis with its unit, the time axis with
// the user's zone.
func TestChartAxisTitles(t *testing.T) {
	v := fuzzViewer()
	r := rangeOf("hour")
	start, end := r.window(v.now)
	doc := renderChart(t, v.buildChart(chartIn{pts: pointsEvery(start, 60, time.Minute), start: start, end: end, r: r, yTitle: "temperature (°C)"}))
	if got := doc.Find(`[data-testid="chart-ytitle"]`).Text(); got != "temperature (°C)" {
		t.Errorf("value axis title %q", got)
	}
	if got := doc.Find(`[data-testid="chart-xtitle"]`).Text(); got != "Time (KST, UTC+9)" {
		t.Errorf("time axis title %q", got)
	}
	if !strings.Contains(doc.Find(`[data-testid="chart-ytitle"]`).AttrOr("transform", ""), "rotate(-90)") {
		t.Error("value axis title not rotated")
	}
}

// Day ticks carry the month ("30 Jun", "1 Jul"), never a bare weekday and
// day number, and a day range shows the date at midnight.
func TestChartTicksWithMonth(t *testing.T) {
	v := fuzzViewer()
	v.now = time.Date(2025, 7, 2, 10, 0, 0, 0, v.loc)
	for _, key := range []string{"week", "month"} {
		r := rangeOf(key)
		start, end := r.window(v.now)
		doc := renderChart(t, v.buildChart(chartIn{start: start, end: end, r: r}))
		doc.Find(`[data-testid="chart-xtick"]`).Each(func(_ int, s *goquery.Selection) {
			if _, err := time.Parse("2 Jan", s.Text()); err != nil {
				t.Errorf("%s: tick %q is not a day with its month", key, s.Text())
			}
		})
	}
	week := rangeOf("week")
	start, end := week.window(v.now)
	var labels []string
	renderChart(t, v.buildChart(chartIn{start: start, end: end, r: week})).Find(`[data-testid="chart-xtick"]`).Each(func(_ int, s *goquery.Selection) {
		labels = append(labels, s.Text())
	})
	if !strings.Contains(strings.Join(labels, ","), "30 Jun,1 Jul") {
		t.Errorf("week ticks %v lack the month change", labels)
	}
	day := rangeOf("day")
	start, end = day.window(v.now)
	var dayLabels []string
	renderChart(t, v.buildChart(chartIn{start: start, end: end, r: day})).Find(`[data-testid="chart-xtick"]`).Each(func(_ int, s *goquery.Selection) {
		dayLabels = append(dayLabels, s.Text())
	})
	if !strings.Contains(strings.Join(dayLabels, ","), "2 Jul") || !strings.Contains(strings.Join(dayLabels, ","), "12:00") {
		t.Errorf("day ticks %v", dayLabels)
	}
}

// Each point is a readout target with its value, unit and time; counters
// get IN and OUT bars.
func TestChartReadoutAndBars(t *testing.T) {
	v := fuzzViewer()
	r := rangeOf("hour")
	start, end := r.window(v.now)
	f := func(x float64) string { return formatNumber(x, 1) + " °C" }
	doc := renderChart(t, v.buildChart(chartIn{pts: pointsEvery(start, 3, time.Minute), start: start, end: end, r: r, format: f}))
	pts := doc.Find(`[data-testid="chart-pt"]`)
	want := "20.0 °C · " + start.In(v.loc).Format("2 Jan 2006 15:04")
	if pts.Length() != 3 || pts.First().AttrOr("data-label", "") != want || pts.First().Find("title").Text() != want {
		t.Errorf("readout targets: %d, first %q", pts.Length(), pts.First().AttrOr("data-label", ""))
	}
	if doc.Find(`svg[data-chart][tabindex="0"]`).Length() != 1 || doc.Find(`[data-chart-readout][aria-live="polite"]`).Length() != 1 {
		t.Error("chart not focusable or readout not live")
	}
	bars := bucketsOf([]thingplus.Point{
		{Time: thingplus.Millis(start.UnixMilli()), Value: 1, Numeric: true},
		{Time: thingplus.Millis(start.Add(10 * time.Second).UnixMilli()), Value: 1, Numeric: true},
		{Time: thingplus.Millis(start.Add(20 * time.Second).UnixMilli()), Value: -1, Numeric: true},
	}, start, end, r.Step)
	if len(bars) != 60 || bars[0].in != 2 || bars[0].out != 1 {
		t.Fatalf("buckets: %d, first %+v", len(bars), bars[0])
	}
	doc = renderChart(t, v.buildChart(chartIn{bars: bars, start: start, end: end, r: r}))
	if n := doc.Find(`[data-testid="chart-bar"]`).Length(); n != 120 {
		t.Errorf("%d bars, want 120", n)
	}
	if doc.Find(`[data-testid="chart-legend"] li`).Length() != 2 || doc.Find(`[data-testid="chart-line"]`).Length() != 0 {
		t.Error("counter chart: no legend, or a line")
	}
}

// The picker's query: custom dates in the user's zone, intervals that
// would give too many points, unknown functions; bad input keeps the
// typed dates and names the problem.
func TestChartQuery(t *testing.T) {
	loc := thingplus.Zone("+9.00")
	for _, c := range []struct {
		q        string
		key      string
		interval string
		problem  string
	}{
		{"", "hour", "1m", ""},
		{"range=month", "month", "6h", ""},
		{"range=custom&from=2025-06-01&to=2025-06-07", "custom", "1h", ""},
		{"range=custom&from=2025-06-01&to=2025-06-01", "custom", "15m", ""},
		{"range=custom&from=2025-06-07&to=2025-06-01", "hour", "1m", "gw.q.order"},
		{"range=custom&from=junk&to=2025-06-01", "hour", "1m", "gw.q.dates"},
		{"range=custom&from=2020-01-01&to=2025-06-01", "hour", "1m", "gw.q.long"},
		{"range=month&every=1m", "month", "6h", "gw.q.toomany"},
		{"range=day&every=1h", "day", "1h", ""},
		{"range=day&every=7m", "day", "15m", "gw.q.bad.every"},
		{"range=day&fn=median", "day", "15m", "gw.q.bad.fn"},
	} {
		q, _ := url.ParseQuery(c.q)
		cq := chartQueryOf(q, loc)
		if cq.Range.Key != c.key || cq.Range.Interval != c.interval || cq.Problem != c.problem {
			t.Errorf("%q: %s %s %q", c.q, cq.Range.Key, cq.Range.Interval, cq.Problem)
		}
		if c.problem != "" && cq.From != q.Get("from") {
			t.Errorf("%q: typed date lost", c.q)
		}
	}
	q, _ := url.ParseQuery("range=custom&from=2025-06-01&to=2025-06-07")
	cq := chartQueryOf(q, loc)
	if s, e := cq.Range.window(time.Now()); !s.Equal(time.Date(2025, 6, 1, 0, 0, 0, 0, loc)) || !e.Equal(time.Date(2025, 6, 8, 0, 0, 0, 0, loc)) {
		t.Errorf("custom window %v – %v", s, e)
	}
}

// The sensor page polls its own URL (with the picker's state) and keeps
// only its live section from the answer; a bad picker value is answered
// in place, with what was typed kept.
func TestSensorPageLive(t *testing.T) {
	hs := newHarness(t, 2)
	base := "/gateways/b827ebd0a001/sensors/b827ebd0a001-1-door2"
	for _, htmx := range []bool{false, true} {
		r := hs.get(base+"?range=day&every=1h&fn=sum", htmx)
		live := r.doc.Find(`#sensor-live`)
		if r.Code != 200 || live.Length() != 1 {
			t.Fatalf("htmx=%v: %d, %d live sections", htmx, r.Code, live.Length())
		}
		if got := live.AttrOr("hx-get", ""); got != base+"?every=1h&fn=sum&range=day" || live.AttrOr("hx-select", "") != "#sensor-live" || live.AttrOr("hx-trigger", "") != "every 15s" {
			t.Errorf("htmx=%v: poll %q %q %q", htmx, got, live.AttrOr("hx-select", ""), live.AttrOr("hx-trigger", ""))
		}
		if r.doc.Find(`[data-testid="sensor-updated"][data-since]`).Length() != 1 {
			t.Error("no 'updated n s ago'")
		}
	}
	r := hs.get(base+"?range=custom&from=2025-03-09&to=2025-03-01", false)
	if r.Code != 200 || !strings.Contains(r.doc.Find(`[data-testid="chart-form-problem"]`).Text(), "must not be before") ||
		r.doc.Find(`[data-testid="chart-from"]`).AttrOr("value", "") != "2025-03-09" {
		t.Errorf("bad dates: %d %q", r.Code, r.doc.Find(`[data-testid="chart-form-problem"]`).Text())
	}
}
