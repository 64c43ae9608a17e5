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

// rangeSpec is a chart range: its span, the Thing+ interval that gives a
// readable number of points, and the spacing of the time axis labels.
type rangeSpec struct {
	Key      string
	Span     time.Duration
	Interval string        // Thing+ interval
	Step     time.Duration // the same, as a duration
	Tick     time.Duration // time axis labels
}

var ranges = []rangeSpec{
	{"hour", time.Hour, "1m", time.Minute, 15 * time.Minute},        // 60 points
	{"day", 24 * time.Hour, "15m", 15 * time.Minute, 4 * time.Hour}, // 96 points
	{"week", 7 * 24 * time.Hour, "1h", time.Hour, 24 * time.Hour},   // 168 points
}

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
// entry) and buckets line up.
func (r rangeSpec) window(now time.Time) (start, end time.Time) {
	end = now.Truncate(r.Step).Add(r.Step)
	return end.Add(-r.Span), end
}

// Chart geometry (SVG user units).
const (
	chartW, chartH         = 720.0, 260.0
	padL, padR, padT, padB = 60.0, 14.0, 12.0, 34.0
	plotW, plotH           = chartW - padL - padR, chartH - padT - padB
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
	min, max, avg float64
	n             int
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

// buildChart computes every coordinate of the SVG: frame, grid, labels, a
// polyline per unbroken run (a missing bucket breaks the line)
// and a dot for each lone point. pts must be numeric, in range and sorted.
func (v viewer) buildChart(pts []thingplus.Point, start, end time.Time, r rangeSpec, title, desc string) vt.Chart {
	c := vt.Chart{
		ViewBox: "0 0 " + coord(chartW) + " " + coord(chartH),
		Title:   title, Desc: desc,
		Frame: vt.Frame{X: coord(padL), Y: coord(padT), W: coord(plotW), H: coord(plotH)},
	}
	s, e := start.UnixMilli(), end.UnixMilli()
	if e <= s {
		e = s + 1
	}
	x := func(ms int64) float64 { return padL + float64(ms-s)/float64(e-s)*plotW }
	c.XTicks = v.timeTicks(start, end, r.Tick, x)
	if len(pts) == 0 {
		c.Empty = text.T(v.ctx, "gw.chart.empty")
		return c
	}
	st := statsOf(pts)
	lo, hi, step, ok := niceScale(st.min, st.max, 5)
	y := func(val float64) float64 {
		f := padT + (hi-val)/(hi-lo)*plotH
		if isNaNOrInf(f) {
			return padT + plotH/2
		}
		return f
	}
	var yvals []float64
	if ok {
		for i := 0; i <= 20; i++ {
			val := lo + float64(i)*step
			if val > hi+step/2 {
				break
			}
			yvals = append(yvals, val)
		}
	} else {
		yvals = []float64{lo, hi}
	}
	for _, val := range yvals {
		yy := coord(y(val))
		c.YTicks = append(c.YTicks, vt.Tick{X: coord(padL - 6), Y: yy, Label: tickLabel(val, step),
			X1: coord(padL), Y1: yy, X2: coord(padL + plotW), Y2: yy})
	}

	gap := int64(r.Step/time.Millisecond) * 3 / 2 // a missing bucket breaks the line
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
	for i, p := range pts {
		t := int64(p.Time)
		if i > 0 && gap > 0 && t-last > gap {
			flush()
		}
		run = append(run, coord(x(t))+","+coord(y(p.Value)))
		last = t
	}
	flush()
	return c
}

// timeTicks labels the time axis at local multiples of tick (midnight-based).
func (v viewer) timeTicks(start, end time.Time, tick time.Duration, x func(int64) float64) []vt.Tick {
	ls := start.In(v.loc)
	t := time.Date(ls.Year(), ls.Month(), ls.Day(), 0, 0, 0, 0, v.loc)
	for i := 0; t.Before(start) && i < 1000; i++ {
		t = t.Add(tick)
	}
	layout := "15:04"
	if tick >= 24*time.Hour {
		layout = "Mon 2"
	}
	var ticks []vt.Tick
	for i := 0; !t.After(end) && i < 50; i++ {
		xx := coord(x(t.UnixMilli()))
		ticks = append(ticks, vt.Tick{X: xx, Y: coord(padT + plotH + 20), Label: t.In(v.loc).Format(layout),
			X1: xx, Y1: coord(padT), X2: xx, Y2: coord(padT + plotH)})
		t = t.Add(tick)
	}
	return ticks
}
