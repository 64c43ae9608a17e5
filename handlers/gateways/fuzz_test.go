package gateways

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/thingplus/thingplus-webapp/thingplus"
	vt "github.com/thingplus/thingplus-webapp/views/gateways"
)

// The JSON-to-view-model mapping faces Thing+'s output: whatever decodes
// must map and render without a panic, and what renders must parse.

func fuzzViewer() viewer { return viewer{now: testNow, loc: thingplus.Zone("+9.00")} }

func FuzzGatewaysJSONToView(f *testing.F) {
	seed, _ := json.Marshal(genGateways(4, testNow))
	f.Add(seed)
	f.Add([]byte(`[{"id":"a","name":"<b>","model":18,"reportInterval":"x","status":"status.gateway.x","devices":null,"sensors":[{"id":"s"},"t"]}]`))
	f.Add([]byte(`[{"id":"","status":{"value":"on","time":"-5","expireAt":"-1"},"reportInterval":9223372036854775807}]`))
	f.Add([]byte(`[{"id":"z","status":{"value":"err","time":99999999999999999,"expireAt":1e300}}]`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var gws []thingplus.Gateway
		if json.Unmarshal(data, &gws) != nil {
			return
		}
		h := New(nil, Options{Now: func() time.Time { return testNow }})
		v := fuzzViewer()
		rows := rowsOf(context.Background(), gws, map[string]string{"52": "Open API Gateway"})
		for _, st := range []listState{
			{Sort: "name", Dir: "asc"},
			{Q: "a", Status: stStale, Sort: "last", Dir: "desc"},
			{Sort: "status", Dir: "asc"}, {Sort: "model", Dir: "desc"},
		} {
			table := h.tableOf(listData{rows: rows}, &st, v, testNow)
			var buf bytes.Buffer
			if err := vt.GatewaysTable(table).Render(context.Background(), &buf); err != nil {
				t.Fatal(err)
			}
			doc, err := goquery.NewDocumentFromReader(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if n := doc.Find(`[data-testid="gw-table"] > tbody`).Length(); n != len(table.Rows) {
				t.Fatalf("%d rows rendered, %d in the model", n, len(table.Rows))
			}
		}
	})
}

func FuzzSensorsJSONToDetail(f *testing.F) {
	f.Add([]byte(`{"devices":[{"id":"d1","name":"Car 1"}],"sensors":[{"id":"s1","name":"door 1","deviceId":"d1","type":"countEvent","status":{"value":"on","time":"1","expireAt":"2"},"series":{"value":"-1","time":"3"}}],"types":[{"id":"countEvent","unit":"ea","decimalPlace":0}]}`))
	f.Add([]byte(`{"devices":[{"id":"d1"},{"id":"d1"}],"sensors":[{"id":"s","deviceId":"nope","type":"door","series":{"value":{"lat":1},"time":5}}],"types":[{"id":"door","values":[0,1],"displayValues":["closed"],"decimalPlace":"9"}]}`))
	f.Add([]byte(`{"sensors":[{"id":"s","type":"temperature","series":{"value":"1e308","time":1}}],"types":[{"id":"temperature","decimalPlace":-3}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var in struct {
			Devices []thingplus.Device     `json:"devices"`
			Sensors []thingplus.Sensor     `json:"sensors"`
			Types   []thingplus.SensorType `json:"types"`
		}
		if json.Unmarshal(data, &in) != nil {
			return
		}
		v := fuzzViewer()
		d := v.detailOf("gw", in.Devices, in.Sensors, typeIndex(in.Types))
		n := 0
		for _, g := range d.Groups {
			n += len(g.Sensors)
		}
		if n != len(in.Sensors) {
			t.Fatalf("%d sensors shown of %d", n, len(in.Sensors))
		}
		row := openRow(v.rowView(&gwRow{ID: "gw", Name: "g"}, stOn), d)
		var buf bytes.Buffer
		if err := vt.GatewayRow(row).Render(context.Background(), &buf); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzSeriesToChart(f *testing.F) {
	f.Add([]byte(`{"value":"1","time":"5","data":["1",1740794400000,2.5,"1740794460000","x",1740794520000]}`))
	f.Add([]byte(`{"data":[1e308,1740794400000,-1e308,1740794460000,"NaN",1740794520000,"Inf",1740794580000]}`))
	f.Add([]byte(`{"data":[5,1740794400000,5,1740794400000,5,1740794400001]}`))
	f.Add([]byte(`{"data":[1,-1,2,0,3,1e20,4,"2025-03-01T02:30:00Z"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var leaf thingplus.SeriesLeaf
		if json.Unmarshal(data, &leaf) != nil {
			return
		}
		v := fuzzViewer()
		for _, r := range ranges {
			start, end := r.window(v.now)
			d := seriesData{sensor: thingplus.Sensor{ID: "s", Name: "S", Series: &leaf}, fn: "average", start: start, end: end}
			d.points = numericIn(leaf.Data, start, end)
			p := v.sensorPageOf("gw", "G", d, chartQuery{Range: r})
			var buf bytes.Buffer
			if err := vt.SensorPageView(p).Render(context.Background(), &buf); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			for _, bad := range []string{"NaN", "Inf"} {
				for _, l := range p.Chart.Lines {
					if strings.Contains(l, bad) {
						t.Fatalf("chart coordinate %s: %s", bad, l)
					}
				}
				for _, tk := range p.Chart.YTicks {
					if strings.Contains(tk.Y, bad) {
						t.Fatalf("tick coordinate %s", bad)
					}
				}
			}
			if !strings.Contains(out, `data-testid="chart-svg"`) {
				t.Fatal("no chart")
			}
		}
	})
}
