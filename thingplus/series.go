package thingplus

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"sort"
	"strconv"
	"time"
)

// SeriesLeaf is a sensor's series leaf (§5.8): the latest value and time
// and, when a range was asked for, the points and their _meta.
type SeriesLeaf struct {
	ID          string      `json:"id"`
	Type        string      `json:"type"`
	Value       Text        `json:"value"` // latest raw value: "23.5", or an object as JSON
	Time        Millis      `json:"time"`  // time of the latest value
	SrcType     string      `json:"srcType"`
	SrcCategory string      `json:"srcCategory"`
	SrcDbType   string      `json:"srcDbType"`
	Owner       string      `json:"owner"`
	Sensor      string      `json:"sensor"`
	Ctime       Millis      `json:"ctime"`
	Mtime       Millis      `json:"mtime"`
	Data        Points      `json:"data"`
	Meta        *SeriesMeta `json:"_meta"`
}

func (s *SeriesLeaf) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		*s = SeriesLeaf{}
		return json.Unmarshal(b, &s.ID)
	}
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	type plain SeriesLeaf
	return json.Unmarshal(b, (*plain)(s))
}

// Loaded reports whether the leaf came embedded (not just its id).
func (s *SeriesLeaf) Loaded() bool { return s != nil && (s.Time != 0 || s.Value != "") }

// SeriesMeta describes a range of points.
type SeriesMeta struct {
	Count     Int    `json:"count"`
	DataStart Millis `json:"dataStart"`
	DataEnd   Millis `json:"dataEnd"`
	Stat      string `json:"stat"`
	Interval  Str    `json:"interval"`
}

// Point is one value of a series. Numeric is false for values that are not
// numbers (strings, objects); Text always holds the value as sent.
type Point struct {
	Time    Millis
	Value   float64
	Text    string
	Numeric bool
}

// Points decodes the flat [value, time, value, time, …] array (§4.3): values
// are strings (raw) or numbers (aggregated), times numbers or numeric
// strings. A pair whose time cannot be read is skipped, a trailing odd
// element ignored; only a non-array is an error. Points are sorted by time.
type Points []Point

func (p *Points) UnmarshalJSON(b []byte) error {
	*p = nil
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(Points, 0, len(raw)/2)
	sorted := true
	for i := 0; i+1 < len(raw); i += 2 {
		t, ok := timeOf(raw[i+1])
		if !ok {
			continue
		}
		pt, ok := pointValue(raw[i])
		if !ok {
			continue
		}
		pt.Time = t
		if n := len(out); n > 0 && out[n-1].Time > t {
			sorted = false
		}
		out = append(out, pt)
	}
	if !sorted {
		sort.SliceStable(out, func(i, j int) bool { return out[i].Time < out[j].Time })
	}
	*p = out
	return nil
}

func timeOf(b json.RawMessage) (Millis, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0, false
	}
	if b[0] == '"' {
		var s string
		if json.Unmarshal(b, &s) != nil {
			return 0, false
		}
		if v, err := strconv.ParseInt(s, 10, 64); err == nil && v > 0 {
			return Millis(v), true
		}
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return Millis(t.UnixMilli()), true
		}
		return 0, false
	}
	var f float64
	if json.Unmarshal(b, &f) != nil || isNaNOrInf(f) || f <= 0 || f > 1e15 {
		return 0, false
	}
	return Millis(int64(f)), true
}

func pointValue(b json.RawMessage) (Point, bool) {
	var t Text
	if err := t.UnmarshalJSON(b); err != nil {
		return Point{}, false
	}
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return Point{}, false
	}
	pt := Point{Text: string(t)}
	switch {
	case bytes.Equal(b, []byte("true")):
		pt.Value, pt.Numeric = 1, true
	case bytes.Equal(b, []byte("false")):
		pt.Value, pt.Numeric = 0, true
	default:
		pt.Value, pt.Numeric = t.Float()
	}
	return pt, true
}

func isNaNOrInf(f float64) bool { return math.IsNaN(f) || math.IsInf(f, 0) }

// Series returns a sensor's series leaf: the latest value alone when q has
// no DataStart, otherwise also the points of the range. Thing+ answers the
// sensor with the leaf embedded; a bare leaf is accepted too, and the
// envelope's _meta fills the leaf's when the leaf has none.
func (c *Client) Series(ctx context.Context, token, gatewayID, sensorID string, q SeriesQuery) (SeriesLeaf, error) {
	op := "GET /gateways/{gw}/sensors/{id}/series"
	p, err := sensorPath(op, gatewayID, sensorID)
	if err != nil {
		return SeriesLeaf{}, err
	}
	var raw json.RawMessage
	var meta Meta
	if err := c.Call(ctx, Request{Method: http.MethodGet, Path: p + "/series", Query: q.Values(), Token: token}, &raw, &meta); err != nil {
		return SeriesLeaf{}, err
	}
	var parent struct {
		Type   string          `json:"type"`
		Series json.RawMessage `json:"series"`
	}
	if err := json.Unmarshal(raw, &parent); err != nil {
		return SeriesLeaf{}, malformed(op, err)
	}
	leafJSON := raw
	if ps := bytes.TrimSpace(parent.Series); parent.Type != "series" && len(ps) > 0 && ps[0] == '{' {
		leafJSON = parent.Series
	}
	var leaf SeriesLeaf
	if err := json.Unmarshal(leafJSON, &leaf); err != nil {
		return SeriesLeaf{}, malformed(op, err)
	}
	if leaf.Meta == nil && (meta.Start != 0 || meta.End != 0 || meta.Count != 0) {
		leaf.Meta = &SeriesMeta{Count: Int(meta.Count), DataStart: meta.Start, DataEnd: meta.End}
	}
	return leaf, nil
}
