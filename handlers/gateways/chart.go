package gateways

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/thingplus/thingplus-webapp/thingplus"
	vt "github.com/thingplus/thingplus-webapp/views/gateways"
	"github.com/thingplus/thingplus-webapp/views/text"
)

// Chart geometry (SVG user units). The bottom pad holds the time labels
// and the axis title; the left pad the value labels and the rotated title.
const (
	chartW, chartH         = 720.0, 300.0
	padL, padR, padT, padB = 78.0, 16.0, 14.0, 62.0
	plotW, plotH           = chartW - padL - padR, chartH - padT - padB
	edge                   = 40.0 // a time label this close to an edge is anchored to it
)

func isNaNOrInf(f float64) bool { return math.IsNaN(f) || math.IsInf(f, 0) }

func coord(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// numericIn keeps the numeric points inside [start, end).
func numericIn(pts []thingplus.Point, start, end time.Time) []thingplus.Point {
	s, e := start.UnixMilli(), end.UnixMilli()
	out := make([]thingplus.Point, 0, len(pts))
	for _, p := range pts {
		if p.Numeric && !isNaNOrInf(p.Value) && int64(p.Time) >= s && int64(p.Time) < e {
			out = append(out, p)
		}
	}
	return out
}

type stats struct {
	min, max, avg, sum float64
	n                  int
}

func statsOf(pts []thingplus.Point) stats {
	if len(pts) == 0 {
		return stats{}
	}
	st := stats{min: pts[0].Value, max: pts[0].Value, n: len(pts)}
	sum := 0.0
	for _, p := range pts {
		st.min = math.Min(st.min, p.Value)
		st.max = math.Max(st.max, p.Value)
		sum += p.Value / float64(len(pts)) // no overflow for huge values
		st.sum += p.Value
	}
	st.avg = sum
	return st
}

// niceScale widens [lo, hi] to round tick values about n ticks apart. It
// never loops on absurd input: non-finite spans give the bounds alone.
func niceScale(lo, hi float64, n int) (float64, float64, float64, bool) {
	if hi == lo {
		pad := math.Abs(lo) * 0.1
		if pad == 0 || isNaNOrInf(pad) {
			pad = 1
		}
		lo, hi = lo-pad, hi+pad
	}
	span := hi - lo
	if isNaNOrInf(span) || span <= 0 {
		return lo, hi, 0, false
	}
	step := niceNum(span / float64(n-1))
	if step <= 0 || isNaNOrInf(step) {
		return lo, hi, 0, false
	}
	nlo, nhi := math.Floor(lo/step)*step, math.Ceil(hi/step)*step
	if isNaNOrInf(nlo) || isNaNOrInf(nhi) || nhi <= nlo || (nhi-nlo)/step > 20 {
		return lo, hi, 0, false
	}
	return nlo, nhi, step, true
}

func niceNum(x float64) float64 {
	exp := math.Floor(math.Log10(x))
	f := x / math.Pow(10, exp)
	var nf float64
	switch {
	case f <= 1:
		nf = 1
	case f <= 2:
		nf = 2
	case f <= 5:
		nf = 5
	default:
		nf = 10
	}
	return nf * math.Pow(10, exp)
}

func tickLabel(v, step float64) string {
	dec := 0
	if step > 0 && step < 1 {
		dec = int(math.Ceil(-math.Log10(step)))
		if dec > 6 {
			dec = 6
		}
	}
	s := strconv.FormatFloat(v, 'f', dec, 64)
	if s == "-0" {
		s = "0"
	}
	return s
}

// chartIn is what a chart is drawn from. pts must be numeric, in range and
// sorted; bars (counters) replace the line when set.
type chartIn struct {
	pts        []thingplus.Point
	bars       []bucket
	start, end time.Time
	r          rangeSpec
	title      string
	desc       string
	yTitle     string
	format     func(float64) string // a value with its unit
}

// bucket is one interval of a counter: people in and out.
type bucket struct {
	t       time.Time
	in, out float64
}

// buildChart computes every coordinate of the SVG: frame, grid, labels,
// axis titles, a polyline per unbroken run (a missing bucket breaks the
// line), a dot for each lone point, a focusable readout target per point,
// or grouped IN/OUT bars for counters.
func (v viewer) buildChart(in chartIn) vt.Chart {
	c := vt.Chart{
		ViewBox: "0 0 " + coord(chartW) + " " + coord(chartH),
		Title:   in.title, Desc: in.desc,
		Frame:  vt.Frame{X: coord(padL), Y: coord(padT), W: coord(plotW), H: coord(plotH)},
		XTitle: vt.AxisTitle{X: coord(padL + plotW/2), Y: coord(chartH - 8), Text: v.timeTitle()},
		YTitle: vt.AxisTitle{X: "0", Y: "0", Text: in.yTitle,
			Transform: "translate(18 " + coord(padT+plotH/2) + ") rotate(-90)"},
		Hint: text.T(v.ctx, "gw.chart.hint"),
	}
	s, e := in.start.UnixMilli(), in.end.UnixMilli()
	if e <= s {
		e = s + 1
	}
	x := func(ms int64) float64 { return padL + float64(ms-s)/float64(e-s)*plotW }
	c.XTicks = v.timeTicks(in.start, in.end, in.r.Tick, x)
	if in.format == nil {
		in.format = func(f float64) string { return formatNumber(f, -1) }
	}
	if len(in.bars) > 0 {
		v.drawBars(&c, in, x)
		return c
	}
	if len(in.pts) == 0 {
		c.Empty = text.T(v.ctx, "gw.chart.empty")
		return c
	}
	st := statsOf(in.pts)
	y := yAxis(&c, st.min, st.max)
	gap := int64(in.r.Step/time.Millisecond) * 3 / 2 // a missing bucket breaks the line
	var run []string
	var last int64
	flush := func() {
		switch len(run) {
		case 0:
		case 1:
			xy := strings.SplitN(run[0], ",", 2)
			c.Dots = append(c.Dots, vt.Dot{X: xy[0], Y: xy[1]})
		default:
			c.Lines = append(c.Lines, strings.Join(run, " "))
		}
		run = run[:0]
	}
	for i, p := range in.pts {
		t := int64(p.Time)
		if i > 0 && gap > 0 && t-last > gap {
			flush()
		}
		xs, ys := coord(x(t)), coord(y(p.Value))
		run = append(run, xs+","+ys)
		c.Points = append(c.Points, vt.ChartPoint{X: xs, Y: ys,
			Label: in.format(p.Value) + " · " + v.pointTime(p.Time.Time())})
		last = t
	}
	flush()
	return c
}

// yAxis sets the value ticks of c for [lo, hi] and returns the value → y map.
func yAxis(c *vt.Chart, lo, hi float64) func(float64) float64 {
	lo, hi, step, ok := niceScale(lo, hi, 5)
	y := func(val float64) float64 {
		f := padT + (hi-val)/(hi-lo)*plotH
		if isNaNOrInf(f) {
			return padT + plotH/2
		}
		return f
	}
	yvals := []float64{lo, hi}
	if ok {
		yvals = yvals[:0]
		for i := 0; i <= 20; i++ {
			val := lo + float64(i)*step
			if val > hi+step/2 {
				break
			}
			yvals = append(yvals, val)
		}
	}
	for _, val := range yvals {
		yy := coord(y(val))
		c.YTicks = append(c.YTicks, vt.Tick{X: coord(padL - 6), Y: yy, Label: tickLabel(val, step), Anchor: "end",
			X1: coord(padL), Y1: yy, X2: coord(padL + plotW), Y2: yy})
	}
	return y
}

// drawBars draws a counter: per interval an IN bar and an OUT bar side by
// side from zero, each a readout target.
func (v viewer) drawBars(c *vt.Chart, in chartIn, x func(int64) float64) {
	top := 0.0
	for _, b := range in.bars {
		top = math.Max(top, math.Max(b.in, b.out))
	}
	y := yAxis(c, 0, math.Max(top, 1))
	base := y(0)
	w := plotW / float64(in.end.Sub(in.start)/in.r.Step+1) / 2
	w = math.Max(math.Min(w, 24), 0.5)
	c.Legend = []vt.LegendItem{{Class: "chart-bar in", Label: text.T(v.ctx, "gw.chart.in")}, {Class: "chart-bar out", Label: text.T(v.ctx, "gw.chart.out")}}
	for _, b := range in.bars {
		x0 := x(b.t.UnixMilli())
		when := v.pointTime(b.t)
		for i, side := range []struct {
			cls, key string
			n        float64
		}{{"chart-bar in", "gw.chart.in", b.in}, {"chart-bar out", "gw.chart.out", b.out}} {
			yy := y(side.n)
			bx := x0 + float64(i)*w
			c.Bars = append(c.Bars, vt.Bar{X: coord(bx), Y: coord(yy), W: coord(w * 0.9), H: coord(math.Max(base-yy, 0)), Class: side.cls})
			c.Points = append(c.Points, vt.ChartPoint{X: coord(bx + w*0.45), Y: coord(yy),
				Label: text.T(v.ctx, side.key) + " " + in.format(side.n) + " · " + when})
		}
	}
}

// timeTitle names the time axis with the user's zone.
func (v viewer) timeTitle() string {
	_, off := time.Unix(0, 0).In(v.loc).Zone()
	return text.T(v.ctx, "gw.chart.time") + " (" + zoneName(v.loc, off) + ")"
}

func zoneName(loc *time.Location, off int) string {
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	utc := "UTC" + sign + strconv.Itoa(off/3600)
	if m := off % 3600 / 60; m != 0 {
		utc += ":" + strconv.Itoa(m)
	}
	if name := loc.String(); name != "" && !strings.HasPrefix(name, "UTC") {
		return name + ", " + utc
	}
	return utc
}

// pointTime is a point's time in the readout: date and minute, user's zone.
func (v viewer) pointTime(t time.Time) string { return t.In(v.loc).Format("2 Jan 2006 15:04") }

// timeTicks labels the time axis at local multiples of tick (midnight-
// based). Day ticks and midnights carry the month ("30 Jun", "1 Jul");
// labels near an edge are anchored to it so none is clipped.
func (v viewer) timeTicks(start, end time.Time, tick time.Duration, x func(int64) float64) []vt.Tick {
	ls := start.In(v.loc)
	t := time.Date(ls.Year(), ls.Month(), ls.Day(), 0, 0, 0, 0, v.loc)
	for i := 0; t.Before(start) && i < 100000; i++ {
		t = t.Add(tick)
	}
	var ticks []vt.Tick
	for i := 0; !t.After(end) && i < 50; i++ {
		lt := t.In(v.loc)
		label := lt.Format("15:04")
		if tick >= 24*time.Hour || lt.Hour() == 0 && lt.Minute() == 0 {
			label = lt.Format("2 Jan")
		}
		xv := x(t.UnixMilli())
		anchor := "middle"
		switch {
		case xv > chartW-padR-edge:
			anchor = "end"
		case xv < padL+edge && len(ticks) == 0 && xv < padL+8:
			anchor = "start"
		}
		xx := coord(xv)
		ticks = append(ticks, vt.Tick{X: xx, Y: coord(padT + plotH + 20), Label: label, Anchor: anchor,
			X1: xx, Y1: coord(padT), X2: xx, Y2: coord(padT + plotH), Odd: i%2 == 1})
		t = t.Add(tick)
	}
	return ticks
}
