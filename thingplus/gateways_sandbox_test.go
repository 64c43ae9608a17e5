package thingplus_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/thingplus/thingplus-webapp/thingplus"
	"github.com/thingplus/thingplus-webapp/thingplus/sandbox"
)

// gwSandbox is the real sandbox over HTTP with a settable clock.
type gwSandbox struct {
	sb    *sandbox.Sandbox
	c     *thingplus.Client
	url   string
	token string
	mu    sync.Mutex
	now   time.Time
}

func (g *gwSandbox) Now() time.Time { g.mu.Lock(); defer g.mu.Unlock(); return g.now }
func (g *gwSandbox) advance(d time.Duration) {
	g.mu.Lock()
	g.now = g.now.Add(d)
	g.mu.Unlock()
}

func newGwSandbox(t *testing.T) *gwSandbox {
	t.Helper()
	g := &gwSandbox{now: time.Now()}
	g.sb = sandbox.New(sandbox.Options{SimulatorPace: -1, Seed: 7, Now: g.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t.Cleanup(g.sb.Close)
	srv := httptest.NewServer(g.sb.Handler())
	t.Cleanup(srv.Close)
	g.url = srv.URL + "/v2"
	var err error
	if g.c, err = thingplus.New(g.url); err != nil {
		t.Fatal(err)
	}
	if g.token, err = g.sb.TokenFor("1"); err != nil {
		t.Fatal(err)
	}
	return g
}

func TestSandboxGatewaysList(t *testing.T) {
	g := newGwSandbox(t)
	ctx := context.Background()
	gws, err := g.c.AllGateways(ctx, g.token, thingplus.Query{Embed: []string{"status"}, OrderBy: "id"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, gw := range gws {
		ids = append(ids, gw.ID)
	}
	if strings.Join(ids, ",") != "b827ebd0a001,b827ebd0a002,b827ebd0a003" {
		t.Fatalf("demo's gateways = %v", ids)
	}
	sub := gws[0]
	if sub.Name != "Subway 신림-성수 line" || sub.Model != "52" || sub.Devices.Len() != 3 || sub.Sensors.Len() != 12 {
		t.Errorf("subway = %+v", sub)
	}
	now := g.Now()
	if !sub.Status.Loaded() || sub.Status.Value != "on" || sub.Status.Expired(now) || sub.Interval() != time.Minute {
		t.Errorf("subway status = %+v interval %v", sub.Status, sub.Interval())
	}
	if st := gws[2].Status; !st.Loaded() || !st.Expired(now) || now.Sub(st.Time.Time()) < 24*time.Hour {
		t.Errorf("offline status = %+v", st)
	}
	if gws[1].Model != "18" || gws[1].Ctime <= 0 || gws[1].Mtime < gws[1].Ctime {
		t.Errorf("climate = %+v", gws[1])
	}
}

func TestSandboxGatewaysPaginationFilterFields(t *testing.T) {
	g := newGwSandbox(t)
	ctx := context.Background()
	page, meta, err := g.c.Gateways(ctx, g.token, thingplus.Query{Count: 1, Page: 1, OrderBy: "id"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 1 || page[0].ID != "b827ebd0a002" || meta.Count != 1 || meta.Page != 1 {
		t.Errorf("page 1 = %+v meta %+v", page, meta)
	}
	page, _, err = g.c.Gateways(ctx, g.token, thingplus.Query{Count: 2, Page: 0, OrderBy: "id", OrderDir: "desc"})
	if err != nil || len(page) != 2 || page[0].ID != "b827ebd0a003" {
		t.Errorf("desc page 0 = %+v, %v", page, err)
	}
	page, _, err = g.c.Gateways(ctx, g.token, thingplus.Query{Filter: map[string][]string{"id": {"b827ebd0a001", "b827ebd0a003"}}})
	if err != nil || len(page) != 2 {
		t.Errorf("filter[id] OR = %d, %v", len(page), err)
	}
	page, _, err = g.c.Gateways(ctx, g.token, thingplus.Query{Fields: []string{"ctime"}, Filter: map[string][]string{"id": {"b827ebd0a001"}}})
	if err != nil || len(page) != 1 || page[0].ID != "b827ebd0a001" || page[0].Name != "" || page[0].Ctime == 0 {
		t.Errorf("fields=ctime = %+v, %v", page, err)
	}
}

func TestSandboxGatewayDevicesSensors(t *testing.T) {
	g := newGwSandbox(t)
	ctx := context.Background()
	gw, err := g.c.Gateway(ctx, g.token, "b827ebd0a001", thingplus.Query{Embed: []string{"devices", "sensors"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(gw.Devices.Items) != 3 || len(gw.Sensors.Items) != 12 || gw.Sensors.Items[0].Type != "countEvent" {
		t.Errorf("embedded = %d devices, %d sensors", len(gw.Devices.Items), len(gw.Sensors.Items))
	}
	st, err := g.c.GatewayStatus(ctx, g.token, "b827ebd0a001")
	if err != nil || st.Value != "on" || st.Expired(g.Now()) {
		t.Errorf("gateway status = %+v, %v", st, err)
	}
	devs, err := g.c.Devices(ctx, g.token, "b827ebd0a001", thingplus.Query{})
	if err != nil || len(devs) != 3 {
		t.Fatalf("devices = %+v, %v", devs, err)
	}
	names := []string{devs[0].Name, devs[1].Name, devs[2].Name}
	slices.Sort(names)
	if strings.Join(names, ",") != "Car 1,Car 2,Car 3" {
		t.Errorf("device names = %v", names)
	}
	ss, err := g.c.Sensors(ctx, g.token, "b827ebd0a001", thingplus.Query{Embed: []string{"status", "series"}})
	if err != nil || len(ss) != 12 {
		t.Fatalf("sensors = %d, %v", len(ss), err)
	}
	for _, s := range ss {
		if !strings.HasPrefix(s.ID, "b827ebd0a001-") || !strings.Contains(s.ID, "-door") || s.DeviceID == "" {
			t.Errorf("sensor %+v", s)
		}
		if !s.Status.Loaded() {
			t.Errorf("%s: status not embedded", s.ID)
		}
		if s.Series.Loaded() && s.Series.Value != "1" && s.Series.Value != "-1" {
			t.Errorf("%s latest = %q", s.ID, s.Series.Value)
		}
	}
	s, err := g.c.Sensor(ctx, g.token, "b827ebd0a002", "b827ebd0a002-0-temperature", thingplus.Query{Embed: []string{"status", "series"}})
	if err != nil || s.Type != "temperature" || !s.Series.Loaded() {
		t.Errorf("temperature = %+v, %v", s, err)
	}
	sst, err := g.c.SensorStatus(ctx, g.token, "b827ebd0a002", "b827ebd0a002-0-temperature")
	if err != nil || sst.Value != "on" {
		t.Errorf("sensor status = %+v, %v", sst, err)
	}
}

func TestSandboxSeriesRange(t *testing.T) {
	g := newGwSandbox(t)
	ctx := context.Background()
	end := g.Now().Truncate(time.Minute)
	start := end.Add(-time.Hour)
	leaf, err := g.c.Series(ctx, g.token, "b827ebd0a002", "b827ebd0a002-0-temperature",
		thingplus.SeriesQuery{DataStart: start, DataEnd: end, Interval: "1m", IntervalFunc: "average"})
	if err != nil {
		t.Fatal(err)
	}
	if len(leaf.Data) < 50 || len(leaf.Data) > 60 {
		t.Errorf("%d points for an hour at 1m", len(leaf.Data))
	}
	for i, p := range leaf.Data {
		if !p.Numeric || p.Value < -40 || p.Value > 60 {
			t.Errorf("point %d = %+v", i, p)
		}
		if p.Time.Time().Before(start) || !p.Time.Time().Before(end) || (i > 0 && p.Time <= leaf.Data[i-1].Time) {
			t.Errorf("point %d at %v outside/unsorted", i, p.Time.Time())
		}
	}
	// Door counts folded by sum over a day.
	leaf, err = g.c.Series(ctx, g.token, "b827ebd0a001", "b827ebd0a001-1-door1",
		thingplus.SeriesQuery{DataStart: end.Add(-24 * time.Hour), DataEnd: end, Interval: "15m", IntervalFunc: "sum"})
	if err != nil || len(leaf.Data) == 0 {
		t.Fatalf("door series = %d points, %v", len(leaf.Data), err)
	}
	// A pushed value is the latest one (string value, §5.8).
	at := g.Now().UnixMilli()
	err = g.c.Call(ctx, thingplus.Request{Method: http.MethodPut, Path: "/gateways/b827ebd0a002/sensors/b827ebd0a002-0-temperature/series",
		Token: g.token, Body: map[string]any{"value": "23.5", "time": at}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err = g.c.Series(ctx, g.token, "b827ebd0a002", "b827ebd0a002-0-temperature", thingplus.SeriesQuery{})
	if err != nil || leaf.Value != "23.5" || int64(leaf.Time) != at || leaf.Data != nil {
		t.Errorf("latest = %+v, %v", leaf, err)
	}
}

func TestSandboxCatalogues(t *testing.T) {
	g := newGwSandbox(t)
	ctx := context.Background()
	types, err := g.c.SensorTypes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]thingplus.SensorType{}
	for _, ty := range types {
		byID[ty.ID] = ty
	}
	if byID["countEvent"].Unit != "ea" || byID["temperature"].Unit != "°C" || byID["door"].Display("1") != "opened" {
		t.Errorf("types: countEvent %+v temperature %+v", byID["countEvent"], byID["temperature"])
	}
	if c := byID["countEvent"].Chart; c == nil || c.DataType != "event" {
		t.Errorf("countEvent chart = %+v", c)
	}
	// The sandbox sends decimalPlace/minimum/maximum as strings, as Thing+ does.
	if lo, loOK, hi, hiOK := byID["temperature"].Bounds(); byID["temperature"].DecimalPlace != 1 || lo != -273 || !loOK || hi != 300 || !hiOK {
		t.Errorf("temperature bounds %v %v %v %v", lo, loOK, hi, hiOK)
	}
	for _, id := range []string{"co", "voc", "no2", "o3", "ph", "strain", "rain", "windSpeed", "lcd", "rgbLed"} {
		if _, ok := byID[id]; !ok {
			t.Errorf("sensor type %s missing", id)
		}
	}
	models, err := g.c.GatewayModels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, m := range models {
		names[string(m.ID)] = m.DisplayName
	}
	if names["52"] != "Open API Gateway" || names["18"] != "Raspberry Pi-Developer" || names["32"] != "Sensor Simulator" ||
		names["20"] == "" || names["26"] == "" || names["34"] == "" {
		t.Errorf("models = %v", names)
	}
}

func TestSandboxErrorShapes(t *testing.T) {
	g := newGwSandbox(t)
	ctx := context.Background()
	_, err := g.c.Gateway(ctx, g.token, "b827ebd0a0ff", thingplus.Query{})
	if kindOf(err) != thingplus.KindForbidden || codeOf(err) != "ACCESSGROUP_DENY" {
		t.Errorf("other user's gateway: %v", err)
	}
	// 403 before 404: another user's gateway with a missing sensor.
	_, err = g.c.Sensor(ctx, g.token, "b827ebd0a0ff", "nope", thingplus.Query{})
	if kindOf(err) != thingplus.KindForbidden {
		t.Errorf("other user's missing sensor: %v", err)
	}
	_, err = g.c.Gateway(ctx, g.token, "000000000000", thingplus.Query{})
	if kindOf(err) != thingplus.KindNotFound || codeOf(err) != "NOT_FOUND" {
		t.Errorf("missing gateway: %v", err)
	}
	_, err = g.c.Series(ctx, g.token, "b827ebd0a001", "b827ebd0a001-9-door9", thingplus.SeriesQuery{})
	if kindOf(err) != thingplus.KindNotFound {
		t.Errorf("missing sensor: %v", err)
	}
	_, _, err = g.c.Gateways(ctx, "not-a-jwt", thingplus.Query{})
	if kindOf(err) != thingplus.KindUnauthorized || codeOf(err) != "JsonWebTokenError" {
		t.Errorf("garbage token: %v", err)
	}
	_, _, err = g.c.Gateways(ctx, "", thingplus.Query{})
	if kindOf(err) != thingplus.KindUnauthorized {
		t.Errorf("no token: %v", err)
	}
	// A token past its lifetime (15 days for the code grant).
	g.advance(16 * 24 * time.Hour)
	_, _, err = g.c.Gateways(ctx, g.token, thingplus.Query{})
	if kindOf(err) != thingplus.KindUnauthorized || codeOf(err) != "TokenExpiredError" || !thingplus.NeedsSignIn(err) {
		t.Errorf("expired token: %v", err)
	}
}

// The cached client against the sandbox: one upstream call per TTL.
func TestSandboxCachedClient(t *testing.T) {
	g := newGwSandbox(t)
	var calls sync.Map
	counting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := calls.LoadOrStore(r.URL.Path, new(int))
		*(n.(*int))++
		g.sb.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(counting.Close)
	c, _ := thingplus.New(counting.URL + "/v2")
	cc := thingplus.NewCached(c, thingplus.CacheOptions{TTL: time.Minute})
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if gws, err := cc.AllGateways(ctx, g.token, thingplus.Query{Embed: []string{"status"}}); err != nil || len(gws) != 3 {
			t.Fatalf("gateways = %d, %v", len(gws), err)
		}
		if _, err := cc.GatewayModels(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"/v2/gateways", "/v2/gatewayModels"} {
		if n, _ := calls.Load(p); n == nil || *(n.(*int)) != 1 {
			t.Errorf("%s called %v times", p, n)
		}
	}
}
