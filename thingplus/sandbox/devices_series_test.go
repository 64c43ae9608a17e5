package sandbox

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// seriesFixture is a fresh number sensor on the subway gateway with 20
// values, one every 30 s over the 10 minutes before the clock: value i at
// start+i*30s.
type seriesFixture struct {
	sb    *Sandbox
	c     *devClient
	clock *devClock
	start time.Time
	path  string
}

func newSeriesFixture(t *testing.T) *seriesFixture {
	clock := newDevClock()
	sb, c := newDevSandbox(t, devOptions(clock))
	c.ok(201, "POST", subwayPath+"/sensors", `{"reqId":"num1","name":"Number","type":"number","deviceId":"b827ebd0a001-1"}`)
	f := &seriesFixture{sb: sb, c: c, clock: clock, start: clock.Now().Add(-10 * time.Minute), path: subwayPath + "/sensors/num1/series"}
	var items []string
	for i := range 20 {
		items = append(items, fmt.Sprintf(`{"value":"%d","time":%d}`, i, f.at(i)))
	}
	c.ok(200, "PUT", f.path, "["+strings.Join(items, ",")+"]")
	return f
}

func (f *seriesFixture) at(i int) int64 {
	return f.start.Add(time.Duration(i) * 30 * time.Second).UnixMilli()
}

func (f *seriesFixture) query(t *testing.T, q string) ([]any, map[string]any) {
	t.Helper()
	r := f.c.ok(200, "GET", f.path+"?"+q, "")
	leaf, _ := r.obj()["series"].(map[string]any)
	data, _ := leaf["data"].([]any)
	meta, _ := leaf["_meta"].(map[string]any)
	if top := r.meta(); fmt.Sprint(top) != fmt.Sprint(meta) {
		t.Fatalf("envelope _meta %v differs from the leaf's %v", top, meta)
	}
	return data, meta
}

func iso(t time.Time) string { return url.QueryEscape(t.UTC().Format(time.RFC3339Nano)) }

func TestSeriesLatestLeaf(t *testing.T) {
	f := newSeriesFixture(t)
	r := f.c.ok(200, "GET", f.path, "")
	if r.meta() != nil {
		t.Fatalf("_meta without a query: %s", r.raw)
	}
	sn := r.obj()
	leaf, _ := sn["series"].(map[string]any)
	if sn["id"] != "num1" || leaf["type"] != "series" || leaf["value"] != "19" || leaf["time"] != strconv.FormatInt(f.at(19), 10) ||
		leaf["sensor"] != "num1" || leaf["owner"] != SubwayGatewayID || leaf["srcType"] != "number" || leaf["data"] != nil ||
		!strings.HasPrefix(leaf["id"].(string), "series.sensor.") {
		t.Fatalf("latest leaf %v", leaf)
	}
}

func TestSeriesRawAndAggregated(t *testing.T) {
	f := newSeriesFixture(t)
	from := iso(f.start)
	pairs := func(data []any) [][2]any {
		var out [][2]any
		for i := 0; i+1 < len(data); i += 2 {
			out = append(out, [2]any{data[i], data[i+1]})
		}
		return out
	}

	// Raw: value first, values strings, times ms numbers.
	data, meta := f.query(t, "dataStart="+from+"&interval=0")
	if len(data) != 40 || data[0] != "0" || data[1] != float64(f.at(0)) || data[39] != float64(f.at(19)) {
		t.Fatalf("raw data %v", data)
	}
	if meta["count"] != float64(20) || meta["interval"] != "0" || meta["dataStart"] != float64(f.start.UnixMilli()) ||
		meta["dataEnd"] != float64(f.clock.Now().UnixMilli()+1) || meta["stat"] != nil {
		t.Fatalf("raw _meta %v", meta)
	}
	// count keeps the newest; without interval, count means raw values.
	data, _ = f.query(t, "dataStart="+from+"&count=3")
	if got := pairs(data); len(got) != 3 || got[0][0] != "17" || got[2][0] != "19" {
		t.Fatalf("count=3 %v", data)
	}
	data, meta = f.query(t, "count=2")
	if len(data) != 4 || data[0] != "18" || meta["dataStart"] != float64(f.at(18)) {
		t.Fatalf("count=2 without dataStart %v %v", data, meta)
	}
	// dataEnd is exclusive, dataStart inclusive.
	data, _ = f.query(t, "dataStart="+iso(time.UnixMilli(f.at(1)))+"&dataEnd="+iso(time.UnixMilli(f.at(3)))+"&interval=0")
	if got := pairs(data); len(got) != 2 || got[0][0] != "1" || got[1][0] != "2" {
		t.Fatalf("[1,3) %v", data)
	}

	// Aggregated per minute (two values a minute: 2k and 2k+1).
	cases := []struct {
		fn    string
		first float64
		last  float64
	}{
		{"average", 0.5, 18.5}, {"sum", 1, 37}, {"count", 2, 2}, {"min", 0, 18}, {"max", 1, 19},
	}
	for _, tc := range cases {
		data, meta := f.query(t, "dataStart="+from+"&interval=1m&intervalFunc="+tc.fn)
		got := pairs(data)
		if len(got) != 10 || got[0][0] != tc.first || got[9][0] != tc.last || got[0][1] != float64(f.start.UnixMilli()) ||
			got[1][1] != float64(f.start.Add(time.Minute).UnixMilli()) {
			t.Fatalf("%s: %v", tc.fn, data)
		}
		if meta["stat"] != tc.fn || meta["interval"] != "1m" || meta["count"] != float64(10) {
			t.Fatalf("%s _meta %v", tc.fn, meta)
		}
	}
	// The default interval is 1m average; 5m buckets average 0..9 and 10..19.
	if data, _ := f.query(t, "dataStart="+from); len(data) != 20 || data[0] != 0.5 {
		t.Fatalf("default interval %v", data)
	}
	if data, _ := f.query(t, "dataStart="+from+"&interval=5m"); fmt.Sprint(pairs(data)) !=
		fmt.Sprint([][2]any{{4.5, float64(f.start.UnixMilli())}, {14.5, float64(f.start.Add(5 * time.Minute).UnixMilli())}}) {
		t.Fatalf("5m %v", data)
	}
	if data, _ := f.query(t, "dataStart="+from+"&interval=1d&intervalFunc=sum"); len(data) != 2 || data[0] != float64(190) {
		t.Fatalf("1d sum %v", data)
	}

	// ISO-8601 with offsets, also with an unencoded '+' (arrives as a space).
	seoul := f.start.In(time.FixedZone("KST", 9*3600))
	for _, start := range []string{
		url.QueryEscape(seoul.Format("2006-01-02T15:04:05.000-07:00")),
		url.QueryEscape(seoul.Format("2006-01-02T15:04:05-0700")),
		seoul.Format("2006-01-02T15:04:05.000-07:00"),
		strconv.FormatInt(f.start.UnixMilli(), 10),
	} {
		if data, _ := f.query(t, "interval=0&dataStart="+start); len(data) != 40 {
			t.Fatalf("dataStart %s: %d values", start, len(data)/2)
		}
	}

	for _, bad := range []string{"dataStart=yesterday", "dataStart=" + from + "&interval=7x", "dataStart=" + from + "&interval=30s",
		"dataStart=" + from + "&intervalFunc=median", "interval=1m", "count=0", "dataStart=" + from + "&count=x"} {
		f.c.fails(400, "SCHEMA_VALIDATE", "GET", f.path+"?"+bad, "")
	}
	f.c.fails(400, "INVALID_INPUT", "GET", f.path+"?dataStart="+iso(f.clock.Now())+"&dataEnd="+from, "")
	f.c.fails(400, "INVALID_INPUT", "GET", f.path+"?statFunc[id]=seriesStat&statFunc[subFunc]=count", "")
	f.c.fails(400, "INVALID_INPUT", "GET", f.path+"?dataStart=2000-01-01&interval=1m", "")
}

func TestSeriesPut(t *testing.T) {
	f := newSeriesFixture(t)
	var mu sync.Mutex
	var seen []SeriesEvent
	observe := func(ev SeriesEvent) {
		mu.Lock()
		seen = append(seen, ev)
		mu.Unlock()
	}
	f.sb.devices.observe.Store(&observe)

	now := f.clock.Now().UnixMilli()
	leaf := f.c.ok(200, "PUT", f.path, fmt.Sprintf(`{"value":"36.5","time":%d}`, now)).obj()
	if leaf["type"] != "series" || leaf["value"] != "36.5" || leaf["time"] != strconv.FormatInt(now, 10) || leaf["seriesPack"] != nil {
		t.Fatalf("PUT single → %v", leaf)
	}
	// Same time again is fine; no time is a schema error (Thing+ requires
	// it), never a point stamped with the server's clock.
	f.c.ok(200, "PUT", f.path, fmt.Sprintf(`{"value":"36.6","time":%d}`, now))
	f.clock.Advance(time.Second)
	f.c.fails(400, "SCHEMA_VALIDATE", "PUT", f.path, `{"value":"36.7"}`)
	f.c.fails(400, "SCHEMA_VALIDATE", "PUT", f.path, fmt.Sprintf(`[{"value":"1","time":%d},{"value":"2"}]`, now+1000))
	pack := f.c.ok(200, "PUT", f.path, fmt.Sprintf(`[{"value":"1","time":%d},{"value":"2","time":%d}]`, now+2000, now+3000)).obj()
	sp, _ := pack["seriesPack"].([]any)
	if len(sp) != 2 || pack["value"] != "2" || sp[0].(map[string]any)["time"] != float64(now+2000) || sp[1].(map[string]any)["value"] != "2" {
		t.Fatalf("PUT array → %v", pack)
	}
	mu.Lock()
	if len(seen) != 4 || seen[3].Value != "2" || seen[3].Time != now+3000 || seen[0].Sensor.ID != "num1" ||
		seen[0].Sensor.GatewayID != SubwayGatewayID || seen[0].Sensor.OwnerUserID != "1" || seen[0].Sensor.Type != "number" {
		t.Fatalf("rule engine saw %+v", seen)
	}
	mu.Unlock()

	for _, bad := range []string{
		`{"value":36.5}`, `{"value":true}`, `{"value":null}`, `{"time":1}`, `{"value":["1"]}`,
		`{"value":"1","time":"1495715734508"}`, `{"value":"1","time":1.5}`, `{"value":"1","sensor":"x"}`,
		`{"value":{"lat":1}}`, `[]`, `"1"`, `[{"value":"1"},{"value":2}]`,
	} {
		f.c.fails(400, "SCHEMA_VALIDATE", "PUT", f.path, bad)
	}
	f.c.fails(400, "INVALID_INPUT", "PUT", f.path, fmt.Sprintf(`{"value":"1","time":%d}`, now))
	f.c.fails(400, "INVALID_INPUT", "PUT", f.path, fmt.Sprintf(`[{"value":"1","time":%d},{"value":"2","time":%d}]`, now+9000, now+8000))
	// A refused array stores nothing.
	f.c.fails(400, "INVALID_INPUT", "PUT", f.path, fmt.Sprintf(`[{"value":"9","time":%d},{"value":"9","time":%d}]`, now+9000, now))
	if v := f.c.ok(200, "GET", f.path, "").obj()["series"].(map[string]any)["value"]; v != "2" {
		t.Fatalf("latest after refused PUTs %v", v)
	}

	// Object types take objects (and only objects).
	f.c.ok(201, "POST", subwayPath+"/sensors", `{"reqId":"gps1","name":"GPS","type":"location"}`)
	gps := subwayPath + "/sensors/gps1/series"
	gpsAt := f.clock.Now().UnixMilli()
	f.c.ok(200, "PUT", gps, fmt.Sprintf(`{"value":{"lat":37.48,"lng":126.93},"time":%d}`, gpsAt))
	f.c.fails(400, "SCHEMA_VALIDATE", "PUT", gps, fmt.Sprintf(`{"value":"37.48,126.93","time":%d}`, gpsAt))
	raw := f.c.ok(200, "GET", gps+"?count=1", "").obj()["series"].(map[string]any)
	if v, _ := raw["value"].(map[string]any); v["lat"] != 37.48 {
		t.Fatalf("object value %v", raw)
	}
	if d, _ := raw["data"].([]any); len(d) != 2 || d[0].(map[string]any)["lng"] != 126.93 {
		t.Fatalf("object data %v", raw["data"])
	}
}

func TestPushValue(t *testing.T) {
	clock := newDevClock()
	sb, c := newDevSandbox(t, devOptions(clock))
	var mu sync.Mutex
	var seen []SeriesEvent
	observe := func(ev SeriesEvent) { mu.Lock(); seen = append(seen, ev); mu.Unlock() }
	sb.devices.observe.Store(&observe)

	if err := sb.PushValue(door11, "1", clock.Now()); err != nil {
		t.Fatal(err)
	}
	leaf := c.ok(200, "GET", subwayPath+"/sensors/"+door11+"/series", "").obj()["series"].(map[string]any)
	if leaf["value"] != "1" || leaf["time"] != strconv.FormatInt(clock.Now().UnixMilli(), 10) {
		t.Fatalf("after PushValue %v", leaf)
	}
	if err := sb.PushValue(door11, "-1", clock.Now().Add(-time.Hour)); err == nil || err.Error() == "" {
		t.Fatal("a past value was accepted")
	}
	if err := sb.PushValue("nope", "1", clock.Now()); !errors.Is(err, errNotFound) {
		t.Fatalf("unknown sensor: %v", err)
	}
	// Another user's sensor works too (tests drive any sensor).
	if err := sb.PushValue(OtherGatewayID+"-0-temperature", "20.5", clock.Now()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 || seen[0].Sensor.Unit != "ea" || seen[1].Sensor.OwnerUserID != "2" || seen[1].Sensor.Unit != "°C" {
		t.Fatalf("rule engine saw %+v", seen)
	}
}

func TestSeriesRingIsBounded(t *testing.T) {
	clock := newDevClock()
	sb, _ := newDevSandbox(t, devOptions(clock))
	sb.devices.mu.Lock()
	sb.devices.sensors[door11].Series = &seriesLeaf{ID: "series.sensor.test00"}
	sb.devices.mu.Unlock()
	start := clock.Now()
	for i := range seriesCap + 10 {
		if err := sb.PushValue(door11, strconv.Itoa(i), start.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	sb.devices.mu.RLock()
	defer sb.devices.mu.RUnlock()
	leaf := sb.devices.sensors[door11].Series
	if leaf.len() != seriesCap || leaf.at(0).v != "10" || leaf.at(seriesCap-1).v != strconv.Itoa(seriesCap+9) {
		t.Fatalf("ring len %d first %q last %q", leaf.len(), leaf.at(0).v, leaf.at(seriesCap-1).v)
	}
	if cap(leaf.buf) > 2*seriesCap {
		t.Fatalf("ring capacity %d", cap(leaf.buf))
	}
	if i := leaf.search(start.Add(15 * time.Second).UnixMilli()); leaf.at(i).v != "15" {
		t.Fatalf("search across the wrap found %q", leaf.at(i).v)
	}
}

func TestSeriesEmbedded(t *testing.T) {
	f := newSeriesFixture(t)
	q := "embed=series&series[dataStart]=" + iso(f.start) + "&series[interval]=5m&filter[id]=num1"
	sns := f.c.ok(200, "GET", subwayPath+"/sensors?"+q, "").list()
	if len(sns) != 1 {
		t.Fatalf("sensors %v", sns)
	}
	leaf, _ := sns[0]["series"].(map[string]any)
	if data, _ := leaf["data"].([]any); len(data) != 4 || data[0] != 4.5 {
		t.Fatalf("embedded series %v", leaf)
	}
	q = "embed=sensors&sensors[embed]=series&sensors[series][dataStart]=" + iso(f.start) + "&sensors[series][interval]=0"
	gw := f.c.ok(200, "GET", subwayPath+"?"+q, "").obj()
	for _, s := range gw["sensors"].([]any) {
		sn := s.(map[string]any)
		if sn["id"] == "num1" {
			if data, _ := sn["series"].(map[string]any)["data"].([]any); len(data) != 40 {
				t.Fatalf("nested raw series: %d", len(data))
			}
			return
		}
	}
	t.Fatal("num1 not embedded")
}

// The seed's history lets the app chart the last hour, day and week at once.
func TestSeedHistory(t *testing.T) {
	clock := newDevClock()
	sb, c := newDevSandbox(t, devOptions(clock))
	now := clock.Now()
	for _, span := range []struct {
		d        time.Duration
		interval string
	}{{time.Hour, "1m"}, {24 * time.Hour, "15m"}, {7 * 24 * time.Hour, "1h"}} {
		q := "dataStart=" + iso(now.Add(-span.d)) + "&interval=" + span.interval
		for _, path := range []string{climatePath + "/sensors/" + climateTemp, subwayPath + "/sensors/" + door11} {
			leaf := c.ok(200, "GET", path+"/series?"+q+"&intervalFunc=count", "").obj()["series"].(map[string]any)
			if n := leaf["_meta"].(map[string]any)["count"].(float64); n < 3 {
				t.Errorf("%s over %v: %v buckets", path, span.d, n)
			}
		}
	}
	d := sb.devices
	d.mu.RLock()
	defer d.mu.RUnlock()
	temp := d.sensors[climateTemp].Series
	if temp.len() != 7*24*60 {
		t.Errorf("temperature history %d values, want a week at one a minute", temp.len())
	}
	prev := 0.0
	for i := range temp.len() {
		v, err := strconv.ParseFloat(temp.at(i).v, 64)
		if err != nil || v < 10 || v > 35 || (i > 0 && (v-prev > 1 || prev-v > 1)) {
			t.Fatalf("temperature %d: %q after %v", i, temp.at(i).v, prev)
		}
		prev = v
	}
	hum := d.sensors[ClimateGatewayID+"-0-humidity"].Series
	if p, _ := hum.last(); hum.len() != temp.len() || p.t >= now.UnixMilli() {
		t.Errorf("humidity history %d values, last at %d", hum.len(), p.t)
	}
	// The offline gateway's history stops when it went quiet.
	off := d.sensors[OfflineGatewayID+"-0-temperature"].Series
	if p, _ := off.last(); off.len() < 4*24*60-1 || p.t > now.Add(-offlineSince).UnixMilli() {
		t.Errorf("offline history %d values, last %v", off.len(), time.UnixMilli(p.t))
	}
	// Doors: only "1"/"-1", ascending, and no car ever holds fewer than 0 people.
	for car := 1; car <= subwayCars; car++ {
		var all []point
		for door := 1; door <= doorsPerCar; door++ {
			leaf := d.sensors[DoorSensorID(car, door)].Series
			if leaf.len() < 1000 {
				t.Errorf("door %d/%d: only %d events in a week", car, door, leaf.len())
			}
			for i := range leaf.len() {
				p := leaf.at(i)
				if (p.v != "1" && p.v != "-1") || (i > 0 && p.t < leaf.at(i-1).t) || p.t >= now.UnixMilli() {
					t.Fatalf("door %d/%d value %d: %+v", car, door, i, p)
				}
				all = append(all, p)
			}
		}
		slices.SortStableFunc(all, func(a, b point) int { return int(a.t - b.t) })
		riders := 0
		for _, p := range all {
			if p.v == "1" {
				riders++
			} else {
				riders--
			}
			if riders < 0 || riders > crushLoad {
				t.Fatalf("car %d holds %d riders at %v", car, riders, time.UnixMilli(p.t))
			}
		}
	}
}
