package thingplus

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"time"
)

// SeriesStat is a sensor's statistics over a range, from Thing+'s
// statistics mode (§4.3, statFunc[id]=seriesStat). Has names the figures
// Thing+ gave; the others are zero.
type SeriesStat struct {
	Count                           int
	Min, Max, Sum, Avg, First, Last float64
	Has                             map[string]bool
}

// statSubFuncs are the figures asked for.
var statSubFuncs = []string{"count", "min", "max", "sum", "avg", "first", "last"}

// SeriesStats asks Thing+ for count, min, max, sum, avg, first and last of
// [start, end). Thing+ answers one object per time unit (month here, the
// coarsest that still splits a year-long range into few buckets); they are
// folded into one: counts and sums add, min and max fold, avg is sum/count,
// first is the earliest bucket's and last the latest's. A Thing+ without
// statistics answers 400, which the caller treats as "compute locally".
func (c *Client) SeriesStats(ctx context.Context, token, gatewayID, sensorID string, start, end time.Time) (SeriesStat, error) {
	op := "GET /gateways/{gw}/sensors/{id}/series?statFunc"
	p, err := sensorPath(op, gatewayID, sensorID)
	if err != nil {
		return SeriesStat{}, err
	}
	q := SeriesQuery{DataStart: start, DataEnd: end}.Values()
	q.Set("statFunc[id]", "seriesStat")
	q.Set("statFunc[timeUnit]", "month")
	for _, f := range statSubFuncs {
		q.Add("statFunc[subFunc]", f)
	}
	var raw json.RawMessage
	if err := c.Call(ctx, Request{Method: http.MethodGet, Path: p + "/series", Query: q, Token: token}, &raw, nil); err != nil {
		return SeriesStat{}, err
	}
	var buckets []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &buckets); err != nil {
		return SeriesStat{}, malformed(op, err)
	}
	return foldStats(buckets), nil
}

// foldStats combines per-time-unit statistics, oldest bucket first.
func foldStats(buckets []map[string]json.RawMessage) SeriesStat {
	st := SeriesStat{Has: map[string]bool{}}
	for _, b := range buckets {
		for _, f := range statSubFuncs {
			v, ok := statNumber(b[f])
			if !ok {
				continue
			}
			first := !st.Has[f]
			st.Has[f] = true
			switch f {
			case "count":
				st.Count += int(v)
			case "sum":
				st.Sum += v
			case "min":
				if first || v < st.Min {
					st.Min = v
				}
			case "max":
				if first || v > st.Max {
					st.Max = v
				}
			case "first":
				if first {
					st.First = v
				}
			case "last":
				st.Last = v
			}
		}
	}
	switch {
	case st.Has["sum"] && st.Count > 0:
		st.Avg, st.Has["avg"] = st.Sum/float64(st.Count), true
	case len(buckets) == 1:
		st.Avg, st.Has["avg"] = statNumber(buckets[0]["avg"])
	default:
		delete(st.Has, "avg")
	}
	return st
}

// statNumber reads a number that may come as a JSON number or a string.
func statNumber(b json.RawMessage) (float64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var f float64
	if json.Unmarshal(b, &f) == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		return f, true
	}
	var s string
	if json.Unmarshal(b, &s) != nil {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// SeriesStats is Client.SeriesStats, cached per user.
func (cc *Cached) SeriesStats(ctx context.Context, token, gatewayID, sensorID string, start, end time.Time) (SeriesStat, error) {
	key := userKey(token, "seriesStats", gatewayID, sensorID, strconv.FormatInt(start.UnixMilli(), 10), strconv.FormatInt(end.UnixMilli(), 10))
	return cached(cc, key, func() (SeriesStat, error) {
		return cc.c.SeriesStats(ctx, token, gatewayID, sensorID, start, end)
	})
}
