package sandbox

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The series body parser faces any client: it must answer a value list or
// a 400-class error, never panic or accept a non-string value.
func FuzzDevicesSeriesBody(f *testing.F) {
	for _, s := range []string{`{"value":"36.5","time":1495715734508}`, `[{"value":"1"},{"value":"2","time":2}]`,
		`{"value":36.5}`, `[]`, `{"value":{"lat":1}}`, `{"value":"1","time":-1}`, `[{"value":"1","time":9},{"value":"1","time":1}]`, `{`} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, body string, object bool) {
		r, _ := http.NewRequest("PUT", "/", strings.NewReader(body))
		pts, _, err := parseSeriesBody(r, object, 1000)
		if err != nil {
			var v *validationError
			if !errors.As(err, &v) {
				t.Fatalf("error %v is not a 400", err)
			}
			return
		}
		if len(pts) == 0 {
			t.Fatal("no values and no error")
		}
		for i, p := range pts {
			if i > 0 && p.t < pts[i-1].t {
				t.Fatalf("descending times accepted: %v", pts)
			}
			if object && (p.v == "" || p.v[0] != '{') {
				t.Fatalf("object sensor accepted %q", p.v)
			}
		}
	})
}

// The collection and series queries face any client too.
func FuzzDevicesQueries(f *testing.F) {
	for _, s := range []string{"count=2&page=1&orderBy=name&orderDir=desc", "filter[id]=a&filter[id]=b&fields=name",
		"embed=status,sensors", "dataStart=2025-01-01T00:00:00%2B09:00&interval=15m&intervalFunc=sum",
		"count=10", "interval=0&dataStart=1&dataEnd=2", "filter[=1", "dataStart=9999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		lq, err := parseListQuery(q, "status", "sensors")
		if err == nil {
			items := []listItem{{view: map[string]any{"id": "a", "name": "x"}}, {view: map[string]any{"id": "b"}}}
			page, _ := lq.apply(items)
			if len(page) > len(items) {
				t.Fatalf("page of %d from %d", len(page), len(items))
			}
		}
		sq, given, err := parseSeriesQuery(q, 1_700_000_000_000)
		if err != nil || !given {
			return
		}
		if sq.start >= sq.end || sq.intervalMs < 0 || (sq.intervalMs > 0 && (sq.end-sq.start)/sq.intervalMs > maxBuckets) {
			t.Fatalf("accepted %+v", sq)
		}
		leaf := &seriesLeaf{}
		for i := range 100 {
			leaf.push(point{t: int64(i) * 60000, v: "1"})
		}
		data, _ := leaf.query(sq)
		if len(data)%2 != 0 {
			t.Fatalf("odd data %v", data)
		}
	})
}
