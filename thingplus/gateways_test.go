package thingplus_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/thingplus/thingplus-webapp/thingplus"
)

// fixture is a tiny stand-in that answers each path with a canned body, for
// error shapes and value forms the sandbox never produces.
type fixture struct {
	t      *testing.T
	srv    *httptest.Server
	hits   atomic.Int64
	routes map[string]func(w http.ResponseWriter, r *http.Request)
	last   atomic.Value // *http.Request
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{t: t, routes: map[string]func(http.ResponseWriter, *http.Request){}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		f.last.Store(r)
		h, ok := f.routes[r.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"statusCode":404,"message":"Not Found","errors":[{"code":"NOT_FOUND","message":"no route"}]}`)
			return
		}
		h(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) body(path string, status int, body string) {
	f.routes["/v2"+path] = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}
}

func (f *fixture) client(opts ...thingplus.Option) *thingplus.Client {
	c, err := thingplus.New(f.srv.URL+"/v2", opts...)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fixture) lastRequest() *http.Request { return f.last.Load().(*http.Request) }

func kindOf(err error) thingplus.Kind {
	var e *thingplus.Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return -1
}

func codeOf(err error) string {
	var e *thingplus.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestQueryValuesBracketsAndRepeats(t *testing.T) {
	start := time.Date(2015, 8, 12, 10, 14, 0, 0, time.FixedZone("KST", 9*3600))
	q := thingplus.Query{
		Count: 2, Page: 1, OrderBy: "id", OrderDir: "desc",
		Fields: []string{"ctime", "virtual"},
		Filter: map[string][]string{"id": {"a", "b"}, "virtual": {"y"}},
		Embed:  []string{"status", "sensors"},
		Series: &thingplus.SeriesQuery{DataStart: start, Interval: "1m"},
	}
	v := q.Values()
	checks := map[string][]string{
		"count": {"2"}, "page": {"1"}, "orderBy": {"id"}, "orderDir": {"desc"},
		"fields": {"ctime", "virtual"}, "filter[id]": {"a", "b"}, "filter[virtual]": {"y"},
		"embed": {"status", "sensors"}, "series[dataStart]": {"2015-08-12T01:14:00.000Z"}, "series[interval]": {"1m"},
	}
	for k, want := range checks {
		if got := v[k]; strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
	if len(v) != len(checks) {
		t.Errorf("extra keys: %v", v)
	}
	if got := (thingplus.Query{}).Values(); len(got) != 0 {
		t.Errorf("zero query encodes %v", got)
	}
	if got := (thingplus.Query{Page: 3}).Values().Get("page"); got != "3" {
		t.Errorf("page alone = %q", got)
	}
}

func TestGatewaysQueryOnTheWire(t *testing.T) {
	f := newFixture(t)
	f.body("/gateways", 200, `{"statusCode":200,"message":"OK","data":[],"_meta":{"count":2,"page":1}}`)
	c := f.client()
	_, meta, err := c.Gateways(context.Background(), "tok", thingplus.Query{Count: 2, Page: 1,
		Filter: map[string][]string{"id": {"a", "b"}}, Fields: []string{"ctime", "virtual"}})
	if err != nil {
		t.Fatal(err)
	}
	if meta.Count != 2 || meta.Page != 1 {
		t.Errorf("meta = %+v", meta)
	}
	r := f.lastRequest()
	raw := r.URL.RawQuery
	for _, want := range []string{"filter[id]=a&filter[id]=b", "fields=ctime&fields=virtual", "count=2", "page=1"} {
		if !strings.Contains(raw, want) {
			t.Errorf("query %q lacks %q", raw, want)
		}
	}
	if got := r.Header.Get("Authorization"); got != "Bearer tok" {
		t.Errorf("Authorization = %q", got)
	}
}

// Times as strings and numbers, model as a number (v1 style), flags, status
// embedded as an object or given as a leaf id, devices/sensors as ids.
func TestGatewaysDecodeStringAndNumberForms(t *testing.T) {
	f := newFixture(t)
	f.body("/gateways", 200, `{"statusCode":200,"message":"OK","data":[
	 {"id":"b827ebd0a001","name":"Subway 신림-성수 line","model":"52","reportInterval":"60000","ctime":"1490769625019","mtime":1490769625020,
	  "virtual":"n","autoCreateDiscoverable":"y","status":{"type":"status","value":"on","time":"1700000000000","expireAt":"1700000090000","vtime":1699999000000,"id":"status.gateway.abc123"},
	  "devices":["b827ebd0a001-1","b827ebd0a001-2"],"sensors":["s1","s2","s3"],"deviceModels":[{"model":"open-api-device-v1.0"}],
	  "location":{"longitude":127.0,"latitude":"37.5","address":"Seoul"}},
	 {"id":"b827ebd0a003","name":"Offline","model":18,"reportInterval":300000,"status":"status.gateway.Zz9yX1","devices":[],"sensors":null,"ctime":1,"mtime":"2"},
	 {"id":"g3","name":"never","status":{"value":"off","time":"1","expireAt":"-1"}}
	]}`)
	gws, _, err := f.client().Gateways(context.Background(), "tok", thingplus.Query{Embed: []string{"status"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(gws) != 3 {
		t.Fatalf("got %d gateways", len(gws))
	}
	g := gws[0]
	if g.Name != "Subway 신림-성수 line" || g.Model != "52" || g.Interval() != time.Minute {
		t.Errorf("gateway 0 = %+v", g)
	}
	if g.Ctime != 1490769625019 || g.Mtime != 1490769625020 || g.Virtual || !g.AutoCreateDiscoverable {
		t.Errorf("times/flags = %v %v %v %v", g.Ctime, g.Mtime, g.Virtual, g.AutoCreateDiscoverable)
	}
	if !g.Status.Loaded() || g.Status.Value != "on" || g.Status.Time != 1700000000000 || g.Status.Vtime != 1699999000000 {
		t.Errorf("status = %+v", g.Status)
	}
	if g.Status.Expired(time.UnixMilli(1700000089000)) || !g.Status.Expired(time.UnixMilli(1700000091000)) {
		t.Error("expiry wrong")
	}
	if g.Devices.Len() != 2 || g.Sensors.Len() != 3 || g.Location.Latitude != "37.5" || g.Location.Longitude != "127.0" {
		t.Errorf("refs/location = %v %v %+v", g.Devices, g.Sensors, g.Location)
	}
	g = gws[1]
	if g.Model != "18" || g.Interval() != 5*time.Minute || g.Status.ID != "status.gateway.Zz9yX1" || g.Status.Loaded() {
		t.Errorf("gateway 1 = %+v status %+v", g, g.Status)
	}
	if g.Devices.Len() != 0 || g.Sensors.Len() != 0 || g.Ctime != 1 || g.Mtime != 2 {
		t.Errorf("gateway 1 refs = %v %v", g.Devices, g.Sensors)
	}
	if st := gws[2].Status; st.ExpireAt != thingplus.Never || st.Expired(time.Now()) {
		t.Errorf("never-expiring status = %+v", st)
	}
}

func TestGatewayEmbeddedDevicesAndSensors(t *testing.T) {
	f := newFixture(t)
	f.body("/gateways/gw1", 200, `{"statusCode":200,"message":"OK","data":{"id":"gw1","name":"G",
	  "devices":[{"id":"gw1-0","name":"Dev","model":"open-api-device-v1.0","owner":"gw1"}],
	  "sensors":[{"id":"gw1-0-temperature","name":"Temp","type":"temperature","owner":"gw1","deviceId":"gw1-0",
	    "status":{"value":"on","time":"5"},"series":{"value":"21.5","time":"6","type":"series"}}, "gw1-0-humidity"]}}`)
	g, err := f.client().Gateway(context.Background(), "tok", "gw1", thingplus.Query{Embed: []string{"devices", "sensors"}})
	if err != nil {
		t.Fatal(err)
	}
	if g.Devices.Len() != 1 || g.Devices.Items[0].Name != "Dev" || g.Devices.IDs[0] != "gw1-0" {
		t.Errorf("devices = %+v", g.Devices)
	}
	if g.Sensors.Len() != 2 || len(g.Sensors.Items) != 1 || g.Sensors.IDs[1] != "gw1-0-humidity" {
		t.Errorf("sensors = %+v", g.Sensors)
	}
	s := g.Sensors.Items[0]
	if s.Series.Value != "21.5" || s.Series.Time != 6 || s.Status.Value != "on" {
		t.Errorf("sensor = %+v", s)
	}
	if got := f.lastRequest().URL.Query()["embed"]; strings.Join(got, ",") != "devices,sensors" {
		t.Errorf("embed = %v", got)
	}
}

func TestStatusCalls(t *testing.T) {
	f := newFixture(t)
	// §5.4: the gateway with the leaf embedded.
	f.body("/gateways/gw1/status", 200, `{"statusCode":200,"message":"OK","data":{"id":"gw1","status":{"type":"status","value":"err","time":"10","expireAt":"-1","id":"status.gateway.q2Ka7Z"}}}`)
	// A bare leaf is accepted too.
	f.body("/gateways/gw1/sensors/s1/status", 200, `{"statusCode":200,"message":"OK","data":{"type":"status","value":"on","time":11,"expireAt":"20","sensor":"s1","id":"status.sensor.0uRmI2"}}`)
	c := f.client()
	st, err := c.GatewayStatus(context.Background(), "tok", "gw1")
	if err != nil || st.Value != "err" || st.ExpireAt != thingplus.Never || st.ID != "status.gateway.q2Ka7Z" {
		t.Errorf("gateway status = %+v, %v", st, err)
	}
	st, err = c.SensorStatus(context.Background(), "tok", "gw1", "s1")
	if err != nil || st.Value != "on" || st.Time != 11 || st.ExpireAt != 20 {
		t.Errorf("sensor status = %+v, %v", st, err)
	}
}

func TestDevicesAndSensors(t *testing.T) {
	f := newFixture(t)
	f.body("/gateways/gw1/devices", 200, `{"statusCode":200,"message":"OK","data":[{"id":"gw1-1","name":"Car 1","model":"open-api-device-v1.0","owner":"gw1","ctime":"1","mtime":"2"}]}`)
	f.body("/gateways/gw1/sensors", 200, `{"statusCode":200,"message":"OK","data":[{"id":"gw1-1-door1","name":"Car 1 door 1","type":"countEvent","sequence":1,"virtual":"n",
	  "status":{"value":"on","time":"100","expireAt":"200"},"series":{"value":"-1","time":"150"}}]}`)
	c := f.client()
	devs, err := c.Devices(context.Background(), "tok", "gw1", thingplus.Query{})
	if err != nil || len(devs) != 1 || devs[0].Name != "Car 1" || devs[0].Mtime != 2 {
		t.Fatalf("devices = %+v, %v", devs, err)
	}
	ss, err := c.Sensors(context.Background(), "tok", "gw1", thingplus.Query{Embed: []string{"status", "series"}})
	if err != nil || len(ss) != 1 {
		t.Fatalf("sensors = %+v, %v", ss, err)
	}
	if s := ss[0]; s.Sequence != "1" || s.Series.Value != "-1" || s.Series.Time != 150 || s.Status.ExpireAt != 200 {
		t.Errorf("sensor = %+v", s)
	}
	if got := f.lastRequest().URL.RawQuery; got != "embed=status&embed=series" {
		t.Errorf("query = %q", got)
	}
}

func TestSeriesDecodesInterleavedArray(t *testing.T) {
	f := newFixture(t)
	// Sensor with the series leaf (§5.8); raw string values, aggregated
	// numbers, times as numbers and strings, out of order, junk pairs and a
	// trailing odd element.
	f.body("/gateways/gw1/sensors/s1/series", 200, `{"statusCode":200,"message":"OK","data":{"id":"s1","name":"T","series":{
	  "type":"series","value":"19.5","time":"1439299501596","id":"series.sensor.RZhUBX",
	  "data":["19.23",1439299381592, 13.5,"1439299501596", "7","1439299261592", "x",1439299621596, {"lat":1},1439299741596,
	          "1",null, "2","not-a-time", null,1439299861596, "NaN",1439299981596, true,1439300101596, "9"],
	  "_meta":{"count":258,"dataStart":1439270040000,"dataEnd":"1439300772689","stat":"sum","interval":"3m"}}}}`)
	leaf, err := f.client().Series(context.Background(), "tok", "gw1", "s1", thingplus.SeriesQuery{
		DataStart: time.UnixMilli(1439270040000), Interval: "3m", IntervalFunc: "sum"})
	if err != nil {
		t.Fatal(err)
	}
	if leaf.Value != "19.5" || leaf.Time != 1439299501596 || leaf.Meta == nil || leaf.Meta.Count != 258 || leaf.Meta.DataEnd != 1439300772689 || leaf.Meta.Interval != "3m" {
		t.Errorf("leaf = %+v meta %+v", leaf, leaf.Meta)
	}
	type want struct {
		t       int64
		v       float64
		text    string
		numeric bool
	}
	wants := []want{
		{1439299261592, 7, "7", true},
		{1439299381592, 19.23, "19.23", true},
		{1439299501596, 13.5, "13.5", true},
		{1439299621596, 0, "x", false},
		{1439299741596, 0, `{"lat":1}`, false},
		{1439299981596, 0, "NaN", false},
		{1439300101596, 1, "true", true},
	}
	if len(leaf.Data) != len(wants) {
		t.Fatalf("points = %+v", leaf.Data)
	}
	for i, w := range wants {
		p := leaf.Data[i]
		if int64(p.Time) != w.t || p.Value != w.v || p.Text != w.text || p.Numeric != w.numeric {
			t.Errorf("point %d = %+v, want %+v", i, p, w)
		}
	}
	q := f.lastRequest().URL.Query()
	if q.Get("dataStart") != "2015-08-11T05:14:00.000Z" || q.Get("interval") != "3m" || q.Get("intervalFunc") != "sum" {
		t.Errorf("series query = %v", q)
	}
}

func TestSeriesBareLeafAndEnvelopeMeta(t *testing.T) {
	f := newFixture(t)
	f.body("/gateways/gw1/sensors/s1/series", 200, `{"statusCode":200,"message":"OK","data":{"type":"series","value":"1","time":5,"data":["1",5]},"_meta":{"count":1,"dataStart":1,"dataEnd":"9"}}`)
	leaf, err := f.client().Series(context.Background(), "tok", "gw1", "s1", thingplus.SeriesQuery{DataStart: time.UnixMilli(1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(leaf.Data) != 1 || leaf.Meta == nil || leaf.Meta.DataEnd != 9 || leaf.Meta.Count != 1 {
		t.Errorf("leaf = %+v meta %+v", leaf, leaf.Meta)
	}
	// Latest value only: no data array at all.
	f.body("/gateways/gw1/sensors/s1/series", 200, `{"statusCode":200,"message":"OK","data":{"id":"s1","series":{"type":"series","value":"36.5","time":"7"}}}`)
	leaf, err = f.client().Series(context.Background(), "tok", "gw1", "s1", thingplus.SeriesQuery{})
	if err != nil || leaf.Value != "36.5" || leaf.Time != 7 || leaf.Data != nil || !leaf.Loaded() {
		t.Errorf("latest = %+v, %v", leaf, err)
	}
	if raw := f.lastRequest().URL.RawQuery; raw != "" {
		t.Errorf("latest-value query = %q", raw)
	}
}

// Every error shape of §3.7 and §4 maps to a typed error.
func TestErrorShapes(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		kind   thingplus.Kind
		code   string
	}{
		{"v2 not found", 404, `{"statusCode":404,"message":"Not Found","errors":[{"code":"NOT_FOUND","message":"gateway"}]}`, thingplus.KindNotFound, "NOT_FOUND"},
		{"v2 other user's gateway", 403, `{"statusCode":403,"message":"Forbidden","errors":[{"code":"ACCESSGROUP_DENY","message":"denied","category":"AUTHORIZATION_ERROR"}]}`, thingplus.KindForbidden, "ACCESSGROUP_DENY"},
		{"v2 schema", 400, `{"statusCode":400,"message":"Bad Request","errors":[{"code":"SCHEMA_VALIDATE","message":"unknown key"}]}`, thingplus.KindInvalid, "SCHEMA_VALIDATE"},
		{"v2 billing", 471, `{"statusCode":471,"message":"Billing","errors":[{"code":"BILLING","message":"plan"}]}`, thingplus.KindInvalid, "BILLING"},
		{"v2 server", 500, `{"statusCode":500,"message":"Internal Server Error","errors":[{"code":"INTERNAL_ERROR","message":"x"}]}`, thingplus.KindUnavailable, "INTERNAL_ERROR"},
		{"jwt expired", 403, `{"name":"TokenExpiredError","message":"jwt expired","expiredAt":"2015-06-10T10:10:34.000Z"}`, thingplus.KindUnauthorized, "TokenExpiredError"},
		{"jwt malformed", 403, `{"name":"JsonWebTokenError","message":"jwt malformed"}`, thingplus.KindUnauthorized, "JsonWebTokenError"},
		{"jwt signature", 401, `{"name":"JsonWebTokenError","message":"invalid signature"}`, thingplus.KindUnauthorized, "JsonWebTokenError"},
		{"access denied", 401, `"Access denied"`, thingplus.KindUnauthorized, ""},
		{"garbage 502", 502, `<html>Bad Gateway</html>`, thingplus.KindUnavailable, ""},
		{"rate limited", 429, ``, thingplus.KindUnavailable, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.body("/gateways", tc.status, tc.body)
			_, _, err := f.client().Gateways(context.Background(), "tok", thingplus.Query{})
			if err == nil {
				t.Fatal("no error")
			}
			if kindOf(err) != tc.kind || codeOf(err) != tc.code {
				t.Errorf("kind %v code %q, want %v %q (%v)", kindOf(err), codeOf(err), tc.kind, tc.code, err)
			}
			if strings.Contains(err.Error(), "tok") {
				t.Errorf("error mentions the token: %v", err)
			}
		})
	}
}

func TestGarbageAndMalformedSuccessBodies(t *testing.T) {
	for name, body := range map[string]string{
		"not json":           `<html>hello</html>`,
		"truncated":          `{"statusCode":200,"data":[{"id":"a"`,
		"data not an array":  `{"statusCode":200,"data":{"id":"a"}}`,
		"wrong field type":   `{"statusCode":200,"data":[{"id":"a","name":{"x":1}}]}`,
		"bad time":           `{"statusCode":200,"data":[{"id":"a","ctime":"yesterday"}]}`,
		"bad flag":           `{"statusCode":200,"data":[{"id":"a","virtual":"maybe"}]}`,
		"devices not a list": `{"statusCode":200,"data":[{"id":"a","devices":"x"}]}`,
		"bad meta":           `{"statusCode":200,"data":[],"_meta":{"count":"many"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			f.body("/gateways", 200, body)
			_, _, err := f.client().Gateways(context.Background(), "tok", thingplus.Query{})
			if kindOf(err) != thingplus.KindUnavailable {
				t.Errorf("err = %v, want unavailable", err)
			}
		})
	}
}

func TestOversizedBodyRefused(t *testing.T) {
	f := newFixture(t)
	big := `{"statusCode":200,"data":[` + strings.Repeat(`{"id":"aaaaaaaaaaaa","name":"x"},`, 2000) + `{"id":"z"}]}`
	f.body("/gateways", 200, big)
	_, _, err := f.client(thingplus.WithMaxBody(16<<10)).Gateways(context.Background(), "tok", thingplus.Query{})
	if kindOf(err) != thingplus.KindUnavailable {
		t.Fatalf("err = %v", err)
	}
	gws, _, err := f.client(thingplus.WithMaxBody(int64(len(big))+10)).Gateways(context.Background(), "tok", thingplus.Query{})
	if err != nil || len(gws) != 2001 {
		t.Errorf("within the limit: %d, %v", len(gws), err)
	}
}

func TestSlowUpstreamTimesOut(t *testing.T) {
	f := newFixture(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	f.routes["/v2/gateways"] = func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}
	start := time.Now()
	_, _, err := f.client(thingplus.WithTimeout(100*time.Millisecond)).Gateways(context.Background(), "tok", thingplus.Query{})
	if kindOf(err) != thingplus.KindUnavailable {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestInvalidIDsNeverReachTheServer(t *testing.T) {
	f := newFixture(t)
	c := f.client()
	ctx := context.Background()
	for _, id := range []string{"", ".", "..", "a/b", "../users/me", "a?b", "a#b", "a%2Fb", "a b"} {
		_, err := c.Gateway(ctx, "tok", id, thingplus.Query{})
		if kindOf(err) != thingplus.KindNotFound {
			t.Errorf("Gateway(%q) err = %v", id, err)
		}
		_, err = c.Series(ctx, "tok", "gw1", id, thingplus.SeriesQuery{})
		if kindOf(err) != thingplus.KindNotFound {
			t.Errorf("Series(%q) err = %v", id, err)
		}
	}
	if n := f.hits.Load(); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
}

func TestAllGatewaysPages(t *testing.T) {
	f := newFixture(t)
	var pages []string
	f.routes["/v2/gateways"] = func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		pages = append(pages, q.Get("page"))
		count, _ := strconv.Atoi(q.Get("count"))
		page, _ := strconv.Atoi(q.Get("page"))
		n := count // full pages until page 2
		if page == 2 {
			n = 3
		}
		var b strings.Builder
		b.WriteString(`{"statusCode":200,"message":"OK","data":[`)
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"id":"gw-%d-%d","name":"G"}`, page, i)
		}
		fmt.Fprintf(&b, `],"_meta":{"count":%d,"page":%d}}`, n, page)
		w.Write([]byte(b.String()))
	}
	gws, err := f.client().AllGateways(context.Background(), "tok", thingplus.Query{OrderBy: "name"})
	if err != nil {
		t.Fatal(err)
	}
	if len(gws) != 2*thingplus.MaxCount+3 || strings.Join(pages, ",") != "0,1,2" {
		t.Errorf("got %d gateways over pages %v", len(gws), pages)
	}
	if gws[len(gws)-1].ID != "gw-2-2" {
		t.Errorf("last = %q", gws[len(gws)-1].ID)
	}
}

func TestCatalogues(t *testing.T) {
	f := newFixture(t)
	f.body("/sensorTypes", 200, `{"statusCode":200,"message":"OK","data":[
	  {"id":"temperature","category":"sensor","type":"number","unit":"°C","decimalPlace":"1","chart":{"drawable":true,"dataType":"series","intervalFunc":"average"}},
	  {"id":"onoff","category":"sensor","type":"boolean","values":[0,1],"displayValues":["off","on"],"decimalPlace":0},
	  {"id":"location","type":"object","range":{"min":0},"contentType":{"x":1}}]}`)
	f.body("/gatewayModels", 200, `{"statusCode":200,"message":"OK","data":[
	  {"id":"52","model":"open-api-gateway-v1.0","displayName":"Open API Gateway","vendor":{"name":"Daliworks"},"reportInterval":60000,
	   "deviceModels":[{"id":"open-api-device-v1.0","displayName":"Open API Device","idTemplate":"{gatewayId}-{deviceAddress}","max":99,"sensors":[{"type":"temperature"}]}]},
	  {"id":18,"displayName":"Raspberry Pi-Developer"}]}`)
	c := f.client()
	types, err := c.SensorTypes(context.Background())
	if err != nil || len(types) != 3 {
		t.Fatalf("types = %+v, %v", types, err)
	}
	if types[0].Unit != "°C" || types[0].DecimalPlace != 1 || types[0].Chart.IntervalFunc != "average" || !bool(types[0].Chart.Drawable) {
		t.Errorf("temperature = %+v", types[0])
	}
	if got := types[1].Display("1"); got != "on" {
		t.Errorf("onoff display = %q", got)
	}
	if got := types[1].Display("7"); got != "7" {
		t.Errorf("unknown display = %q", got)
	}
	if f.lastRequest().Header.Get("Authorization") != "" {
		t.Error("catalogue call sent a token")
	}
	models, err := c.GatewayModels(context.Background())
	if err != nil || len(models) != 2 || models[0].DisplayName != "Open API Gateway" || models[1].ID != "18" || models[0].DeviceModels[0].Max != 99 {
		t.Errorf("models = %+v, %v", models, err)
	}
	if models[0].Vendor != `{"name":"Daliworks"}` {
		t.Errorf("vendor = %q", models[0].Vendor)
	}
}

// Thing+ sends decimalPlace, minimum and maximum as strings; older data and
// range use numbers. Both forms decode to the same values.
func TestSensorTypeStringOrNumberFields(t *testing.T) {
	f := newFixture(t)
	f.body("/sensorTypes", 200, `{"statusCode":200,"message":"OK","data":[
	  {"id":"temperature","decimalPlace":"1","minimum":"-273","maximum":"300"},
	  {"id":"temperature2","decimalPlace":1,"minimum":-273,"maximum":300},
	  {"id":"humidity","decimalPlace":"0","range":{"min":"0","max":100,"interval":1}},
	  {"id":"string"}]}`)
	types, err := f.client().SensorTypes(context.Background())
	if err != nil || len(types) != 4 {
		t.Fatalf("types = %+v, %v", types, err)
	}
	for _, ty := range types[:2] {
		lo, loOK, hi, hiOK := ty.Bounds()
		if ty.DecimalPlace != 1 || lo != -273 || !loOK || hi != 300 || !hiOK {
			t.Errorf("%s: dp %d bounds %v %v %v %v", ty.ID, ty.DecimalPlace, lo, loOK, hi, hiOK)
		}
	}
	if lo, loOK, hi, hiOK := types[2].Bounds(); types[2].DecimalPlace != 0 || lo != 0 || !loOK || hi != 100 || !hiOK {
		t.Errorf("humidity: %v %v %v %v", lo, loOK, hi, hiOK)
	}
	if _, loOK, _, hiOK := types[3].Bounds(); loOK || hiOK {
		t.Error("string type has bounds")
	}
}

func TestNewRejectsBadBase(t *testing.T) {
	if _, err := thingplus.New("ftp://x/v2"); err == nil {
		t.Error("accepted ftp")
	}
	u, _ := url.Parse("http://127.0.0.1:1/v2")
	c, err := thingplus.New(u.String())
	if err != nil {
		t.Fatal(err)
	}
	// Refused connection → unavailable.
	_, _, err = c.Gateways(context.Background(), "tok", thingplus.Query{})
	if kindOf(err) != thingplus.KindUnavailable {
		t.Errorf("err = %v", err)
	}
}

func TestRefsEscapedAndPlainIDs(t *testing.T) {
	var g thingplus.Gateway
	err := json.Unmarshal([]byte(`{"id":"g","devices":["plain","a\u002fb","\"q\""],"sensors":[{"id":"5","name":"n"}]}`), &g)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(g.Devices.IDs, "|") != `plain|a/b|"q"` || g.Sensors.IDs[0] != "5" || g.Sensors.Items[0].Name != "n" {
		t.Errorf("refs = %+v %+v", g.Devices, g.Sensors)
	}
	if err := json.Unmarshal([]byte(`{"devices":[1]}`), &g); err == nil {
		t.Error("a number as a device object decoded")
	}
}

func TestRefsPlainStringsFastPath(t *testing.T) {
	for in, want := range map[string]string{
		`[]`: ``, `[ ]`: ``, `["a"]`: `a`, `[ "a" , "b" ]`: `a|b`, `["신림","x-1-door2"]`: `신림|x-1-door2`,
		`["a\"b"]`: `a"b`, `["a", {"id":"o"}]`: `a|o`, `["a\u0041"]`: `aA`,
	} {
		var r thingplus.Refs[thingplus.Device]
		if err := json.Unmarshal([]byte(in), &r); err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if got := strings.Join(r.IDs, "|"); got != want || r.Len() != len(r.IDs) {
			t.Errorf("%s → %q, want %q", in, got, want)
		}
	}
	for _, bad := range []string{`["a",]`, `[1]`, `"a"`, `[,"a"]`} {
		var r thingplus.Refs[thingplus.Device]
		if err := json.Unmarshal([]byte(bad), &r); err == nil {
			t.Errorf("%s decoded to %v", bad, r.IDs)
		}
	}
}
